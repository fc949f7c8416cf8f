/**
 * Uploads as Google recommends for anything but tiny files: a resumable
 * session, sent in chunks (`chunk_size_mib`, a multiple of 256 KiB as Drive
 * requires), each chunk read once and hashed as it is read (md5 for the
 * check against Drive's `md5Checksum`, sha256 when the engine asks). A
 * dropped connection or a server error asks the session how far it got and
 * goes on from the last byte Drive acknowledged. An overwrite sends new
 * content to the existing file, so the name is never doubled.
 *
 * An upload of more than one chunk hands the engine a resume token (the
 * session URI, with the source's size and time) that the engine keeps with
 * the file's state (docs/architecture.md "Resumable uploads"): a process
 * stopped or killed mid-upload leaves its session open, and the next attempt,
 * in whatever process, asks Drive how far it got, hashes the bytes already
 * sent from the local file, and sends the rest. A failed upload cancels its
 * session: Drive creates the file only when the last byte arrives, so nothing
 * is left behind.
 */
import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { ProviderError } from "../../lib/errors.js";
import { WorkerSha256 } from "../../lib/fs/hasher.js";
import type { TransferOptions, TransferResult } from "../provider.js";
import { type DriveClient, ITEM_FIELDS } from "./client.js";
import { faultOf } from "./errors.js";
import { type Answer, askStatus, cancel, sendChunk, sessionUrl, type Uploaded } from "./session.js";

const MiB = 1024 * 1024;
/** Connection drops one upload survives before the engine's own retry takes over. */
const MAX_RESUMES = 5;

export interface UploadTarget {
  /** The existing file to give new content (overwrite), or where to create one. */
  existingId?: string;
  parentId: string;
  name: string;
  /** The path, for messages. */
  remote: string;
}

/**
 * An upload's result, with the file Drive made (or gave new content): a
 * resumed session creates a file this process never asked for, and the
 * caller's knowledge of the folder must learn of it.
 */
export interface DriveUploadResult extends TransferResult {
  file: Uploaded;
}

export async function resumableUpload(
  client: DriveClient,
  local: string,
  target: UploadTarget,
  source: { size: number; mtimeMs: number },
  chunkSize: number,
  options: TransferOptions,
): Promise<DriveUploadResult> {
  const { signal } = options;
  const doing = `uploading ${local} to ${target.remote}`;
  const resumed = options.resumeFrom
    ? await resumeSession(client, options.resumeFrom, source, signal, doing)
    : undefined;
  const session = resumed?.session ?? (await startSession(client, local, target, source, signal, doing));
  // A token only for more than one chunk: what a single chunk would save is not worth a store write.
  const handedOut = source.size > chunkSize;
  if (handedOut && !resumed) options.onResumeToken?.(JSON.stringify({ session, ...source } satisfies Token));
  return sendFile(client, session, local, target, source, chunkSize, options, resumed?.answer, handedOut);
}

/** What a resume token carries: the session, and the source it was started for. */
interface Token {
  session: string;
  size: number;
  mtimeMs: number;
}

/**
 * The session of an earlier attempt, with how far it got; none when it cannot
 * be used (another source, expired, unknown to Drive), and then it is
 * cancelled and the upload starts over.
 */
async function resumeSession(
  client: DriveClient,
  token: string,
  source: { size: number; mtimeMs: number },
  signal: AbortSignal | undefined,
  doing: string,
): Promise<{ session: string; answer: Answer } | undefined> {
  let parsed: Partial<Token>;
  try {
    parsed = JSON.parse(token) as Partial<Token>;
  } catch {
    return undefined;
  }
  const { session } = parsed;
  if (typeof session !== "string" || !session.startsWith(client.base.replace(/\/+$/, ""))) return undefined;
  if (parsed.size !== source.size || parsed.mtimeMs !== source.mtimeMs) {
    await cancel(client, session);
    return undefined;
  }
  try {
    return { session, answer: await askStatus(client, session, source.size, signal) };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const status = faultOf(error).status ?? 0;
    // Gone (expired after a week, cancelled) or refused: a new session. Anything else may pass.
    if (status >= 400 && status < 500) return undefined;
    throw client.fail(error, `asking how far the earlier upload got, ${doing}`);
  }
}

