// The content routes (content.dropboxapi.com/2/files/...): one-call uploads, upload sessions
// (start/append_v2/finish, with `incorrect_offset` answers carrying the offset Dropbox holds) and
// downloads (the bytes as the body, the metadata in the Dropbox-API-Result header). An upload request cut
// short by the drop fault keeps nothing, as Dropbox commits a session append only when it is whole.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { badInput, endpointError } from "./errors.js";
import { lookup, pathArg } from "./files.js";
import { type Entry, metadataOf, type Namespace, parentOf } from "./state.js";

export interface UploadFaults {
  /** Cut the next upload body after this many bytes (once). */
  dropUploadAfter: number | undefined;
  /** Take the next upload whole, then cut the connection instead of answering (once). */
  dropAnswer: boolean;
  /** Store the next uploaded file with its first byte changed (once), as a damaged transfer would. */
  corrupt: boolean;
}

interface Session {
  parts: Buffer[];
  offset: number;
  closed: boolean;
}

/** The body, or undefined when the drop fault cut it (the socket is then destroyed). */
export async function readUpload(req: IncomingMessage, faults: UploadFaults): Promise<Buffer | undefined> {
  const limit = faults.dropUploadAfter;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (limit !== undefined && length + chunk.length >= limit) {
      faults.dropUploadAfter = undefined;
      req.socket.destroy();
      return undefined;
    }
    chunks.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(chunks);
}

/** Dropbox's JSON in a header: non-ASCII as \\uXXXX escapes. */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

type WriteMode = "add" | "overwrite";

function modeOf(mode: unknown): WriteMode {
  const tag = typeof mode === "string" ? mode : (mode as { ".tag"?: unknown } | undefined)?.[".tag"];
  if (tag === undefined || tag === "add") return "add";
  if (tag === "overwrite") return "overwrite";
  throw badInput(`mode ${JSON.stringify(mode)} is not emulated`);
}

function clientModifiedOf(value: unknown): number {
  if (value === undefined) return Date.now();
  if (typeof value !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(value))
    throw badInput(`client_modified: '${String(value)}' is not a timestamp of the form %Y-%m-%dT%H:%M:%SZ`);
  return Date.parse(value);
}

export class Content {
  readonly sessions = new Map<string, Session>();

  /** Writes a file as upload and upload_session/finish do; `pathError` wraps a WriteError the route's way. */
  constructor(private readonly faults: UploadFaults) {}

  private write(
    ns: Namespace,
    commit: Record<string, unknown>,
    data: Buffer,
    pathError: (reason: Record<string, unknown>) => Record<string, unknown>,
  ): Record<string, unknown> {
    const path = pathArg(commit.path, "path", false);
    const mode = modeOf(commit.mode);
    const clientModified = clientModifiedOf(commit.client_modified);
    const conflict = (tag: string) =>
      endpointError(pathError({ ".tag": "conflict", conflict: { ".tag": tag } }));
    const existing: Entry | undefined = ns.get(path);
    if (existing?.tag === "folder") throw conflict("folder");
    if (ns.fileOnTheWay(parentOf(path))) throw conflict("file");
    if (existing && mode === "add") {
      // Dropbox's "add" keeps an identical file and answers with it.
      if (existing.content.equals(data)) return metadataOf(existing);
      throw conflict("file");
    }
    ns.makeFolders(parentOf(path));
    let stored = data;
    if (this.faults.corrupt && data.length > 0) {
      this.faults.corrupt = false;
      stored = Buffer.from(data);
      stored[0] = (stored[0] ?? 0) ^ 0xff;
    }
    return metadataOf(ns.put(path, "file", stored, clientModified));
  }

  upload(ns: Namespace, arg: Record<string, unknown>, data: Buffer) {
    return this.write(ns, arg, data, (reason) => ({
      ".tag": "path",
      reason,
      upload_session_id: `pid_upload_session:${randomBytes(8).toString("base64url")}`,
    }));
  }

  start(arg: Record<string, unknown>, data: Buffer) {
    const id = `pid_upload_session:${randomBytes(16).toString("base64url")}`;
    this.sessions.set(id, { parts: [data], offset: data.length, closed: arg.close === true });
    return { session_id: id };
  }

  /** The session of a cursor, at the offset the cursor says, or the route's lookup error. */
  private sessionAt(
    cursor: unknown,
    wrap: (error: Record<string, unknown>) => Record<string, unknown>,
  ): Session {
    const { session_id: id, offset } = (cursor ?? {}) as { session_id?: unknown; offset?: unknown };
    if (typeof id !== "string" || typeof offset !== "number")
      throw badInput("cursor: session_id and offset needed");
    const session = this.sessions.get(id);
    if (!session) throw endpointError(wrap({ ".tag": "not_found" }));
    if (offset !== session.offset)
      throw endpointError(wrap({ ".tag": "incorrect_offset", correct_offset: session.offset }));
    return session;
  }

  append(arg: Record<string, unknown>, data: Buffer) {
    const session = this.sessionAt(arg.cursor, (error) => error);
    if (session.closed) throw endpointError({ ".tag": "closed" });
    session.parts.push(data);
    session.offset += data.length;
    if (arg.close === true) session.closed = true;
    return null;
  }

  finish(ns: Namespace, arg: Record<string, unknown>, data: Buffer) {
    const wrap = (error: Record<string, unknown>) => ({ ".tag": "lookup_failed", lookup_failed: error });
    const cursor = arg.cursor as { session_id?: string } | undefined;
    const session = this.sessionAt(cursor, wrap);
    const whole = Buffer.concat([...session.parts, data]);
    const metadata = this.write(ns, (arg.commit ?? {}) as Record<string, unknown>, whole, (reason) => ({
      ".tag": "path",
      path: reason,
    }));
    this.sessions.delete(cursor?.session_id ?? "");
    return metadata;
  }

  download(ns: Namespace, arg: Record<string, unknown>, res: ServerResponse): void {
    const entry = lookup(ns, pathArg(arg.path, "path", false));
    if (entry.tag === "folder") throw endpointError({ ".tag": "path", path: { ".tag": "not_file" } });
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": entry.content.length,
      "dropbox-api-result": headerSafeJson(metadataOf(entry)),
    });
    res.end(entry.content);
  }
}
