import path from "node:path";

/**
 * AYON's file "hash" (hash_type "op3"): not a content hash but
 * `basename|mtime|size` with dots replaced by commas, mtime in seconds as
 * Python prints a float.
 */
export function op3Hash(filePath: string, mtimeMs: number, size: number): string {
  return [path.basename(filePath), String(mtimeMs / 1000), String(size)].join("|").replaceAll(".", ",");
}

/** sha256 of a file's content: the one helper (read and hashed on the hash worker, lib/fs/hasher.ts). */
export { sha256File } from "../fs/hasher.js";
