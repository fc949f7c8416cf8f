/**
 * Copying a file on this machine so that the target path either does not
 * exist or holds the whole, fsynced file: the local_drive provider's upload
 * and download, and the hook's copy into the work area, both use it. Plain
 * options in, Node-style errors out (errors.ts: a `code` and a message naming
 * the path); the local_drive provider turns them into ProviderErrors.
 */
import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import fs, { type FileHandle, open } from "node:fs/promises";
import path from "node:path";
import pLimit from "p-limit";
import { PathError } from "../errors.js";
import { copySmallFile } from "./copy-workers.js";
import { flushFiles, flushFolders } from "./durable.js";
import { codeOf, FsError, fsError, MissingSourceError } from "./errors.js";
import { WorkerSha256 } from "./hasher.js";
import { tempNameFor } from "./temp-names.js";
import { utimeSeconds } from "./workers/times.mjs";

export { utimeSeconds };

/** Large chunks: fewer syscalls and progress calls per file; artists wait on these copies. */
const CHUNK = 1024 * 1024;

/** Called while bytes move: `copied` of the source's `total` bytes are written. */
export type CopyProgress = (copied: number, total: number) => void;

/** How copyFileAtomic copies (the local_drive provider passes its TransferOptions as they are). */
export interface CopyOptions {
  /** Replace an existing file at the target path; without it an existing target fails with EEXIST. */
  overwrite?: boolean;
  onProgress?: CopyProgress;
  signal?: AbortSignal;
  /** "sha256": also hash the bytes written, in the same pass. Other names are not computed here. */
  hash?: string;
  /**
   * The target is a fresh, private temporary name in an existing folder that
   * the caller renames into place itself: it is written in place.
   */
  direct?: boolean;
  /** The size the caller expects, so a small file can go to a copy worker without a stat first. */
  sizeHint?: number;
  /** With `direct`: the caller flushes the file to disk itself (with others, in one go), so no fsync here. */
  deferSync?: boolean;
}

/** What copyFileAtomic wrote: the source's size, and its sha256 when asked. */
export interface CopyResult {
  size: number;
  hash?: string;
}

/**
 * Copies files already on this machine and already verified (a site's copies
 * into the work area): the kernel copies each, or clones on file systems that
 * can (XFS, btrfs, APFS), to a temporary name with the source mtime; all are
 * flushed to disk together (lib/fs/durable.ts), then linked into place,
 * never over an existing file, group after group in the order given (so a
 * workfile can come last, after its resources), and the new names fsynced.
 * On an error the copies not yet in place are removed.
 */
export async function cloneFilesAtomic(groups: { source: string; target: string }[][]): Promise<void> {
  const copies = groups.flat();
  for (const { source, target } of copies) {
    requireAbsolute(source, "source");
    requireAbsolute(target, "target");
  }
  const temps = new Map(copies.map((c) => [c, tempNameFor(c.target)]));
  const limit = pLimit(8);
  try {
    await allOrFirstError(
      copies.map((c) => limit(() => cloneToTemp(c.source, temps.get(c) as string, c.target))),
    );
    const flushed = await flushFiles([...temps.values()]);
    const failed = copies.findIndex((_, i) => flushed[i] !== null);
    if (failed >= 0) {
      const { target } = copies[failed] as { target: string };
      const flushError = flushed[failed];
      throw new FsError(`cannot write ${target} to disk: ${flushError?.message}`, flushError?.code ?? "EIO");
    }
    for (const group of groups) {
      await allOrFirstError(
        group.map((c) =>
          limit(async () => {
            const temp = temps.get(c) as string;
            await placeFile(temp, c.target, false).catch((error: unknown) => {
              throw fsError(error, `move ${path.basename(temp)} into place as`, c.target);
            });
            temps.delete(c);
          }),
        ),
      );
    }
    await flushFolders(copies.map((c) => path.dirname(c.target)));
  } finally {
    await Promise.all([...temps.values()].map(unlinkQuietly));
  }
}

/**
 * Like Promise.all, but waits for every promise to settle before rejecting:
 * the cleanup that follows a failure must not race copies still running.
 */
async function allOrFirstError(promises: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(promises);
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
}

