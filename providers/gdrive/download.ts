/**
 * Downloads stream Drive's bytes to the name the caller gives (the engine's
 * temporary name), hashing them on the way when asked, with progress, and
 * give the copy Drive's modification time (providers/shared/download-file.ts).
 */
import type { TransferOptions, TransferResult } from "../provider.js";
import { writeDownload } from "../shared/download-file.js";
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
  const url = `${client.base}drive/v3/files/${encodeURIComponent(item.id)}?alt=media&supportsAllDrives=true`;
  let response: Response;
  try {
    response = await client.fetch(url, () => ({ method: "GET" }), signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw client.fail(error, doing);
  }
  return writeDownload(
    response,
    local,
    Number(item.size ?? 0),
    options,
    { doing, site: client.site },
    (error) => client.fail(error, doing),
    item.modifiedTime,
  );
}
