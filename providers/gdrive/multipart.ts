/**
 * A file no bigger than one chunk goes to Drive in ONE request: Google's
 * multipart upload (`uploadType=multipart`, a multipart/related body of
 * the JSON metadata and the bytes), instead of a resumable session and its
 * chunk: two requests. There is nothing to resume in one request, so a
 * dropped connection fails it and the engine tries again. The bytes are
 * read once, hashed as they are read (md5 for the check against Drive's
 * `md5Checksum`, sha256 when the engine asks) and checked like a resumable
 * upload's: Drive's size and md5 against the bytes sent, a damaged new file
 * removed. Drive's answer is the whole item (id, size, md5, time), which the
 * provider remembers so the engine's stat and rename need no lookup.
 */
import { createHash, randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { ProviderError } from "../../lib/errors.js";
import type { TransferOptions, TransferResult } from "../provider.js";
import { type DriveClient, type DriveItem, ITEM_FIELDS } from "./client.js";
import type { UploadTarget } from "./upload.js";

/** Pieces the body is sent in, so progress moves during the request (as a resumable chunk's does). */
const PIECE = 256 * 1024;

export async function multipartUpload(
  client: DriveClient,
  local: string,
  target: UploadTarget,
  source: { size: number; mtimeMs: number },
  options: TransferOptions,
): Promise<{ result: TransferResult; item: DriveItem }> {
  const { signal } = options;
  const doing = `uploading ${local} to ${target.remote}`;
  const bytes = Buffer.alloc(source.size);
  const file = await open(local, "r");
  try {
    const { bytesRead } = await file.read(bytes, 0, bytes.length, 0);
    // One byte more than announced is a file still being written: the stat and the bytes disagree.
    const { bytesRead: extra } = await file.read(Buffer.alloc(1), 0, 1, bytes.length);
    if (bytesRead !== bytes.length || extra !== 0)
      throw new ProviderError(`${local} changed size while ${doing} on site ${client.site}`);
  } finally {
    await file.close();
  }
  const md5 = createHash("md5").update(bytes).digest("hex");
  const sha256 = options.hash === "sha256" ? createHash("sha256").update(bytes).digest("hex") : undefined;

  const modifiedTime = new Date(source.mtimeMs).toISOString();
  const metadata = target.existingId
    ? { modifiedTime }
    : { name: target.name, parents: [target.parentId], modifiedTime };
  // Random, so the bytes cannot hold it by chance (Google's own clients do the same).
  const boundary = `sitesync_${randomBytes(18).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(metadata)}\r\n` +
      `--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const query = `uploadType=multipart&supportsAllDrives=true&fields=${ITEM_FIELDS}`;
  const url = target.existingId
    ? `${client.base}upload/drive/v3/files/${encodeURIComponent(target.existingId)}?${query}`
    : `${client.base}upload/drive/v3/files?${query}`;
  let reported = -1;
  const progress = (done: number) => {
    if (done > reported) {
      reported = done;
      options.onProgress?.(done, source.size);
    }
  };
  let item: DriveItem;
  try {
    const response = await client.fetch(
      url,
      () => {
        // A fresh body for every attempt (a rate-limited one is sent again).
        let sent = 0;
        let headSent = false;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (!headSent) {
              headSent = true;
              controller.enqueue(head);
              return;
            }
            if (sent < bytes.length) {
              const piece = bytes.subarray(sent, sent + PIECE);
              sent += piece.length;
              controller.enqueue(piece);
              progress(sent);
              return;
            }
            controller.enqueue(tail);
            controller.close();
          },
        });
        return {
          method: target.existingId ? "PATCH" : "POST",
          headers: {
            "content-type": `multipart/related; boundary=${boundary}`,
            "content-length": String(head.length + bytes.length + tail.length),
          },
          body,
          duplex: "half",
        } as RequestInit;
      },
      signal,
    );
    item = (await response.json()) as DriveItem;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw client.fail(error, doing);
  }
  progress(source.size);
  const size = Number(item.size ?? Number.NaN);
  if (size !== source.size || (item.md5Checksum && item.md5Checksum !== md5)) {
    const why =
      size !== source.size
        ? `Drive holds ${item.size ?? "an unknown number of"} bytes of ${source.size}`
        : `Drive's md5 ${item.md5Checksum} differs from the md5 of the bytes sent, ${md5}`;
    // A damaged new file goes (best effort): a retry would find it in the way.
    if (!target.existingId && item.id) {
      const remove = `${client.base}drive/v3/files/${encodeURIComponent(item.id)}?supportsAllDrives=true`;
      await client
        .fetch(remove, () => ({ method: "DELETE" }))
        .then((response) => response.body?.cancel())
        .catch(() => undefined);
    }
    throw new ProviderError(
      `the upload of ${local} to ${target.remote} on site ${client.site} is damaged: ${why}`,
      true,
    );
  }
  return { result: { size: source.size, ...(sha256 ? { hash: sha256 } : {}) }, item };
}
