/**
 * Temporary folders of the benchmarks, under $BENCH_TMP (default: the OS
 * temp folder), and the file-tree helpers they use.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh temp folder under BENCH_TMP (default: the OS temp folder). */
export function tempDir(prefix: string): string {
  const base = process.env.BENCH_TMP || os.tmpdir();
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, `sitesync-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A temp folder for `work`, removed afterwards unless `keep` (then its path is printed). */
export async function withTempDir<T>(prefix: string, keep: boolean, work: (dir: string) => Promise<T>) {
  const dir = tempDir(prefix);
  try {
    return await work(dir);
  } finally {
    if (keep) console.error(`kept ${dir}`);
    else removeDir(dir);
  }
}

/** Every file (not folder) under a folder, as absolute paths. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Reads every file under a folder once, so all contenders start equally warm; returns the count. */
export function readTree(dir: string): number {
  const files = listFiles(dir);
  for (const file of files) readFileSync(file);
  return files.length;
}
