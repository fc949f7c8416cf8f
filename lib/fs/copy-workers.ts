/**
 * Small-file copies on worker threads. A 16 KiB copy through fs/promises is
 * about a dozen separate trips to libuv's thread pool (stat, open, read,
 * write, futimes, fsync, close...), and for small files those trips, not the
 * bytes, are the cost. A worker does the whole copy with synchronous calls in
 * one go (read, write, keep mtime, fsync, hash) and answers once. Batches of
 * fsyncs and renames go the same way, one message for many files. The code
 * runs as an eval'd worker so it works from the sources and the build alike.
 */
import type { Worker } from "node:worker_threads";
import { JobWorker } from "./job-worker.js";

/**
 * The largest read buffer a worker keeps between copies (the small-file
 * limit of lib/fs/atomic-copy.ts, and the byte that tells a file grew).
 */
const REUSED_MAX = 1024 * 1024 + 1;

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const crypto = require("node:crypto");
// utimeSeconds of lib/fs/atomic-copy.ts: the time to the microsecond, not one early.
function utimeSeconds(ns) {
  return Number(ns / 1000000000n) + (Number((ns % 1000000000n) / 1000n) * 1000 + 500) / 1e9;
}
// Every copy reads into this one buffer, grown to the largest small file seen (at most REUSED_MAX):
// a new buffer per file (readFileSync) is collected so late that a worker held about 10 MiB of them.
const REUSED_MAX = ${REUSED_MAX};
let reused = Buffer.allocUnsafeSlow(64 * 1024);
// The file to its end (as readFileSync reads it): its first bytes, and how many it had. The
// buffer holds one byte more than the size said, so a file that grew since is told by its count.
function readWhole(source, size) {
  if (size >= reused.length && size < REUSED_MAX) {
    let length = reused.length;
    while (length <= size) length *= 2;
    reused = Buffer.allocUnsafeSlow(Math.min(length, REUSED_MAX));
  }
  // A larger file (the caller's size was out of date) gets a buffer of its own, not kept.
  const buffer = size < reused.length ? reused : Buffer.allocUnsafeSlow(size + 1);
  const fd = fs.openSync(source, "r");
  try {
    let length = 0;
    let beyond = 0;
    for (;;) {
      // Past the buffer the bytes only count (the copy fails): read over the buffer's start.
      const full = length === buffer.length;
      const read = full
        ? fs.readSync(fd, buffer, 0, buffer.length, null)
        : fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      if (full) beyond += read;
      else length += read;
    }
    return { data: buffer.subarray(0, length), total: length + beyond };
  } finally {
    fs.closeSync(fd);
  }
}
function copy({ source, target, hash, sync }) {
  let fd;
  try {
    const stat = fs.statSync(source, { bigint: true });
    const { data, total } = readWhole(source, Number(stat.size));
    if (total !== Number(stat.size)) throw Object.assign(new Error("the source changed while it was read"), { code: "ESIZE" });
    fd = fs.openSync(target, "wx");
    let offset = 0;
    while (offset < data.length) offset += fs.writeSync(fd, data, offset);
    fs.futimesSync(fd, utimeSeconds(stat.atimeNs), utimeSeconds(stat.mtimeNs));
    if (sync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    const digest = hash ? crypto.createHash("sha256").update(data).digest("hex") : undefined;
    return { size: data.length, hash: digest };
  } catch (error) {
    if (fd !== undefined) { try { fs.closeSync(fd); } catch {} }
    if (error && error.code !== "EEXIST") { try { fs.unlinkSync(target); } catch {} }
    throw error;
  }
}
function fsyncFile(file) {
  const fd = fs.openSync(file, "r");
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}
function each(items, action) {
  return items.map((item) => {
    try { action(item); return null; }
    catch (error) { return { message: String(error && error.message), code: error && error.code }; }
  });
}
parentPort.on("message", (message) => {
  const { id, op } = message;
  try {
    let result;
    if (op === "copy") result = copy(message);
    else if (op === "fsync") result = { errors: each(message.files, fsyncFile) };
    else if (op === "rename") result = { errors: each(message.moves, (m) => fs.renameSync(m.from, m.to)) };
    else throw new Error("unknown operation " + op);
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

/** Per item of a batch: null when it worked, else the error's message and code. */
export type BatchErrors = ({ message: string; code?: string } | null)[];

/**
 * Workers spend much of their time waiting on the disk (creating files, and
 * fsync when the caller does not flush in a batch), not on a core, so there
 * are more of them than cores: their waits overlap.
 */
const WORKERS = 8;

const workers: JobWorker[] = [];

function pick(): JobWorker {
  if (workers.length < WORKERS) {
    const created = new JobWorker(WORKER_SOURCE, "copy worker", (stopped) => {
      // Its jobs are rejected; the next request starts a fresh worker in its place.
      const at = workers.indexOf(stopped);
      if (at >= 0) workers.splice(at, 1);
    });
    workers.push(created);
    return created;
  }
  return workers.reduce((a, b) => (b.pending < a.pending ? b : a));
}

/** For tests only: the live copy worker threads, to terminate them. */
export function workersForTests(): Worker[] {
  return workers.map((w) => w.thread);
}

/** `what` names the job in the error if its worker stops: "copying A to B". */
function send<T>(request: Record<string, unknown>, what: string): Promise<T> {
  return pick().run<T>(request, what);
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
