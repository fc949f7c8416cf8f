/**
 * Uploads. A small file goes in one `files/upload` call; a larger one through
 * an upload session (start, append_v2 in chunks, finish), which Dropbox keeps
 * for a week: after each acknowledged chunk the engine gets a resume token
 * (session id, offset, size), and a later attempt, even in another process,
 * goes on from it (`resumeFrom`) after asking Dropbox where the session is
 * (an empty append at the token's offset; `incorrect_offset` names the right
 * one). Every byte is read once per attempt, hashed in order as it is read
 * (Dropbox's content_hash to check the upload, sha256 for the engine; on a
 * resume the part already sent is read and hashed again) and sent from that
 * same buffer. A dropped append is sent again; if Dropbox had taken it,
 * `incorrect_offset` says so. Nothing appears at the path before `finish`,
 * so an interrupted upload leaves nothing behind on the site.
 */
import { createHash, type Hash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import type { files } from "dropbox";
import { ProviderError } from "../../lib/errors.js";
import type { TransferOptions, TransferResult } from "../provider.js";
import type { DropboxClient } from "./client.js";
import { ContentHasher } from "./content-hash.js";
import { type DropboxFault, faultOf, hasTags, isTransient } from "./errors.js";
import { streamOf } from "./http.js";

export interface UploadTuning {
  /** Files up to this size go in one call (Dropbox takes up to 150 MiB). */
  singleMax: number;
  /** Bytes per session append (Dropbox recommends multiples of 4 MiB). */
  chunk: number;
}

/** A dropped request sent again before the engine's own retry takes over. */
const MAX_RESENDS = 5;
/** Progress moves within a request in pieces of this size. */
const PIECE = 256 * 1024;

/** Dropbox's timestamps: ISO 8601 to the second. */
export function dropboxTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

interface ResumeToken {
  v: 1;
  session: string;
  offset: number;
  size: number;
}

function parseResume(token: string | undefined, size: number): ResumeToken | undefined {
  if (!token) return undefined;
  try {
    const parsed = JSON.parse(token) as Partial<ResumeToken>;
    if (
      parsed.v === 1 &&
      typeof parsed.session === "string" &&
      typeof parsed.offset === "number" &&
      parsed.size === size &&
      parsed.offset >= 0 &&
      parsed.offset <= size
    )
      return parsed as ResumeToken;
  } catch {
    // Not ours (or from another version): start over.
  }
  return undefined;
}

/** The hashes of a file, fed in order; bytes fed twice (a resent chunk) are hashed once. */
class Hashes {
  content = new ContentHasher();
  sha256: Hash | undefined;
  at = 0;

  constructor(private readonly wantSha256: boolean) {
    this.sha256 = wantSha256 ? createHash("sha256") : undefined;
  }

  feed(bytes: Buffer, offset: number): void {
    if (offset > this.at) throw new Error(`hashing skipped bytes ${this.at}..${offset}`);
    const fresh = bytes.subarray(this.at - offset);
    if (fresh.length === 0) return;
    this.content.update(fresh);
    this.sha256?.update(fresh);
    this.at += fresh.length;
  }

  reset(): void {
    this.content = new ContentHasher();
    this.sha256 = this.wantSha256 ? createHash("sha256") : undefined;
    this.at = 0;
  }
}

/** The offset Dropbox holds, from an append's or a finish's `incorrect_offset` error. */
function correctOffset(fault: DropboxFault): number | undefined {
  const error = fault.error ?? {};
  const inner = (error[".tag"] === "lookup_failed" ? error.lookup_failed : error) as
    | { ".tag"?: unknown; correct_offset?: unknown }
    | undefined;
  return inner?.[".tag"] === "incorrect_offset" && typeof inner.correct_offset === "number"
    ? inner.correct_offset
    : undefined;
}

const sessionGone = (fault: DropboxFault) =>
  hasTags(fault, "not_found") ||
  hasTags(fault, "closed") ||
  hasTags(fault, "lookup_failed", "not_found") ||
  hasTags(fault, "lookup_failed", "closed");

export interface UploadJob {
  local: string;
  remote: string;
  size: number;
  mtimeMs: number;
  overwrite: boolean;
}

export async function uploadFile(
  client: DropboxClient,
  job: UploadJob,
  options: TransferOptions,
  tuning: UploadTuning,
): Promise<TransferResult> {
  const { signal } = options;
  const doing = `uploading ${job.local} to ${job.remote}`;
  const hashes = new Hashes(options.hash === "sha256");
  let reported = -1;
  const progress = (done: number) => {
    if (done > reported) {
      reported = done;
      options.onProgress?.(done, job.size);
    }
  };
  const commit: files.CommitInfo = {
    path: job.remote,
    mode: job.overwrite ? { ".tag": "overwrite" } : { ".tag": "add" },
    autorename: false,
    // AYON's op3 hash includes the file's time: the copy keeps the source's.
    client_modified: dropboxTime(job.mtimeMs),
    mute: true,
  };
  const file = await open(job.local, "r");
  let metadata: files.FileMetadata;
  try {
    const resume = parseResume(options.resumeFrom, job.size);
    metadata =
      job.size <= tuning.singleMax && !resume
        ? await single(client, file, job, commit, hashes, progress, signal)
        : await session(client, file, job, commit, hashes, progress, tuning, resume, options);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const fault = faultOf(error);
    // "add" met something at the path (it appeared meanwhile, or was there for a `direct` upload).
    if (hasTags(fault, "path", "conflict", "folder"))
      throw new ProviderError(`${job.remote} is a folder on site ${client.site}; not ${doing}`, false, {
        cause: error,
      });
    if (hasTags(fault, "path", "conflict"))
      throw new ProviderError(`${job.remote} already exists on site ${client.site}`, false, { cause: error });
    throw client.fail(error, doing);
  } finally {
    await file.close();
  }
  progress(job.size);
  const local = hashes.content.digest();
  if (metadata.size !== job.size || metadata.content_hash !== local) {
    const why =
      metadata.size !== job.size
        ? `Dropbox holds ${metadata.size} bytes of ${job.size}`
        : `Dropbox's content_hash ${metadata.content_hash} differs from that of the bytes read, ${local}`;
    // A damaged new file goes (best effort): a retry would find it in the way.
    if (!job.overwrite)
      await client.call((dbx) => dbx.filesDeleteV2({ path: job.remote })).catch(() => undefined);
    throw new ProviderError(
      `the upload of ${job.local} to ${job.remote} on site ${client.site} is damaged: ${why}`,
    );
  }
  options.onResumeToken?.(null);
  return { size: job.size, ...(hashes.sha256 ? { hash: hashes.sha256.digest("hex") } : {}) };
}

/** Reads `length` bytes at `offset`, hashing them. */
async function readAt(file: FileHandle, offset: number, length: number, hashes: Hashes, job: UploadJob) {
  const bytes = Buffer.alloc(length);
  const { bytesRead } = length ? await file.read(bytes, 0, length, offset) : { bytesRead: 0 };
  if (bytesRead !== length)
    throw new ProviderError(
      `${job.local} changed size while it was being uploaded (read ${bytesRead} of ${length} bytes at ${offset})`,
    );
  hashes.feed(bytes, offset);
  return bytes;
}

async function single(
  client: DropboxClient,
  file: FileHandle,
  job: UploadJob,
  commit: files.CommitInfo,
  hashes: Hashes,
  progress: (done: number) => void,
  signal: AbortSignal | undefined,
): Promise<files.FileMetadata> {
  const bytes = await readAt(file, 0, job.size, hashes, job);
  return client.call(
    (dbx) => dbx.filesUpload({ ...commit, contents: streamOf(bytes, PIECE, progress) }),
    signal ? { signal } : {},
  );
}

async function session(
  client: DropboxClient,
  file: FileHandle,
  job: UploadJob,
  commit: files.CommitInfo,
  hashes: Hashes,
  progress: (done: number) => void,
  tuning: UploadTuning,
  resume: ResumeToken | undefined,
  options: TransferOptions,
): Promise<files.FileMetadata> {
  const { signal } = options;
  const call = signal ? { signal } : {};
  let id: string | undefined;
  let offset = 0;
  const token = () => options.onResumeToken?.(JSON.stringify({ v: 1, session: id, offset, size: job.size }));
  /** Reads (and hashes) what Dropbox already holds up to `to`, sending nothing. */
  const skipTo = async (to: number) => {
    for (let at = hashes.at; at < to; at += tuning.chunk)
      await readAt(file, at, Math.min(tuning.chunk, to - at), hashes, job);
    offset = to;
    progress(offset);
  };

  if (resume) {
    id = resume.session;
    await skipTo(resume.offset);
    try {
      await client.call(
        (dbx) =>
          dbx.filesUploadSessionAppendV2({
            cursor: { session_id: resume.session, offset },
            close: false,
            contents: Buffer.alloc(0),
          }),
        call,
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const fault = faultOf(error);
      const correct = correctOffset(fault);
      if (correct !== undefined && correct > offset && correct <= job.size) await skipTo(correct);
      else if (correct !== undefined || sessionGone(fault))
        id = undefined; // Dropbox lost it, or holds less: start over.
      else throw error;
    }
  }
  if (id === undefined) {
    hashes.reset();
    offset = 0;
    // A start whose answer was lost leaves a session nobody knows (Dropbox drops it within a week): ask again.
    for (let attempt = 0; id === undefined; attempt++) {
      try {
        const started = await client.call(
          (dbx) => dbx.filesUploadSessionStart({ close: false, contents: Buffer.alloc(0) }),
          call,
        );
        id = started.session_id;
      } catch (error) {
        if (signal?.aborted || !isTransient(faultOf(error)) || attempt >= MAX_RESENDS) throw error;
      }
    }
  }
  token();
  const session = id;

  let resends = 0;
  for (;;) {
    const last = job.size - offset <= tuning.chunk;
    const length = Math.min(tuning.chunk, job.size - offset);
    const from = offset;
    const bytes = await readAt(file, from, length, hashes, job);
    const body = () => streamOf(bytes, PIECE, (sent) => progress(from + sent));
    try {
      if (last) {
        return await client.call(
          (dbx) =>
            dbx.filesUploadSessionFinish({
              cursor: { session_id: session, offset: from },
              commit,
              contents: body(),
            }),
          call,
        );
      }
      await client.call(
        (dbx) =>
          dbx.filesUploadSessionAppendV2({
            cursor: { session_id: session, offset: from },
            close: false,
            contents: body(),
          }),
        call,
      );
      offset = from + length;
      resends = 0;
      token();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const fault = faultOf(error);
      const correct = correctOffset(fault);
      if (correct !== undefined && correct > from && correct <= from + length) {
        // Dropbox took (part of) what we sent though the answer was lost: go on from where it is.
        offset = correct;
        token();
        continue;
      }
      if (last && resends > 0 && sessionGone(fault)) {
        // A finish whose answer was lost may have made the file: it is ours if it holds our bytes.
        const made = await client
          .call((dbx) => dbx.filesGetMetadata({ path: job.remote }), call)
          .catch(() => undefined);
        if (made && made[".tag"] === "file" && made.size === job.size) return made as files.FileMetadata;
      }
      if (sessionGone(fault)) {
        options.onResumeToken?.(null);
        throw new ProviderError(
          `Dropbox no longer has the upload session of ${job.local} to ${job.remote} on site ${client.site}; the next attempt starts over`,
          true,
          { cause: error },
        );
      }
      if (!isTransient(fault) || resends >= MAX_RESENDS) throw error;
      resends++;
    }
  }
}
