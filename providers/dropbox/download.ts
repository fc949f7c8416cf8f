/**
 * Downloads stream Dropbox's bytes to the name the caller gives (the engine's
 * temporary name), hashing them on the way when asked, with progress
 * (providers/shared/download-file.ts). The request goes first, so a missing
 * file writes nothing here. The copy gets Dropbox's `client_modified`, the
 * source's time (AYON's op3 hash).
 */
import { ProviderError } from "../../lib/errors.js";
import type { TransferOptions, TransferResult } from "../provider.js";
import { writeDownload } from "../shared/download-file.js";
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
  return writeDownload(
    response,
    local,
    total,
    options,
    { doing, site: client.site },
    (error) => client.fail(error, doing),
    result.client_modified,
  );
}
