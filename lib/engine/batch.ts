/**
 * Batch uploads (docs/architecture.md "Batch uploads"): where the remote
 * provider has `uploadBatch` (rclone), a representation's small uploads go
 * together, in groups bounded by files and bytes so a stop waits for one
 * group at most. The provider stages the group's files on the site; each is
 * verified here as `transferOnce` verifies one file; the good ones are placed
 * with one call. A file the batch could not stage, verify or place goes on
 * alone, through `transferOnce` and its retries, so a batch never fails a
 * file that the one-by-one path would have moved.
 */
import type { SiteProvider, StagedBatch } from "../../providers/provider.js";
import { verify } from "./transfer.js";
import type { EngineListener, FileJob } from "./types.js";

/** At most this many files, and this many bytes, per batch. */
export const BATCH_MAX_FILES = 500;
export const BATCH_MAX_BYTES = 256 * 1024 * 1024;

/**
 * The jobs in units of work, as indexes into `jobs`: one job alone, or a
 * group of one representation's small uploads for a provider with batches.
 */
export function unitsOf(jobs: readonly FileJob[], remote: SiteProvider): number[][] {
  const below = remote.capabilities.batchFilesBelow;
  if (!remote.uploadBatch || !below) return jobs.map((_, i) => [i]);
  const units: number[][] = [];
  const open = new Map<string, { unit: number[]; bytes: number }>();
  for (const [i, job] of jobs.entries()) {
    if (job.direction !== "upload" || job.unresolved || job.resume || job.file.size >= below) {
      units.push([i]);
      continue;
    }
    let group = open.get(job.representationId);
    if (!group || group.unit.length >= BATCH_MAX_FILES || group.bytes + job.file.size > BATCH_MAX_BYTES) {
      group = { unit: [], bytes: 0 };
      open.set(job.representationId, group);
      units.push(group.unit);
    }
    group.unit.push(i);
    group.bytes += job.file.size;
  }
  return units;
}

export interface BatchContext {
  remoteProvider: SiteProvider;
  signal: AbortSignal;
  leaseMs: number;
  emit: EngineListener;
}

/** Uploads `jobs` as one batch; resolves with the jobs now in place (the others go alone). */
export async function runBatch(jobs: readonly FileJob[], context: BatchContext): Promise<Set<FileJob>> {
  const { remoteProvider: remote, signal } = context;
  const none = new Set<FileJob>();
  if (!remote.uploadBatch || signal.aborted) return none;
  for (const job of jobs) context.emit({ type: "file-start", job });
  const sha256 =
    remote.capabilities.hashes.includes("sha256") && jobs.some((job) => job.file.sha256 !== undefined);
  let staged: StagedBatch;
  try {
    staged = await remote.uploadBatch(
      jobs.map((job) => ({ localPath: job.localPath, sitePath: job.remotePath })),
      { signal, staleAfterMs: context.leaseMs, ...(sha256 ? { hash: "sha256" } : {}) },
    );
  } catch {
    return none;
  }
  const good: number[] = [];
  for (const [i, file] of staged.files.entries()) {
    if ("error" in file) continue;
    try {
      verify(jobs[i] as FileJob, file.size, file.hash);
      good.push(i);
    } catch {
      // Goes alone, whose own attempt reports why (a source that differs from the publish, say).
    }
  }
  if (signal.aborted || good.length === 0) {
    await staged.discard().catch(() => undefined);
    return none;
  }
  const problems = await staged.place(good).catch((error: unknown) => good.map(() => error));
  const placed = new Set(good.filter((_, k) => problems[k] === null).map((i) => jobs[i] as FileJob));
  for (const job of placed)
    context.emit({ type: "file-progress", job, transferred: job.file.size, total: job.file.size });
  return placed;
}
