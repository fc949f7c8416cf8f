/**
 * The one transfer path every provider goes through (STYLE.md): the file is
 * written under a temporary name next to its final path, verified (size, and
 * the content hash recorded at publish when the provider hashed the bytes it
 * wrote), and only then renamed into place. So a file at its final path is
 * always complete and verified, whichever provider wrote it and however the
 * process died.
 *
 * Downloads land on this machine, whose disk the engine flushes itself: the
 * verified temporary files of a representation are flushed together (one
 * syncfs, see lib/fs/durable.ts) and then renamed, by `placeDownloads`.
 * Uploads are flushed and renamed by the remote provider, one by one.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { SiteProvider } from "../../providers/provider.js";
import { ProviderError, TransferError } from "../errors.js";
import { renameFiles } from "../fs/copy-workers.js";
import { flushFiles } from "../fs/durable.js";
import type { FileJob } from "./types.js";

export interface TransferContext {
  remoteProvider: SiteProvider;
  /** Local folders already made during this run, so each is made once. */
  madeDirs?: Set<string>;
  onProgress?: (transferred: number, total: number) => void;
  signal?: AbortSignal;
}

/** The parent of a path in either separator style (remote providers use POSIX paths). */
function parentOf(p: string): string {
  const cut = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return cut > 0 ? p.slice(0, cut) : p;
}

/** `.<name>.sitesync-<pid>-<random>.part`, next to the final path (same file system, atomic rename). */
function tempNameFor(p: string): string {
  const cut = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  const base = p.slice(cut + 1).slice(0, 100);
  return `${p.slice(0, cut + 1)}.${base}.sitesync-${process.pid}-${randomBytes(6).toString("hex")}.part`;
}

/**
 * Removes temporary files a stopped or killed transfer left next to the
 * targets of these jobs. Safe because the jobs' files are claimed: no live
 * process is writing them. One listing per folder, not per file.
 */
export async function clearStaleTemps(jobs: FileJob[]): Promise<void> {
  const byDir = new Map<string, Set<string>>();
  for (const job of jobs) {
    if (job.direction !== "download") continue;
    const dir = path.dirname(job.localPath);
    const names = byDir.get(dir) ?? new Set<string>();
    names.add(path.basename(job.localPath).slice(0, 100));
    byDir.set(dir, names);
  }
  for (const [dir, bases] of byDir) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const match = /^\.+(.+?)\.sitesync-.*\.part$/.exec(name);
      if (match?.[1] && bases.has(match[1])) await unlink(path.join(dir, name)).catch(() => undefined);
    }
  }
}

/** A moved file: its bytes, and for a download the verified temporary file `placeDownloads` puts in place. */
export interface Moved {
  bytes: number;
  temp?: string;
}

/** Moves one file; resolves with the bytes moved, throws ProviderError/TransferError otherwise. */
export async function transferOnce(job: FileJob, context: TransferContext): Promise<Moved> {
  const { remoteProvider: remote, signal } = context;
  const options = {
    overwrite: false,
    direct: true,
    deferSync: job.direction === "download",
    sizeHint: job.file.size,
    hash: job.file.sha256 && remote.capabilities.hashes.includes("sha256") ? "sha256" : undefined,
    ...(context.onProgress ? { onProgress: context.onProgress } : {}),
    ...(signal ? { signal } : {}),
  };
  if (job.direction === "download") {
    const temp = tempNameFor(job.localPath);
    try {
      const dir = path.dirname(job.localPath);
      if (!context.madeDirs?.has(dir)) {
        await mkdir(dir, { recursive: true });
        context.madeDirs?.add(dir);
      }
      const result = await remote.download(job.remotePath, temp, options);
      verify(job, result.size ?? (await stat(temp)).size, result.hash);
      return { bytes: job.file.size, temp };
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }
  const temp = tempNameFor(job.remotePath);
  try {
    await remote.mkdirs(parentOf(job.remotePath));
    const result = await remote.upload(job.localPath, temp, options);
    verify(job, (await remote.stat(temp))?.size ?? -1, result.hash);
    await remote.rename(temp, job.remotePath, { overwrite: true });
  } catch (error) {
    await remote.remove(temp).catch(() => undefined);
    throw error;
  }
  return { bytes: job.file.size };
}

/**
 * Puts verified downloads in place: their contents are flushed to disk
 * together, then each is renamed to its final path. Resolves with an error
 * message per download (null when it is in place); a download that failed is
 * removed, never left at its final path.
 */
export async function placeDownloads(
  downloads: { temp: string; final: string }[],
): Promise<(string | null)[]> {
  const flushed = await flushFiles(downloads.map((d) => d.temp));
  const ready = downloads.filter((_, i) => flushed[i] === null);
  const renamed = await renameFiles(ready.map((d) => ({ from: d.temp, to: d.final })));
  const renameErrors = new Map(ready.map((d, i) => [d, renamed[i] ?? null]));
  const messages = downloads.map((d, i) => {
    const error = flushed[i] ?? renameErrors.get(d) ?? null;
    return error ? `cannot put ${d.final} in place: ${error.message}` : null;
  });
  await Promise.all(
    downloads.map((d, i) => (messages[i] ? unlink(d.temp).catch(() => undefined) : undefined)),
  );
  return messages;
}

function verify(job: FileJob, size: number, hash: string | undefined): void {
  if (size !== job.file.size) {
    // The source is not the file that was published (changed or truncated since): retrying cannot help.
    throw new ProviderError(
      `${job.file.name}: copy has ${size} bytes but the published file has ${job.file.size}; the source differs from the publish`,
      false,
    );
  }
  if (hash !== undefined && job.file.sha256 !== undefined && hash !== job.file.sha256) {
    throw new TransferError(
      `${job.file.name}: content hash ${hash} differs from the published ${job.file.sha256}`,
    );
  }
}
