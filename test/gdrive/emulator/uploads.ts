// Media uploads on /upload/drive/v3/files: uploadType=media (content only), multipart (a multipart/related
// body: JSON metadata part, then the media part; what googleapis sends) and resumable (a session URI in
// `Location`, then PUTs with `Content-Range`, 308 + `Range: bytes=0-N` until the last byte), for create
// (POST) and update (PATCH .../files/{id}). The session URI carries its own authority, as on Google: its
// PUTs need no Authorization header.
import { createHash, randomBytes } from "node:crypto";

import { badRequest, DriveApiError, invalid } from "./errors.js";
import {
  createFile,
  findFile,
  findParent,
  type Metadata,
  parseMetadata,
  sendFile,
  updateFile,
} from "./files.js";
import { type RequestContext, readBody } from "./http.js";
import { hashedContent, setContent } from "./state.js";

/** Drive's chunk granularity: every chunk but the last must be a multiple of 256 KiB. */
export const CHUNK_GRANULARITY = 256 * 1024;

/**
 * The bytes a resumable session holds, kept as the requests brought them and joined once at the end:
 * joining on every chunk copied the whole upload again per chunk (quadratic), which made a 1 GiB upload
 * measure the emulator instead of the client (bench/gdrive.ts).
 */
class Received {
  private pieces: Buffer[] = [];
  length = 0;
  // The md5 of the bytes as they arrive, as Drive computes it while it receives; a truncation below
  // what was hashed (a cut chunk resent) leaves it to be computed at the end.
  private readonly md5 = createHash("md5");
  private hashed: number | undefined = 0;
  private digest: string | undefined;

  /** Keeps the first `length` bytes. */
  truncate(length: number): void {
    if (this.hashed !== undefined && length < this.hashed) this.hashed = undefined;
    const kept: Buffer[] = [];
    let at = 0;
    for (const piece of this.pieces) {
      if (at >= length) break;
      const part = piece.subarray(0, length - at);
      kept.push(part);
      at += part.length;
    }
    this.pieces = kept;
    this.length = at;
  }

  /** The bytes from `start` on become `body` (a resent range replaces what was there). */
  replaceFrom(start: number, body: Buffer): void {
    this.truncate(start);
    this.pieces.push(body);
    this.length += body.length;
    if (this.hashed === start) {
      this.md5.update(body);
      this.hashed += body.length;
    }
  }

  /** All the bytes, once (with their md5 when it was computed as they came). */
  bytes(): Buffer {
    if (this.pieces.length !== 1) this.pieces = [Buffer.concat(this.pieces, this.length)];
    const bytes = this.pieces[0] as Buffer;
    if (this.hashed !== this.length) return bytes;
    this.digest ??= this.md5.digest("hex");
    return hashedContent(bytes, this.digest);
  }
}

interface Session {
  /** undefined for a create; the file id for an update. */
  fileId: string | undefined;
  metadata: Metadata;
  mediaType: string | undefined;
  total: number | undefined;
  received: Received;
  /** Set once the upload completed: the file it made. */
  doneId: string | undefined;
  /** The query of the initiating request (fields, supportsAllDrives). */
  query: URLSearchParams;
}

export class Uploads {
  readonly sessions = new Map<string, Session>();

  /** POST /upload/drive/v3/files or PATCH /upload/drive/v3/files/{id}, any uploadType. */
  async start(ctx: RequestContext, fileId: string | undefined): Promise<void> {
    const uploadType = ctx.url.searchParams.get("uploadType");
    if (fileId !== undefined) findFile(ctx, fileId);
    if (uploadType === "resumable") {
      await this.initiate(ctx, fileId);
      return;
    }
    if (uploadType !== "multipart" && uploadType !== "media") throw invalid("Invalid Value", "uploadType");
    const { body, dropped } = await readBody(ctx, true);
    if (dropped) return;
    const contentType = ctx.req.headers["content-type"];
    let metadata: Metadata = {};
    let content = body;
    let mediaType = contentType;
    if (uploadType === "multipart") {
      const parts = splitMultipart(body, contentType ?? "");
      const [meta, media] = parts;
      if (parts.length !== 2 || meta === undefined || media === undefined) {
        throw badRequest("Multipart upload needs exactly a metadata part and a media part.");
      }
      metadata = parseMetadata(meta.body);
      content = media.body;
      mediaType = media.contentType;
    }
    this.finish(ctx, fileId, metadata, content, mediaType);
  }

  private finish(
    ctx: RequestContext,
    fileId: string | undefined,
    metadata: Metadata,
    content: Buffer,
    mediaType: string | undefined,
  ): string {
    if (fileId === undefined) {
      const file = createFile(ctx, metadata, content, mediaType);
      sendFile(ctx, file);
      return file.id;
    }
    const file = findFile(ctx, fileId);
    // Content first: updateFile then stamps the time, or keeps the one the client set.
    setContent(file, content);
    updateFile(ctx, file, metadata);
    sendFile(ctx, file);
    return file.id;
  }

