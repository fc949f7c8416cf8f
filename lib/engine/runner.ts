/**
 * Runs claimed file jobs: bounded concurrency, retries with exponential
 * backoff up to retry_cnt, state recorded through the StateRecorder. Shared
 * by the loop's passes and on-demand requests, so both move files the same way.
 */
import { unlink } from "node:fs/promises";
import path from "node:path";
import { messageOf, ProviderError } from "../errors.js";
import { flushFolders } from "../fs/durable.js";
import type { ResumePoint } from "../store/types.js";
import { backoffMs, delay } from "./backoff.js";
import { runBatch, unitsOf } from "./batch.js";
import type { StateRecorder } from "./recorder.js";
import { placeDownloads, sweepStaleTemps, type TransferContext, transferOnce } from "./transfer.js";
import type { EngineListener, FileJob, FileOutcome } from "./types.js";

export interface RunOptions {
  recorder: StateRecorder;
  remoteProvider: TransferContext["remoteProvider"];
  retryCnt: number;
  retryBaseMs: number;
  concurrency: number;
  /** The claim lease: temporary files older than this in the jobs' folders are taken for dead writers'. */
  leaseMs: number;
  /** The store's claims are every writer's (Store.claimsShared): a former writer's temporary files of these jobs' files go at once. */
  claimsShared: boolean;
  signal: AbortSignal;
  emit: EngineListener;
}

export async function runJobs(jobs: FileJob[], options: RunOptions): Promise<FileOutcome[]> {
  if (jobs.length === 0) return [];
  await sweepStaleTemps(jobs, options.remoteProvider, options.leaseMs, options.claimsShared);
  await options.recorder.started(jobs);
  const madeDirs = new Set<string>();
  // Files are put in place and recorded once per representation, when its last file is done: its
  // attempts wait here until then, and go with its entry.
  const byRepresentation = new Map<string, { left: number; done: Array<Attempt & { index: number }> }>();
  for (const job of jobs) {
    const entry = byRepresentation.get(job.representationId) ?? { left: 0, done: [] };
    entry.left += 1;
    byRepresentation.set(job.representationId, entry);
  }
  const outcomes: Array<FileOutcome | undefined> = new Array(jobs.length);
  const done = async (index: number, attempt: Attempt): Promise<void> => {
    const job = jobs[index] as FileJob;
    const entry = byRepresentation.get(job.representationId);
    if (!entry) return;
    entry.done.push({ ...attempt, index });
    entry.left -= 1;
    if (entry.left > 0) return;
    byRepresentation.delete(job.representationId);
    const settled = await finish(entry.done, options.recorder);
    for (const [i, attempt] of entry.done.entries()) {
      const outcome = settled[i] as FileOutcome;
      outcomes[attempt.index] = outcome;
      options.emit({ type: "file-done", outcome });
    }
  };
  // Units of work: a job alone, or a batch of a representation's small uploads (batch.ts).
  const units = unitsOf(jobs, options.remoteProvider);
  let next = 0;
  // A fixed set of slots takes the units in order, one at a time: what is live follows the
  // concurrency, not the number of jobs (a promise per job made up front held about 1 KB each).
  // A slot stays taken while its representation is settled: that wait is the backpressure
  // that keeps each flush small.
  const slot = async (): Promise<void> => {
    while (next < units.length) {
      const unit = units[next++] as number[];
      if (unit.length === 1) {
        const index = unit[0] as number;
        await done(index, await runJob(jobs[index] as FileJob, options, madeDirs));
        continue;
      }
      const batch = unit.map((i) => jobs[i] as FileJob);
      const inPlace = await runBatch(batch, options);
      for (const [k, job] of batch.entries()) {
        const index = unit[k] as number;
        const attempt: Attempt = inPlace.has(job)
          ? { outcome: { status: "ok", job, bytes: job.file.size } }
          : await runJob(job, options, madeDirs);
        await done(index, attempt);
      }
    }
  };
  // No slot rejects (runJob and finish catch what they can record), so Promise.all returns
  // only when every transfer has stopped: none is left running behind the caller.
  await Promise.all(Array.from({ length: Math.min(options.concurrency, units.length) }, slot));
  return jobs.map((job, index) => outcomes[index] ?? { status: "aborted", job });
}

/**
 * Settles and records one representation. When that fails (the store refuses
 * the write, the disk is full), its files are reported failed with the reason
 * and the pass goes on; their state stays IN_PROGRESS, which the next start-up
 * recovery puts back to QUEUED.
 */
