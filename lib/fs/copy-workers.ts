/**
 * Small-file copies on worker threads. A 16 KiB copy through fs/promises is
 * about a dozen separate trips to libuv's thread pool (stat, open, read,
 * write, futimes, fsync, close...), and for small files those trips, not the
 * bytes, are the cost. A worker does the whole copy with synchronous calls in
 * one go (read, write, keep mtime, fsync, hash) and answers once. Batches of
 * fsyncs and renames go the same way, one message for many files. The
 * workers' code is workers/copy-worker.mjs.
 */
import type { Worker } from "node:worker_threads";
import { WorkerPool } from "./job-worker.js";
import type { JobError } from "./workers/protocol.mjs";

/** Per item of a batch: null when it worked, else the error's message and code. */
export type BatchErrors = (JobError | null)[];

/**
 * Workers spend much of their time waiting on the disk (creating files, and
 * fsync when the caller does not flush in a batch), not on a core, so there
 * are more of them than cores: their waits overlap. Four, not eight: each
 * costs about 9 MiB once started (its own V8 heap and Node environment), and
 * since downloads are flushed per representation eight were no faster than
 * four on a 2-core machine (bench/sync-pass.ts at 10,000 and 40,000 files,
 * on disk and on tmpfs; 3,000 fsynced copies), while four kept a
 * 10,000-file pass 43 MiB lower (bench/memory.ts). rclone moves 4 files at
 * once by default too.
 */
const WORKERS = 4;

const pool = new WorkerPool(new URL("./workers/copy-worker.mjs", import.meta.url), "copy worker", WORKERS);

/** For tests only: the live copy worker threads, to terminate them. */
export function workersForTests(): Worker[] {
  return pool.threads();
}

/** `what` names the job in the error if its worker stops: "copying A to B". */
function send<T>(request: Record<string, unknown>, what: string): Promise<T> {
  return pool.pick().run<T>(request, what);
}

/** "3 files (a, ...)": a batch named by its size and first item. */
function batch(count: number, first: string): string {
  return `${count} file${count === 1 ? "" : "s"} (${first}${count > 1 ? ", ..." : ""})`;
}

/**
 * Copies a small file to a fresh path (`wx`) with the source mtime; fsynced
 * unless `sync` is false (the caller then flushes it before using it);
 * optionally hashes it.
 */
export async function copySmallFile(
  source: string,
  target: string,
  options: { hash: boolean; sync: boolean },
): Promise<{ size: number; hash?: string }> {
  const result = await send<{ size: number; hash?: string }>(
    { op: "copy", source, target, ...options },
    `copying ${source} to ${target}`,
  );
  return { size: result.size, ...(result.hash ? { hash: result.hash } : {}) };
}

/** fsyncs each file; one trip to a worker for all of them. */
export async function fsyncFiles(files: string[]): Promise<BatchErrors> {
  if (files.length === 0) return [];
  return (
    await send<{ errors: BatchErrors }>(
      { op: "fsync", files },
      `flushing ${batch(files.length, files[0] ?? "")} to disk`,
    )
  ).errors;
}

/** Renames each `from` to `to` (replacing what is there); one trip to a worker for all of them. */
export async function renameFiles(moves: { from: string; to: string }[]): Promise<BatchErrors> {
  if (moves.length === 0) return [];
  const what = `renaming ${batch(moves.length, `${moves[0]?.from} to ${moves[0]?.to}`)}`;
  return (await send<{ errors: BatchErrors }>({ op: "rename", moves }, what)).errors;
}