async function startSession(
  client: DriveClient,
  local: string,
  target: UploadTarget,
  source: { size: number; mtimeMs: number },
  signal: AbortSignal | undefined,
  doing: string,
): Promise<string> {
  // Drive's answer to the last byte describes the file whole, so the caller's folder listing learns of it.
  const query = `uploadType=resumable&supportsAllDrives=true&fields=${encodeURIComponent(ITEM_FIELDS)}`;
  const url = target.existingId
    ? `${client.base}upload/drive/v3/files/${encodeURIComponent(target.existingId)}?${query}`
    : `${client.base}upload/drive/v3/files?${query}`;
  const modifiedTime = new Date(source.mtimeMs).toISOString();
  const metadata = target.existingId
    ? { modifiedTime }
    : { name: target.name, parents: [target.parentId], modifiedTime };
  try {
    const started = await client.fetch(
      url,
      () => ({
        method: target.existingId ? "PATCH" : "POST",
        headers: {
          "content-type": "application/json; charset=UTF-8",
          "x-upload-content-length": String(source.size),
          "x-upload-content-type": "application/octet-stream",
        },
        body: JSON.stringify(metadata),
      }),
      signal,
    );
    const location = started.headers.get("location");
    await started.body?.cancel();
    if (!location) throw new ProviderError(`Drive started no upload session ${doing} on site ${client.site}`);
    return sessionUrl(location, client.base);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw client.fail(error, `starting the upload of ${local} to ${target.remote}`);
  }
}

/**
 * Sends the file to the session from where Drive has it (`from`: the answer
 * of a resumed session), hashing every byte once in order, and checks what
 * Drive made of it.
 */
