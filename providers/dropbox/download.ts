/**
 * Downloads stream Dropbox's bytes to the name the caller gives (the engine's
 * temporary name), hashing them on the way when asked, with progress. The
 * request goes first, so a missing file writes nothing here; the local file
 * is then created with `wx` (an existing one is refused unless overwrite is
 * asked for), and a failed or stopped download removes what it wrote. The
 * copy gets Dropbox's `client_modified`, the source's time (AYON's op3 hash).
 */
import { createHash } from "node:crypto";
import { type FileHandle, open, unlink, utimes } from "node:fs/promises";
import { ProviderError } from "../../lib/errors.js";
import type { TransferOptions, TransferResult } from "../provider.js";
import type { DropboxClient } from "./client.js";
import { faultOf, hasTags } from "./errors.js";

interface Result {
  size?: number;
  client_modified?: string;
}

export async function streamDownload(
  client: DropboxClient,
  remote: string,
  local: string,
  options: TransferOptions,
): Promise<TransferResult> {
  const { signal } = options;
  const doing = `downloading ${remote} to ${local}`;
  let response: Response;
  try {
    response = await client.content("files/download", { path: remote }, signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const fault = faultOf(error);
    if (hasTags(fault, "path", "not_found"))
      throw new ProviderError(`${remote} is missing on site ${client.site}`, false, { cause: error });
    if (hasTags(fault, "path", "not_file"))
      throw new ProviderError(
        `${remote} is a folder on site ${client.site}; only files are downloaded`,
        false,
        {
          cause: error,
        },
      );
    throw client.fail(error, doing);
  }
  let result: Result = {};
  try {
    result = JSON.parse(response.headers.get("dropbox-api-result") ?? "{}") as Result;
  } catch {
    // Without it the size is checked against Content-Length alone.
  }
  const total = result.size ?? Number(response.headers.get("content-length") ?? 0);
  if (options.overwrite) await unlink(local).catch(() => undefined);
  let file: FileHandle;
  try {
    file = await open(local, "wx");
  } catch (error) {
    await response.body?.cancel().catch(() => undefined);
    if ((error as { code?: unknown }).code === "EEXIST")
      throw new ProviderError(
        `${local} already exists on this machine; not ${doing} from site ${client.site}`,
        false,
      );
    throw new ProviderError(
      `cannot write ${local} on this machine ${doing} from site ${client.site}: ${(error as Error).message}`,
      false,
      { cause: error },
    );
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
        `${doing} on site ${client.site}: got ${size} bytes of ${total}; the connection ended early`,
      );
    if (!(options.direct && options.deferSync)) await file.sync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(local).catch(() => undefined);
    if (signal?.aborted) throw signal.reason;
    throw client.fail(error, doing);
  }
  await file.close();
  if (result.client_modified) {
    const time = new Date(result.client_modified);
    await utimes(local, time, time);
  }
  return { size, ...(sha256 ? { hash: sha256.digest("hex") } : {}) };
}