async function finish(attempts: Attempt[], recorder: StateRecorder): Promise<FileOutcome[]> {
  // One outcome per attempt, in their order (runJobs relies on it).
  let outcomes: FileOutcome[] = [];
  try {
    outcomes = await settle(attempts);
    await recorder.finished(outcomes);
    return outcomes;
  } catch (error) {
    // Temporary files not yet in place are of no use to anybody now.
    await Promise.all(attempts.map((a) => (a.temp ? unlink(a.temp).catch(() => undefined) : undefined)));
    const message = `cannot record the result: ${messageOf(error)}`;
    return attempts.map(({ outcome: { job } }) => ({
      status: "failed",
      job,
      retries: job.retries + 1,
      message,
    }));
  }
}

/** A file's result before it is in place: a verified download still has its temporary name. */
interface Attempt {
  outcome: FileOutcome;
  temp?: string;
}

/**
 * Puts a representation's verified downloads in place (flushed together,
 * then renamed) and makes the new names durable, so the state written next
 * never says OK for a file a power cut could take back.
 */
async function settle(attempts: Attempt[]): Promise<FileOutcome[]> {
  const downloads = attempts.filter((a) => a.temp !== undefined);
  const problems = await placeDownloads(
    downloads.map((a) => ({ temp: a.temp as string, final: a.outcome.job.localPath })),
  );
  const failed = new Map(downloads.map((a, i) => [a, problems[i] ?? null]));
  const outcomes = attempts.map((attempt): FileOutcome => {
    const problem = failed.get(attempt);
    if (!problem) return attempt.outcome;
    const { job } = attempt.outcome;
    return { status: "failed", job, retries: job.retries + 1, message: `${problem} (not retried)` };
  });
  const landed = outcomes.filter((o) => o.status === "ok" && o.job.direction === "download");
  await flushFolders(landed.map((o) => path.dirname(o.job.localPath)));
  return outcomes;
}

async function runJob(job: FileJob, options: RunOptions, madeDirs: Set<string>): Promise<Attempt> {
  const { recorder, signal } = options;
  let retries = job.retries;
  if (job.unresolved) {
    // Retrying cannot resolve a path; fixing the site's roots and `site reset` can.
    const message = `${job.unresolved} (not retried: permanent error)`;
    return { outcome: { status: "failed", job, retries: retries + 1, message } };
  }
  // The upload's resume point, as the provider last gave it (docs/architecture.md "Resumable uploads").
  let resume = job.resume ?? null;
  // Its writes, awaited before the outcome: a late one must never land after the settled state.
  let resumeWrites: Promise<void> = Promise.resolve();
  const onResume = (point: ResumePoint | null) => {
    resume = point;
    resumeWrites = resumeWrites.then(() => recorder.resumable(job, retries, point).catch(() => undefined));
  };
  for (;;) {
    if (signal.aborted) return { outcome: { status: "aborted", job } };
    options.emit({ type: "file-start", job });
    try {
      const moved = await transferOnce(job, {
        remoteProvider: options.remoteProvider,
        madeDirs,
        signal,
        onProgress: (transferred, total) => {
          options.emit({ type: "file-progress", job, transferred, total });
          void recorder.progress(job, transferred, total, retries).catch(() => undefined);
        },
        ...(resume ? { resume } : {}),
        onResume,
      });
      await resumeWrites;
      return {
        outcome: { status: "ok", job, bytes: moved.bytes },
        ...(moved.temp ? { temp: moved.temp } : {}),
      };
    } catch (error) {
      await resumeWrites;
      if (signal.aborted) return { outcome: { status: "aborted", job } };
      retries += 1;
      const message = messageOf(error);
      const permanent = error instanceof ProviderError && !error.retryable;
      if (permanent || retries >= options.retryCnt) {
        return {
          outcome: {
            status: "failed",
            job,
            retries,
            message: permanent ? `${message} (not retried: permanent error)` : message,
          },
        };
      }
      const wait = backoffMs(retries, options.retryBaseMs);
      options.emit({ type: "file-retry", job, retries, message, delayMs: wait });
      // Only informs `status` meanwhile: a store refusing it must not stop the retries.
      await recorder.retrying(job, retries, message, resume).catch(() => undefined);
      try {
        await delay(wait, signal);
      } catch {
        return { outcome: { status: "aborted", job } };
      }
    }
  }
}