/** One copy of cloneFilesAtomic, to its temporary name, not yet flushed. */
async function cloneToTemp(source: string, temp: string, target: string): Promise<void> {
  try {
    const srcStat = await fs.stat(source, { bigint: true });
    await ensureDir(path.dirname(target));
    await fs.copyFile(source, temp, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
    await fs.utimes(temp, utimeSeconds(srcStat.atimeNs), utimeSeconds(srcStat.mtimeNs));
    checkCopiedSize((await fs.stat(temp)).size, Number(srcStat.size), source, target);
  } catch (error) {
    throw fsError(await missingSourceOr(error, source), `copy ${source} to`, target);
  }
}

/** mkdir -p. */
export async function ensureDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
}

export async function pathExists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** link() errors meaning "this file system has no hard links" (FAT/exFAT, some SMB shares). */
const NO_HARDLINK_CODES = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"]);

/** `error` as a MissingSourceError when it is an ENOENT and the source is gone (not the target's folder). */
async function missingSourceOr(error: unknown, source: string): Promise<unknown> {
  if (codeOf(error) !== "ENOENT" || (await pathExists(source))) return error;
  return new MissingSourceError(source, { cause: error });
}

export function requireAbsolute(p: string, what: string): void {
  // A relative path would silently resolve against the process's cwd, far from any site root.
  if (!path.isAbsolute(p)) throw new PathError(`${what} must be an absolute path, got "${p}"`);
}

/**
 * Throws (code ESIZE) when the copy on disk does not have the source's size
 * (short write, or the source changed meanwhile). Worth trying again: the
 * usual cause is a source still being written; a later pass copies the finished file.
 */
export function checkCopiedSize(written: number, expected: number, source: string, target: string): void {
  if (written === expected) return;
  throw new FsError(
    `copy of ${source} to ${target} wrote ${written} bytes but the source has ${expected}; ` +
      "the source changed during the copy or the disk write was short",
    "ESIZE",
  );
}

/**
 * Moves the finished temp file to `target`. Without overwrite, `link` is the
 * atomic "create only if absent" the rename syscall lacks: it fails with
 * EEXIST when another writer got there first, and nothing is clobbered. File
 * systems without hard links fall back to check-then-rename, whose race window
 * is the few microseconds between the two calls.
 */
export async function placeFile(temp: string, target: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await fs.rename(temp, target);
    return;
  }
  try {
    await fs.link(temp, target);
  } catch (error) {
    const code = codeOf(error);
    if (code === "EEXIST") throw existsError(target);
    if (code === undefined || !NO_HARDLINK_CODES.has(code)) throw error;
    if (await pathExists(target)) throw existsError(target);
    await fs.rename(temp, target);
    return;
  }
  await fs.unlink(temp);
}

function existsError(target: string): FsError {
  return new FsError(`${target} already exists; pass overwrite to replace it`, "EEXIST");
}

/**
 * Copies a file in CHUNK pieces into `target`. With `hash`, the pieces are
 * hashed on the hash worker while the next ones are copied (the main thread
 * would otherwise spend ~0.9 s per GiB on sha256), and come back for reuse.
 */
