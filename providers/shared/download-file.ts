/**
 * The local side of a download from an HTTP API (Drive, Dropbox): once the
 * service answered, the file is created with `wx` (an existing one is refused unless overwrite is asked
 * for), the response's bytes are written as they come, hashed on the way
 * when asked, with progress; the size is checked, the file flushed unless the
 * caller flushes it with others (`deferSync`), and given the remote's
 * modification time (AYON's op3 hash). A failed or stopped download removes
 * what it wrote.
 */
import { createHash } from "node:crypto";
import { type FileHandle, open, unlink, utimes } from "node:fs/promises";
import { ProviderError } from "../../lib/errors.js";
import type { TransferOptions, TransferResult } from "../provider.js";

/** What the messages say: the download (`downloading A to B`) and the site. */
export interface DownloadWords {
  doing: string;
  site: string;
}

/** Creates the file a download writes. */
async function openDownloadTarget(
  local: string,
  options: TransferOptions,
  words: DownloadWords,
): Promise<FileHandle> {
  if (options.overwrite) await unlink(local).catch(() => undefined);
  return open(local, "wx").catch((error: unknown) => {
    if ((error as { code?: unknown }).code === "EEXIST")
      throw new ProviderError(
        `${local} already exists on this machine; not ${words.doing} from site ${words.site}`,
        false,
      );
    throw new ProviderError(
      `cannot write ${local} on this machine ${words.doing} from site ${words.site}: ${(error as Error).message}`,
      false,
      { cause: error },
    );
  });
}

/**
 * Writes a response's bytes (`total` of them) into a new file at `local` and
 * closes it; on failure removes `local` and throws the abort or
 * `fail(error)`. The response is asked for first, so a missing remote file
 * writes nothing here.
 */
export async function writeDownload(
  response: Response,
  local: string,
  total: number,
  options: TransferOptions,
  words: DownloadWords,
  fail: (error: unknown) => Error,
  modifiedTime?: string,
): Promise<TransferResult> {
  let file: FileHandle;
  try {
    file = await openDownloadTarget(local, options, words);
  } catch (error) {
    await response.body?.cancel().catch(() => undefined);
    throw error;
  }
  const sha256 = options.hash === "sha256" ? createHash("sha256") : undefined;
  let size = 0;
  try {
    if (response.body) {
      for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) {
        sha256?.update(piece);
        await file.write(piece);
        size += piece.length;
        options.onProgress?.(size, total);
      }
    }
    if (total === 0) options.onProgress?.(0, 0);
    if (size !== total)
      throw new ProviderError(
        `${words.doing} on site ${words.site}: got ${size} bytes of ${total}; the connection ended early`,
      );
    if (!(options.direct && options.deferSync)) await file.sync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(local).catch(() => undefined);
    if (options.signal?.aborted) throw options.signal.reason;
    throw fail(error);
  }
  await file.close();
  if (modifiedTime) {
    const time = new Date(modifiedTime);
    await utimes(local, time, time);
  }
  return { size, ...(sha256 ? { hash: sha256.digest("hex") } : {}) };
}
