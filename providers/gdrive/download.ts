/**
 * Downloads stream Drive's bytes to the name the caller gives (the engine's
 * temporary name), hashing them on the way when asked, with progress. The
 * local file is created with `wx` (an existing one is refused unless
 * overwrite is asked for); a failed or stopped download removes what it
 * wrote. The copy gets Drive's modification time (AYON's op3 hash).
 */
import { createHash } from "node:crypto";
import { open, unlink, utimes } from "node:fs/promises";
import { ProviderError } from "../../lib/errors.js";
import type { TransferOptions, TransferResult } from "../provider.js";
import type { DriveClient, DriveItem } from "./client.js";

export async function streamDownload(
  client: DriveClient,
  item: DriveItem,
  remote: string,
  local: string,
  options: TransferOptions,
): Promise<TransferResult> {
  const { signal } = options;
  const doing = `downloading ${remote} to ${local}`;
  const total = Number(item.size ?? 0);
  if (options.overwrite) await unlink(local).catch(() => undefined);
  const file = await open(local, "wx").catch((error: unknown) => {
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
  });
  const sha256 = options.hash === "sha256" ? createHash("sha256") : undefined;
  let size = 0;
  try {
    const url = `${client.base}drive/v3/files/${encodeURIComponent(item.id)}?alt=media&supportsAllDrives=true`;
    const response = await client.fetch(url, () => ({ method: "GET" }), signal);
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
  if (item.modifiedTime) {
    const time = new Date(item.modifiedTime);
    await utimes(local, time, time);
  }
  return { size, ...(sha256 ? { hash: sha256.digest("hex") } : {}) };
}
