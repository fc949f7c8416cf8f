/**
 * Writes what transfers do into the sync state: IN_PROGRESS when a file
 * starts, progress at most every 2 seconds per file, and results batched per
 * representation (one store write for all its files). After every change the
 * target site's alternative sites get the same state (AYON's
 * handle_alternate_site): they see the same storage.
 */
import { alternativesOf, type ProjectSites } from "../settings/sites.js";
import { SyncStatus } from "../store/status.js";
import type { FileStateUpdate, ResumePoint, SiteStateChange, Store } from "../store/types.js";
import type { FileJob, FileOutcome } from "./types.js";

export const PROGRESS_INTERVAL_MS = 2000;

export class StateRecorder {
  private readonly lastProgress = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly sites: ProjectSites,
    private readonly priority?: number,
  ) {}

  /** Marks files as being transferred. */
  async started(jobs: FileJob[]): Promise<void> {
    await this.write(
      jobs,
      jobs.map((job) => ({
        fileId: job.file.id,
        status: SyncStatus.IN_PROGRESS,
        size: 0,
        retries: job.retries,
        progress: 0,
      })),
    );
  }

  /** Progress of one file, dropped when the last write for that file is less than 2 s old. */
  async progress(job: FileJob, transferred: number, total: number, retries: number): Promise<void> {
    const key = this.key(job);
    const now = Date.now();
    const last = this.lastProgress.get(key);
    // The last bytes: no more progress comes for this attempt, so its clock goes now, not when the
    // representation settles (a clock per file moved made a run's memory follow its file count).
    const complete = transferred >= total;
    // A file's first progress write comes 2 s after its first bytes: small files never write progress.
    if (last === undefined) {
      if (!complete) this.lastProgress.set(key, now);
      return;
    }
    if (now - last < PROGRESS_INTERVAL_MS) {
      if (complete) this.lastProgress.delete(key);
      return;
    }
    if (complete) this.lastProgress.delete(key);
    else this.lastProgress.set(key, now);
    await this.write(
      [job],
      [
        {
          fileId: job.file.id,
          status: SyncStatus.IN_PROGRESS,
          size: transferred,
          retries,
          progress: total ? transferred / total : 1,
        },
      ],
    );
  }

  private key(job: FileJob): string {
    return `${job.representationId}/${job.targetSite}/${job.file.id}`;
  }

  /**
   * A failed attempt that will be retried: the count and message show in
   * status meanwhile, with the resume point the provider still offers.
   */
  async retrying(job: FileJob, retries: number, message: string, resume: ResumePoint | null): Promise<void> {
    await this.write(
      [job],
      [{ fileId: job.file.id, status: SyncStatus.IN_PROGRESS, size: 0, retries, message, resume }],
    );
  }

  /**
   * Where the upload can go on if this process dies now (docs/architecture.md
   * "Resumable uploads"); `null` when the provider gave that point up.
   */
  async resumable(job: FileJob, retries: number, resume: ResumePoint | null): Promise<void> {
    await this.write([job], [{ fileId: job.file.id, status: SyncStatus.IN_PROGRESS, retries, resume }]);
  }

  async finished(outcomes: FileOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    // A settled file sends no more progress (one that failed mid-transfer may still have a clock).
    for (const outcome of outcomes) this.lastProgress.delete(this.key(outcome.job));
    await this.write(
      outcomes.map((o) => o.job),
      outcomes.map((outcome): FileStateUpdate => {
        const fileId = outcome.job.file.id;
        if (outcome.status === "ok")
          return { fileId, status: SyncStatus.OK, size: outcome.bytes, progress: 1 };
        if (outcome.status === "failed") {
          return {
            fileId,
            status: SyncStatus.FAILED,
            size: 0,
            retries: outcome.retries,
            message: outcome.message,
          };
        }
        // Interrupted, not failed: back in the queue with the retries it had.
        return { fileId, status: SyncStatus.QUEUED, size: 0, retries: outcome.job.retries };
      }),
      true,
    );
  }

  /**
   * Groups updates by representation and target site, and writes them with
   * the alternative sites' copies in one transaction per project: a crash
   * never leaves a site and its mirror disagreeing.
   */
  private async write(jobs: FileJob[], updates: FileStateUpdate[], mirror = false): Promise<void> {
    const byProject = new Map<string, Map<string, { job: FileJob; updates: FileStateUpdate[] }>>();
    jobs.forEach((job, index) => {
      const groups = byProject.get(job.project) ?? new Map();
      byProject.set(job.project, groups);
      const key = `${job.representationId}\u0000${job.targetSite}`;
      const group = groups.get(key) ?? { job, updates: [] };
      group.updates.push(updates[index] as FileStateUpdate);
      groups.set(key, group);
    });
    for (const [project, groups] of byProject) {
      const changes: SiteStateChange[] = [];
      for (const { job, updates: files } of groups.values()) {
        const options = { files, ...(this.priority === undefined ? {} : { priority: this.priority }) };
        changes.push({ op: "set", representationId: job.representationId, site: job.targetSite, options });
        // Only settled states are mirrored: progress on an alternative site would be noise.
        const alternatives = mirror ? alternativesOf(this.sites, job.targetSite) : [];
        for (const site of alternatives)
          changes.push({ op: "set", representationId: job.representationId, site, options: { files } });
      }
      // No change carries an expectation, so none can conflict.
      await this.store.changeSiteStates(project, changes);
    }
  }
}