  private async initiate(ctx: RequestContext, fileId: string | undefined): Promise<void> {
    const { body } = await readBody(ctx, false);
    const metadata = parseMetadata(body);
    if (fileId === undefined) {
      const parents = metadata.parents;
      if (Array.isArray(parents) && typeof parents[0] === "string") findParent(ctx, parents[0]);
    }
    const lengthHeader = ctx.req.headers["x-upload-content-length"];
    const total = lengthHeader === undefined ? undefined : Number(lengthHeader);
    if (total !== undefined && !Number.isInteger(total)) throw badRequest("Invalid X-Upload-Content-Length.");
    const uploadId = randomBytes(24).toString("base64url");
    const typeHeader = ctx.req.headers["x-upload-content-type"];
    this.sessions.set(uploadId, {
      fileId,
      metadata,
      mediaType: typeof typeHeader === "string" ? typeHeader : undefined,
      total,
      received: new Received(),
      doneId: undefined,
      query: new URLSearchParams(ctx.url.searchParams),
    });
    const path = fileId === undefined ? "upload/drive/v3/files" : `upload/drive/v3/files/${fileId}`;
    const location = `${ctx.base}${path}?uploadType=resumable&upload_id=${uploadId}`;
    ctx.res.writeHead(200, { location, "x-guploader-uploadid": uploadId, "content-length": 0 });
    ctx.res.end();
  }

  // PUT to a session URI: a chunk (`bytes a-b/total`) or a status query (`bytes */total`).
  async put(ctx: RequestContext, uploadId: string): Promise<void> {
    const session = this.sessions.get(uploadId);
    if (session === undefined) {
      throw new DriveApiError(404, "NOT_FOUND", [
        { domain: "global", reason: "notFound", message: "Upload session not found or expired." },
      ]);
    }
    // Answers use the initiating request's query (fields, supportsAllDrives), as Google does.
    for (const [key, value] of session.query) {
      if (!ctx.url.searchParams.has(key)) ctx.url.searchParams.set(key, value);
    }
    if (session.doneId !== undefined) {
      await readBody(ctx, false);
      sendFile(ctx, findFile(ctx, session.doneId));
      return;
    }
    const header = ctx.req.headers["content-range"] ?? `bytes 0-*/*`;
    const range = /^bytes (?:\*|(\d+)-(\d+))\/(\*|\d+)$/.exec(header);
    if (range === null) throw badRequest(`Failed to parse Content-Range header: ${header}`);
    if (range[3] !== "*") {
      const total = Number(range[3]);
      if (session.total !== undefined && session.total !== total) throw badRequest("The total size changed.");
      session.total = total;
    }
    if (range[1] !== undefined) {
      const start = Number(range[1]);
      const length = Number(range[2]) - start + 1;
      if (start > session.received.length) {
        throw badRequest(
          `Invalid request. According to the Content-Range header, the upload offset is ${start} byte(s), which exceeds already uploaded size of ${session.received.length} byte(s).`,
        );
      }
      const { body, dropped } = await readBody(ctx, true);
      const end = start + body.length;
      if (end > session.received.length) session.received.replaceFrom(start, body);
      if (dropped) return;
      if (body.length !== length) throw badRequest("The Content-Range does not match the body length.");
      const last = session.total !== undefined && end === session.total;
      if (!last && length % CHUNK_GRANULARITY !== 0) {
        session.received.truncate(start);
        throw badRequest(
          `Invalid request. The number of bytes uploaded is required to be equal or greater than ${CHUNK_GRANULARITY}, except for the final request (it's recommended to be the exact multiple of ${CHUNK_GRANULARITY}). The received request contained ${length} bytes, which does not meet this requirement.`,
        );
      }
    } else {
      await readBody(ctx, false);
    }
    if (session.total !== undefined && session.received.length > session.total) {
      throw badRequest("More bytes than the declared total.");
    }
    if (session.total !== undefined && session.received.length === session.total) {
      session.doneId = this.finish(
        ctx,
        session.fileId,
        session.metadata,
        session.received.bytes(),
        session.mediaType,
      );
      return;
    }
    const headers: Record<string, string | number> = { "content-length": 0 };
    if (session.received.length > 0) headers.range = `bytes=0-${session.received.length - 1}`;
    ctx.res.writeHead(308, headers);
    ctx.res.end();
  }
}

interface Part {
  contentType: string | undefined;
  body: Buffer;
}

/** The parts of a multipart/related body (RFC 2387), headers parsed only for Content-Type. */
export function splitMultipart(body: Buffer, contentType: string): Part[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!/^multipart\/related/i.test(contentType) || boundary === undefined) {
    throw badRequest("Multipart upload needs a multipart/related body.");
  }
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, pos);
    if (next === -1) throw badRequest("Multipart body is not terminated.");
    let part = body.subarray(pos, next);
    if (part.subarray(0, 2).toString() === "\r\n") part = part.subarray(2);
    if (part.subarray(part.length - 2).toString() === "\r\n") part = part.subarray(0, part.length - 2);
    const split = part.indexOf("\r\n\r\n");
    if (split === -1) throw badRequest("Multipart part without headers.");
    const headers = part.subarray(0, split).toString("utf8");
    parts.push({
      contentType: /^content-type:\s*(.+)$/im.exec(headers)?.[1]?.trim(),
      body: part.subarray(split + 4),
    });
    pos = next;
  }
  return parts;
}
