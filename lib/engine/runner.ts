/**
 * Runs claimed file jobs: bounded concurrency, retries with exponential
 * backoff up to retry_cnt, state recorded through the StateRecorder. Shared
 * by the loop's passes and on-demand requests, so both move files the same way.
 */
import path from "node:path";
import pLimit from "p-limit";
import { ProviderError } from "../errors.js";
import { fsyncDirs } from "../fs/atomic-copy.js";
import { backoffMs, delay } from "./backoff.js";
import type { StateRecorder } from "./recorder.js";
import { clearStaleTemps, type TransferContext, transferOnce } from "./transfer.js";
import type { EngineListener, FileJob, FileOutcome } from "./types.js";

export interface RunOptions {
  recorder: StateRecorder;
  remoteProvider: TransferContext["remoteProvider"];
  retryCnt: number;
  retryBaseMs: number;
  concurrency: number;
  signal: AbortSignal;
  emit: EngineListener;
}

export async function runJobs(jobs: FileJob[], options: RunOptions): Promise<FileOutcome[]> {
  if (jobs.length === 0) return [];
  await clearStaleTemps(jobs);
  await options.recorder.started(jobs);
  const madeDirs = new Set<string>();
  const limit = pLimit(options.concurrency);
  const byRepresentation = new Map<string, { left: number; done: FileOutcome[] }>();
  for (const job of jobs) {
    const entry = byRepresentation.get(job.representationId) ?? { left: 0, done: [] };
    entry.left += 1;
    byRepresentation.set(job.representationId, entry);
  }
  const outcomes = await Promise.all(
    jobs.map((job) =>
      limit(async () => {
        const outcome = await runJob(job, options, madeDirs);
        options.emit({ type: "file-done", outcome });
        // Results go to the store once per representation, when its last file is done.
        const entry = byRepresentation.get(job.representationId);
        if (entry) {
          entry.done.push(outcome);
          entry.left -= 1;
          if (entry.left === 0) {
            // The new names must survive a power cut before the state says the files are here.
            const landed = entry.done.filter((o) => o.status === "ok" && o.job.direction === "download");
            await fsyncDirs(landed.map((o) => path.dirname(o.job.localPath)));
            await options.recorder.finished(entry.done);
          }
        }
        return outcome;
      }),
    ),
  );
  return outcomes;
}

async function runJob(job: FileJob, options: RunOptions, madeDirs: Set<string>): Promise<FileOutcome> {
  const { recorder, signal } = options;
  let retries = job.retries;
  for (;;) {
    if (signal.aborted) return { status: "aborted", job };
    options.emit({ type: "file-start", job });
    try {
      const bytes = await transferOnce(job, {
        remoteProvider: options.remoteProvider,
        madeDirs,
        signal,
        onProgress: (transferred, total) => {
          options.emit({ type: "file-progress", job, transferred, total });
          void recorder.progress(job, transferred, total, retries).catch(() => undefined);
        },
      });
      return { status: "ok", job, bytes };
    } catch (error) {
      if (signal.aborted) return { status: "aborted", job };
      retries += 1;
      const message = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof ProviderError && !error.retryable;
      if (permanent || retries >= options.retryCnt) {
        return {
          status: "failed",
          job,
          retries,
          message: permanent ? `${message} (not retried: permanent error)` : message,
        };
      }
      const wait = backoffMs(retries, options.retryBaseMs);
      options.emit({ type: "file-retry", job, retries, message, delayMs: wait });
      await recorder.retrying(job, retries, message);
      try {
        await delay(wait, signal);
      } catch {
        return { status: "aborted", job };
      }
    }
  }
}
