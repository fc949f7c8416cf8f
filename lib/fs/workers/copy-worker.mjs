// @ts-check
/**
 * A copy worker (../copy-workers.ts): a small file's whole copy with
 * synchronous calls in one go (read, write, keep mtime, fsync, hash), and
 * batches of fsyncs and renames, one message for many files.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  futimesSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { jobError, ownerPort } from "./protocol.mjs";
import { utimeSeconds } from "./times.mjs";

/** @typedef {import("./protocol.mjs").JobError} JobError */
/** @typedef {{ source: string; target: string; hash: boolean; sync: boolean }} CopyJob */
/**
 * @typedef {({ id: number; op: "copy" } & CopyJob)
 *   | { id: number; op: "fsync"; files: string[] }
 *   | { id: number; op: "rename"; moves: { from: string; to: string }[] }} CopyRequest
 */

/**
 * The largest read buffer a worker keeps between copies: the small-file limit
 * of lib/fs/atomic-copy.ts (1 MiB), and the byte that tells a file grew.
 */
const REUSED_MAX = 1024 * 1024 + 1;

const port = ownerPort();

// Every copy reads into this one buffer, grown to the largest small file seen (at most REUSED_MAX):
// a new buffer per file (readFileSync) is collected so late that a worker held about 10 MiB of them.
let reused = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * The file to its end (as readFileSync reads it): its first bytes, and how many it had. The
 * buffer holds one byte more than the size said, so a file that grew since is told by its count.
 * @param {string} source
 * @param {number} size
 * @returns {{ data: Buffer; total: number }}
 */
function readWhole(source, size) {
  if (size >= reused.length && size < REUSED_MAX) {
    let length = reused.length;
    while (length <= size) length *= 2;
    reused = Buffer.allocUnsafeSlow(Math.min(length, REUSED_MAX));
  }
  // A larger file (the caller's size was out of date) gets a buffer of its own, not kept.
  const buffer = size < reused.length ? reused : Buffer.allocUnsafeSlow(size + 1);
  const fd = openSync(source, "r");
  try {
    let length = 0;
    let beyond = 0;
    for (;;) {
      // Past the buffer the bytes only count (the copy fails): read over the buffer's start.
      const full = length === buffer.length;
      const read = full
        ? readSync(fd, buffer, 0, buffer.length, null)
        : readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      if (full) beyond += read;
      else length += read;
    }
    return { data: buffer.subarray(0, length), total: length + beyond };
  } finally {
    closeSync(fd);
  }
}

/**
 * @param {CopyJob} job
 * @returns {{ size: number; hash: string | undefined }}
 */
function copy({ source, target, hash, sync }) {
  /** @type {number | undefined} */
  let fd;
  try {
    const stat = statSync(source, { bigint: true });
    const { data, total } = readWhole(source, Number(stat.size));
    if (total !== Number(stat.size)) {
      throw Object.assign(new Error("the source changed while it was read"), { code: "ESIZE" });
    }
    fd = openSync(target, "wx");
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset);
    futimesSync(fd, utimeSeconds(stat.atimeNs), utimeSeconds(stat.mtimeNs));
    if (sync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    const digest = hash ? createHash("sha256").update(data).digest("hex") : undefined;
    return { size: data.length, hash: digest };
  } catch (error) {
    if (fd !== undefined) quietly(() => closeSync(/** @type {number} */ (fd)));
    // The target is ours to remove unless it was there before ("wx" refused it).
    if (jobError(error).code !== "EEXIST") quietly(() => unlinkSync(target));
    throw error;
  }
}

/** @param {() => void} action */
function quietly(action) {
  try {
    action();
  } catch {
    // Cleanup after a failure: the failure is what gets reported.
  }
}

/** @param {string} file */
function fsyncFile(file) {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Per item: null when `action` worked, else its error.
 * @template T
 * @param {T[]} items
 * @param {(item: T) => void} action
 * @returns {(JobError | null)[]}
 */
function each(items, action) {
  return items.map((item) => {
    try {
      action(item);
      return null;
    } catch (error) {
      return jobError(error);
    }
  });
}

port.on("message", (/** @type {CopyRequest} */ request) => {
  const { id } = request;
  try {
    /** @type {unknown} */
    let result;
    if (request.op === "copy") result = copy(request);
    else if (request.op === "fsync") result = { errors: each(request.files, fsyncFile) };
    else if (request.op === "rename")
      result = { errors: each(request.moves, (m) => renameSync(m.from, m.to)) };
    else throw new Error(`unknown operation ${/** @type {{ op: unknown }} */ (request).op}`);
    port.postMessage({ id, result });
  } catch (error) {
    port.postMessage({ id, error: jobError(error) });
  }
});
