/**
 * The one transfer path every provider goes through (docs/architecture.md
 * "Transfers and temporary names"; docs/style.md "One interface, many
 * backends"): the file is written under a temporary name next to its final
 * path, verified (size, and the content hash recorded at publish when the
 * provider hashed the bytes it wrote), and only then renamed into place. So
 * a file at its final path is always complete and verified, whichever
 * provider wrote it and however the process died.
 *
 * Downloads land on this machine, whose disk the engine flushes itself: the
 * verified temporary files of a representation are flushed together (one
 * syncfs, see lib/fs/durable.ts) and then renamed, by `placeDownloads`.
 * Uploads are flushed and renamed by the remote provider, one by one.
 */
import { mkdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import pLimit from "p-limit";
import type { SiteProvider } from "../../providers/provider.js";
import { ProviderError, TransferError } from "../errors.js";
import { renameFiles } from "../fs/copy-workers.js";
import { flushFiles } from "../fs/durable.js";
import { baseOf, parentOf, sweepSiteTemps, sweepTemps, tempNameFor } from "../fs/temp-names.js";
import type { ResumePoint } from "../store/types.js";
import type { FileJob } from "./types.js";

export interface TransferContext {
  remoteProvider: SiteProvider;
  /** Local folders already made during this run, so each is made once. */
  madeDirs?: Set<string>;
  onProgress?: (transferred: number, total: number) => void;
  signal?: AbortSignal;
  /** An earlier attempt's upload to go on with, when the remote provider can resume. */
  resume?: ResumePoint;
  /** Told where this upload could go on after a crash, or `null` once that point is gone. */
  onResume?: (point: ResumePoint | null) => void;
}

/**
 * Removes the temporary files dead writers left in the folders these jobs
 * write to: on this machine for downloads, on the remote site (through its
 * provider) for uploads. Only this package's exact names (lib/fs/temp-names.ts),
 * older than the claim lease: a younger one may be a live writer's, on
 * another machine sharing the folder with its own store. Where every writer
 * claims in this store (`claimsShared`, a studio's PostgreSQL), a temporary
 * file that would become one of these jobs' files, whose claims this run
 * holds, is a writer's that lost its claim, and goes whatever its age: a
 * writer killed just before its lease lapsed leaves one younger than the
 * lease when its files are taken over. Litter never fails a pass: a folder
 * that cannot be swept now is swept by a later pass, and a real site problem
 * fails the transfers.
 */
export async function sweepStaleTemps(
  jobs: FileJob[],
  remote: SiteProvider,
  leaseMs: number,
  claimsShared: boolean,
): Promise<void> {
  const local = new Map<string, Set<string>>();
  const remoteDirs = new Map<string, Set<string>>();
  const add = (dirs: Map<string, Set<string>>, dir: string, name: string) => {
    const names = dirs.get(dir);
    if (names) names.add(name);
    else dirs.set(dir, new Set([name]));
  };
  for (const job of jobs) {
    if (job.unresolved) continue;
    if (job.direction === "download") add(local, path.dirname(job.localPath), path.basename(job.localPath));
    else add(remoteDirs, parentOf(job.remotePath), baseOf(job.remotePath));
  }
  // A few folders at a time: the remote serves these listings on the connections the transfers wait for.
  const limit = pLimit(4);
  await Promise.all([
    ...[...local].map(([dir, claimedNames]) =>
      limit(() => sweepTemps(dir, { olderThanMs: leaseMs, ...(claimsShared ? { claimedNames } : {}) })),
    ),
    ...[...remoteDirs].map(([dir, claimedNames]) =>
      limit(() =>
        sweepSiteTemps(remote, dir, {
          olderThanMs: leaseMs,
          ...(claimsShared ? { claimedNames } : {}),
        }).catch(() => []),
      ),
    ),
  ]);
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
  // A resumable upload keeps its temporary name across attempts (docs/architecture.md "Resumable
  // uploads"): the provider's session creates the file under that name when its last byte arrives.
  const resumable = remote.capabilities.resumableUploads === true;
  const resumeAt = resumable ? context.resume : undefined;
  const temp = resumeAt?.temp ?? tempNameFor(job.remotePath);
  const { onResume } = context;
  let uploaded = false;
  try {
    await remote.mkdirs(parentOf(job.remotePath));
    const result = await remote.upload(job.localPath, temp, {
      ...options,
      // The temporary name is this file's own: an earlier attempt's finished upload may be there.
      ...(resumeAt ? { resumeFrom: resumeAt.token, overwrite: true } : {}),
      ...(resumable && onResume
        ? { onResumeToken: (token: string | null) => onResume(token === null ? null : { temp, token }) }
        : {}),
    });
    uploaded = true;
    const size = (await remote.stat(temp))?.size;
    if (size === undefined && resumeAt)
      throw new TransferError(`${job.file.name}: the resumed upload left no file at ${temp}; starting over`);
    verify(job, size ?? -1, result.hash);
    await remote.rename(temp, job.remotePath, { overwrite: true });
  } catch (error) {
    // Once the upload has returned there is nothing left to resume: its file goes with its point.
    // Before that, the provider says itself when it gives its point up (an abort keeps it).
    if (uploaded) onResume?.(null);
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

/** Throws unless the copy has the published size and, when both are known, its content hash. */
export function verify(job: FileJob, size: number, hash: string | undefined): void {
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
