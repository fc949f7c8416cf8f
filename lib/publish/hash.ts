import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";

/**
 * AYON's file "hash" (hash_type "op3"): not a content hash but
 * `basename|mtime|size` with dots replaced by commas, mtime in seconds as
 * Python prints a float.
 */
export function op3Hash(filePath: string, mtimeMs: number, size: number): string {
  return [path.basename(filePath), String(mtimeMs / 1000), String(size)].join("|").replaceAll(".", ",");
}

/** sha256 of a file's content, streamed. */
export async function sha256File(filePath: string): Promise<string> {
  const digest = createHash("sha256");
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 }))
    digest.update(chunk as Buffer);
  return digest.digest("hex");
}