async function copyChunks(
  source: string,
  target: FileHandle,
  total: number,
  options: { hash: boolean; onProgress?: CopyProgress; signal?: AbortSignal },
): Promise<{ size: number; hash?: string }> {
  const spare: Buffer[] = [];
  const input = await open(source, "r");
  // After the open: a hasher must be ended (digest or drop) to free its memory for other transfers.
  const hasher = options.hash ? new WorkerSha256({ pieceSize: CHUNK, label: source }) : undefined;
  let copied = 0;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      // The hasher's pieces are bounded: this waits while the hash is behind the copy.
      const piece = hasher ? await hasher.piece() : (spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK));
      const { bytesRead } = await input.read(piece, 0, CHUNK, copied);
      if (bytesRead === 0) {
        hasher?.recycle(piece);
        break;
      }
      await writeAll(target, piece.subarray(0, bytesRead));
      copied += bytesRead;
      if (hasher) hasher.update(piece, bytesRead);
      else spare.push(piece);
      options.onProgress?.(copied, total);
    }
    return { size: copied, ...(hasher ? { hash: await hasher.digest() } : {}) };
  } catch (error) {
    hasher?.drop();
    throw error;
  } finally {
    await input.close();
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

async function unlinkQuietly(p: string): Promise<void> {
  await fs.unlink(p).catch(() => undefined);
}

/**
 * Copies `source` to `target` so that `target` either does not exist or holds
 * the whole file: the bytes go to a temp name in the target's folder (same file
 * system, so the final rename is atomic), are fsynced, size-checked and only
 * then renamed into place. Fixes AYON's in-place copy that left a truncated
 * file at the final path after a crash. The source mtime is kept (to the
 * microsecond, see `utimeSeconds`) because AYON's "op3" file hash is
 * basename|mtime|size.
 */
export async function copyFileAtomic(
  source: string,
  target: string,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const { overwrite = false, onProgress, signal } = options;
  const digest = options.hash === "sha256" ? createHash("sha256") : undefined;
  requireAbsolute(source, "source");
  requireAbsolute(target, "target");
  signal?.throwIfAborted();

  if (options.direct === true && options.sizeHint !== undefined && options.sizeHint <= CHUNK) {
    // Small files: one trip to a worker instead of a dozen to the thread pool (see copy-workers.ts).
    try {
      const copied = await copySmallFile(source, target, {
        hash: digest !== undefined,
        sync: options.deferSync !== true,
      });
      onProgress?.(copied.size, copied.size);
      return { size: copied.size, ...(copied.hash ? { hash: copied.hash } : {}) };
    } catch (error) {
      throw fsError(await missingSourceOr(error, source), `copy ${source} to`, target);
    }
  }
  const srcStat = await fs.stat(source, { bigint: true }).catch(async (error: unknown) => {
    throw fsError(await missingSourceOr(error, source), "read", source);
  });
  if (srcStat.isDirectory()) throw new FsError(`${source} is a folder, not a file`, "EISDIR");
  // `direct`: the caller handed us a fresh private temporary name and renames it itself after
  // verifying, so writing it in place is already atomic; no second temp name, link and unlink.
  const direct = options.direct === true;
  if (!direct && !overwrite && (await pathExists(target))) throw existsError(target);

  const total = Number(srcStat.size);
  const temp = direct ? target : tempNameFor(target);
  let stage = "create a temporary file for";
  try {
    if (!direct) await ensureDir(path.dirname(target));
    const handle = await open(temp, "wx");
    let workerHash: string | undefined;
    try {
      stage = `copy ${source} to`;
      let transferred = 0;
      // The sink writes through the FileHandle itself: an fs.WriteStream on a handle it may not
      // close holds a reference that makes handle.close() wait forever. Counting after each write
      // makes progress mean bytes handed to the disk, with no per-chunk stream or allocation.
      if (total <= CHUNK) {
        // Small files (most of a publish's resources): one read and one write, no streams to set up.
        signal?.throwIfAborted();
        const data = await fs.readFile(source);
        await writeAll(handle, data);
        digest?.update(data);
        transferred = data.length;
        if (total > 0) onProgress?.(transferred, total);
      } else {
        const copied = await copyChunks(source, handle, total, {
          hash: digest !== undefined,
          ...(onProgress ? { onProgress } : {}),
          ...(signal ? { signal } : {}),
        });
        transferred = copied.size;
        workerHash = copied.hash;
      }
      stage = "finish the copy to";
      await handle.utimes(utimeSeconds(srcStat.atimeNs), utimeSeconds(srcStat.mtimeNs));
      if (!(direct && options.deferSync === true)) await handle.sync();
      // writeAll loops until every byte is written, so the count is what is on disk.
      checkCopiedSize(transferred, total, source, target);
      // A 0-byte file moves no chunk; report once so callers always see completion.
      if (total === 0) onProgress?.(0, 0);
    } finally {
      await handle.close();
    }
    if (!direct) {
      stage = `move ${path.basename(temp)} into place as`;
      await placeFile(temp, target, overwrite);
    }
    const hash = workerHash ?? digest?.digest("hex");
    return { size: total, ...(hash ? { hash } : {}) };
  } catch (error) {
    await unlinkQuietly(temp);
    if (signal?.aborted) throw signal.reason;
    throw fsError(await missingSourceOr(error, source), stage, target);
  }
}