async function sendFile(
  client: DriveClient,
  session: string,
  local: string,
  target: UploadTarget,
  source: { size: number; mtimeMs: number },
  chunkSize: number,
  options: TransferOptions,
  from: Answer | undefined,
  handedOut: boolean,
): Promise<DriveUploadResult> {
  const { signal } = options;
  const doing = `uploading ${local} to ${target.remote}`;

  // md5 here, sha256 (when the engine asks) on the hash worker: the two cost about 4.5 s of CPU per GiB
  // together, as much as sending the bytes on loopback.
  const md5 = createHash("md5");
  const sha256 = options.hash === "sha256" ? new WorkerSha256({ pieceSize: MiB, label: local }) : undefined;
  const hash = async (bytes: Buffer) => {
    md5.update(bytes);
    if (!sha256) return;
    for (let at = 0; at < bytes.length; ) {
      const piece = await sha256.piece();
      const copied = bytes.copy(piece, 0, at, at + piece.length);
      sha256.update(piece, copied);
      at += copied;
    }
  };
  let reported = 0;
  const progress = (done: number) => {
    if (done > reported || (done === 0 && source.size === 0 && reported === 0)) {
      reported = done;
      options.onProgress?.(done, source.size);
    }
  };
  const file = await open(local, "r");
  let result: Uploaded | undefined = from && "done" in from ? from.done : undefined;
  try {
    let acked = from && "acked" in from ? from.acked : 0;
    // Bytes an earlier attempt sent: hashed from the file here, so the check covers the whole file.
    await hashPrefix(file, result ? source.size : acked, chunkSize, hash, local);
    progress(result ? source.size : acked);
    let resumes = 0;
    // Bytes read (and hashed, once, in order) but not yet acknowledged, from `acked` on. Every request
    // but the last sends a whole `chunkSize` from `acked`, so it stays a multiple of 256 KiB even when
    // Drive kept part of a request cut short.
    const pending = new Pending();
    const fill = async (upTo: number) => {
      const start = acked + pending.length;
      const end = Math.min(upTo, source.size);
      if (end <= start) return;
      const more = Buffer.allocUnsafe(end - start);
      const { bytesRead } = await file.read(more, 0, more.length, start);
      if (bytesRead !== more.length)
        throw new ProviderError(`${local} changed size while ${doing} on site ${client.site}`);
      await hash(more);
      pending.push(more);
    };
    while (result === undefined) {
      const length = Math.min(chunkSize, source.size - acked);
      await fill(acked + length);
      const from = acked;
      const sending = sendChunk(client, session, pending.take(length), from, source.size, signal, (sent) =>
        progress(from + sent),
      );
      // The next chunk is read and hashed while this one travels and Drive takes it.
      const ahead = fill(from + length + chunkSize).then(
        () => undefined,
        (error: unknown) => ({ error }),
      );
      let answer: Answer;
      try {
        answer = await sending;
      } catch (error) {
        await ahead;
        if (signal?.aborted) throw signal.reason;
        const fault = faultOf(error);
        // A dropped connection or a server error: ask the session how far it got, and go on from there.
        const dropped = fault.code !== undefined || (fault.status ?? 0) >= 500;
        if (!dropped || resumes >= MAX_RESUMES) throw error;
        resumes++;
        answer = await askStatus(client, session, source.size, signal);
      }
      const failed = await ahead;
      if (failed) throw failed.error;
      if ("done" in answer) result = answer.done;
      else {
        if (answer.acked < from || answer.acked > from + pending.length)
          throw new ProviderError(
            `Drive acknowledged byte ${answer.acked} after ${from} had been ${doing} on site ${client.site}`,
          );
        pending.drop(answer.acked - from);
        acked = answer.acked;
      }
    }
  } catch (error) {
    sha256?.drop();
    // A stopped upload whose token the engine keeps leaves its session open for the next attempt.
    if (signal?.aborted && handedOut) throw signal.reason;
    await cancel(client, session);
    if (handedOut) options.onResumeToken?.(null);
    if (signal?.aborted) throw signal.reason;
    throw client.fail(error, doing);
  } finally {
    await file.close();
  }
  progress(source.size);
  const sha256Hex = sha256 ? await sha256.digest() : undefined;
  const md5Hex = md5.digest("hex");
  const size = Number(result.size ?? Number.NaN);
  if (size !== source.size || (result.md5Checksum && result.md5Checksum !== md5Hex)) {
    const why =
      size !== source.size
        ? `Drive holds ${result.size ?? "an unknown number of"} bytes of ${source.size}`
        : `Drive's md5 ${result.md5Checksum} differs from the md5 of the bytes sent, ${md5Hex}`;
    if (handedOut) options.onResumeToken?.(null);
    // A damaged new file goes (best effort): a retry would find it in the way.
    if (!target.existingId && result.id) {
      const url = `${client.base}drive/v3/files/${encodeURIComponent(result.id)}?supportsAllDrives=true`;
      await client
        .fetch(url, () => ({ method: "DELETE" }))
        .then((response) => response.body?.cancel())
        .catch(() => undefined);
    }
    throw new ProviderError(
      `the upload of ${local} to ${target.remote} on site ${client.site} is damaged: ${why}`,
      true,
    );
  }
  return { size: source.size, ...(sha256Hex ? { hash: sha256Hex } : {}), file: result };
}

/** Reads and hashes the first `length` bytes of the file. */
async function hashPrefix(
  file: FileHandle,
  length: number,
  pieceSize: number,
  hash: (bytes: Buffer) => Promise<void>,
  local: string,
): Promise<void> {
  for (let at = 0; at < length; ) {
    const piece = Buffer.allocUnsafe(Math.min(pieceSize, length - at));
    const { bytesRead } = await file.read(piece, 0, piece.length, at);
    if (bytesRead !== piece.length) throw new ProviderError(`${local} is shorter than when its upload began`);
    await hash(piece);
    at += piece.length;
  }
}

/**
 * The bytes read but not yet acknowledged, as the buffers they were read
 * into: a chunk is usually one of them whole, so it is sent without a copy.
 */
class Pending {
  private parts: Buffer[] = [];
  length = 0;

  push(bytes: Buffer): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  /** The first `length` bytes (a copy only when they span two reads). */
  take(length: number): Buffer {
    const [first] = this.parts;
    if (first && first.length >= length) return first.subarray(0, length);
    return Buffer.concat(this.parts, this.length).subarray(0, length);
  }

  /** Forgets the first `count` bytes (acknowledged by Drive). */
  drop(count: number): void {
    this.length -= count;
    while (count > 0) {
      const first = this.parts[0] as Buffer;
      if (first.length > count) {
        this.parts[0] = first.subarray(count);
        return;
      }
      this.parts.shift();
      count -= first.length;
    }
  }
}
