/**
 * Uploads as Google recommends for anything but tiny files: a resumable
 * session, sent in chunks (`chunk_size_mib`, a multiple of 256 KiB as Drive
 * requires), each chunk read once and hashed as it is read (md5 for the
 * check against Drive's `md5Checksum`, sha256 when the engine asks). A
 * dropped connection or a server error asks the session how far it got and
 * goes on from the last byte Drive acknowledged. An overwrite sends new
 * content to the existing file, so the name is never doubled. A stopped
 * upload cancels its session: Drive creates the file only when the last byte
 * arrives, so nothing is left behind.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { ProviderError } from "../../lib/errors.js";
import type { TransferOptions, TransferResult } from "../provider.js";
import type { DriveClient } from "./client.js";
import { faultOf } from "./errors.js";

export const KiB256 = 256 * 1024;
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

interface Uploaded {
  id?: string;
  size?: string;
  md5Checksum?: string;
}

/** `Range: bytes=0-N` of a 308 answer: the bytes Drive holds; none when absent. */
export function acknowledged(range: string | null): number {
  const match = /bytes=0-(\d+)/.exec(range ?? "");
  return match ? Number(match[1]) + 1 : 0;
}

export async function resumableUpload(
  client: DriveClient,
  local: string,
  target: UploadTarget,
  source: { size: number; mtimeMs: number },
  chunkSize: number,
  options: TransferOptions,
): Promise<TransferResult> {
  const { signal } = options;
  const doing = `uploading ${local} to ${target.remote}`;
  const fields = "id,size,md5Checksum";
  const query = `uploadType=resumable&supportsAllDrives=true&fields=${fields}`;
  const url = target.existingId
    ? `${client.base}upload/drive/v3/files/${encodeURIComponent(target.existingId)}?${query}`
    : `${client.base}upload/drive/v3/files?${query}`;
  const modifiedTime = new Date(source.mtimeMs).toISOString();
  const metadata = target.existingId
    ? { modifiedTime }
    : { name: target.name, parents: [target.parentId], modifiedTime };
  let session: string;
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
    session = new URL(location, client.base).href;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw client.fail(error, `starting the upload of ${local} to ${target.remote}`);
  }

  const md5 = createHash("md5");
  const sha256 = options.hash === "sha256" ? createHash("sha256") : undefined;
  let reported = 0;
  const progress = (done: number) => {
    if (done > reported || (done === 0 && source.size === 0 && reported === 0)) {
      reported = done;
      options.onProgress?.(done, source.size);
    }
  };
  const file = await open(local, "r");
  let result: Uploaded | undefined;
  try {
    let acked = 0;
    let resumes = 0;
    // Bytes read (and hashed, once, in order) but not yet acknowledged, from `acked` on. Every request
    // but the last sends a whole `chunkSize` from `acked`, so it stays a multiple of 256 KiB even when
    // Drive kept part of a request cut short.
    let pending = Buffer.alloc(0);
    while (result === undefined) {
      const length = Math.min(chunkSize, source.size - acked);
      if (pending.length < length) {
        const more = Buffer.alloc(length - pending.length);
        const { bytesRead } = await file.read(more, 0, more.length, acked + pending.length);
        if (bytesRead !== more.length)
          throw new ProviderError(`${local} changed size while ${doing} on site ${client.site}`);
        md5.update(more);
        sha256?.update(more);
        pending = pending.length ? Buffer.concat([pending, more]) : more;
      }
      const from = acked;
      let answer: Answer;
      try {
        answer = await sendChunk(
          client,
          session,
          pending.subarray(0, length),
          from,
          source.size,
          signal,
          (sent) => progress(from + sent),
        );
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const fault = faultOf(error);
        // A dropped connection or a server error: ask the session how far it got, and go on from there.
        const dropped = fault.code !== undefined || (fault.status ?? 0) >= 500;
        if (!dropped || resumes >= MAX_RESUMES) throw error;
        resumes++;
        answer = await askStatus(client, session, source.size, signal);
      }
      if ("done" in answer) result = answer.done;
      else {
        if (answer.acked < from || answer.acked > from + pending.length)
          throw new ProviderError(
            `Drive acknowledged byte ${answer.acked} after ${from} had been ${doing} on site ${client.site}`,
          );
        pending = pending.subarray(answer.acked - from);
        acked = answer.acked;
      }
    }
  } catch (error) {
    await cancel(client, session);
    if (signal?.aborted) throw signal.reason;
    throw client.fail(error, doing);
  } finally {
    await file.close();
  }
  progress(source.size);
  const md5Hex = md5.digest("hex");
  const size = Number(result.size ?? Number.NaN);
  if (size !== source.size || (result.md5Checksum && result.md5Checksum !== md5Hex)) {
    const why =
      size !== source.size
        ? `Drive holds ${result.size ?? "an unknown number of"} bytes of ${source.size}`
        : `Drive's md5 ${result.md5Checksum} differs from the md5 of the bytes sent, ${md5Hex}`;
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
  return { size: source.size, ...(sha256 ? { hash: sha256.digest("hex") } : {}) };
}

type Answer = { done: Uploaded } | { acked: number };

async function answerOf(response: Response): Promise<Answer> {
  if (response.status === 308) {
    await response.body?.cancel();
    return { acked: acknowledged(response.headers.get("range")) };
  }
  return { done: (await response.json()) as Uploaded };
}

/** Sends `bytes` from `offset`; its body is a stream of 256 KiB pieces so progress moves within a chunk. */
async function sendChunk(
  client: DriveClient,
  session: string,
  bytes: Buffer,
  offset: number,
  total: number,
  signal: AbortSignal | undefined,
  onSent: (sent: number) => void,
): Promise<Answer> {
  const range =
    bytes.length === 0 ? `bytes */${total}` : `bytes ${offset}-${offset + bytes.length - 1}/${total}`;
  const response = await client.fetch(
    session,
    () => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= bytes.length) {
            controller.close();
            return;
          }
          const piece = bytes.subarray(sent, sent + KiB256);
          sent += piece.length;
          controller.enqueue(piece);
          onSent(sent);
        },
      });
      return {
        method: "PUT",
        headers: { "content-range": range, "content-length": String(bytes.length) },
        body: bytes.length === 0 ? null : body,
        duplex: "half",
      } as RequestInit;
    },
    signal,
    [308],
  );
  return answerOf(response);
}

/** How far the session got (Google's "resume an interrupted upload"). */
async function askStatus(
  client: DriveClient,
  session: string,
  total: number,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  const response = await client.fetch(
    session,
    () => ({ method: "PUT", headers: { "content-range": `bytes */${total}`, "content-length": "0" } }),
    signal,
    [308],
  );
  return answerOf(response);
}

/** Cancels a session (Google answers 499); best effort, the session expires on its own within a week. */
async function cancel(client: DriveClient, session: string): Promise<void> {
  await client
    .fetch(session, () => ({ method: "DELETE" }), undefined, [499, 404])
    .then((response) => response.body?.cancel())
    .catch(() => undefined);
}
