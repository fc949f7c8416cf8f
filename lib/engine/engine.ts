/**
 * The sync engine (docs/domain.md "The engine loop"). A pass plans each enabled,
 * unpaused project (uploads first, then downloads, up to the remote
 * provider's batch limit), claims the files, and runs them through the one
 * transfer path. The engine knows no terminal and does not know who asks:
 * callers listen to its events.
 *
 * Its public API is what the CLI, the service, the launcher's hooks and tests
 * use; nothing outside lib/engine reaches into its fields:
 * - `runPass`: one pass over the projects;
 * - `bring`: these representations on this site now (timeout, signal, events),
 *   and `planBring`, what `bring` would do, with reads only;
 * - `recover`: after a crash, release dead processes' claims and requeue
 *   their files;
 * - `on`: listen to its events; `owner`: the id its claims are taken under.
 */

import { randomBytes } from "node:crypto";
import os from "node:os";
import { batchLimitOf } from "../../providers/registry.js";
import type { Platform } from "../anatomy/roots.js";
import { messageOf } from "../errors.js";
import type { Settings } from "../settings/load.js";
import { SyncStatus } from "../store/status.js";
import type { Project, Store, WorkItem } from "../store/types.js";
import { retryBaseMs } from "./backoff.js";
import {
  type BringPlan,
  type BringReport,
  type BringRequest,
  bring as bringWith,
  planBring,
} from "./bring.js";
import type { ClaimResult, EngineCore } from "./core.js";
import { jobsFor } from "./jobs.js";
import { closePair, openPair, type PairPlan, planPairs, type SyncPair } from "./pair.js";
import { StateRecorder } from "./recorder.js";
import { type RecoverOptions, type RecoverReport, recoverWith } from "./recover.js";
import { runJobs } from "./runner.js";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_LEASE_MS,
  type EngineEvent,
  type EngineListener,
  type FileJob,
  type FileOutcome,
  type PassReport,
  type ProjectReport,
} from "./types.js";

// Files moved at once: lib/engine/types.ts (a publish uses it too, without loading the engine).
export { DEFAULT_CONCURRENCY } from "./types.js";

export interface EngineOptions {
  store: Store;
  settings: Settings;
  /** This process's own site: the workstation's site id, or the site a service runs for. */
  ownSite: string;
  platform: Platform;
  /** Files transferred at once (default DEFAULT_CONCURRENCY). */
  concurrency?: number;
  retryBaseMs?: number;
  /**
   * Also sync the active site with every site of `always_accessible_on`, each
   * pair on its own: the service's job ("everything exported must also reach
   * the vendor site"), not an artist's `sync`, whose workstation may have no
   * way to reach those sites.
   */
  alwaysAccessible?: boolean;
  /** How long a claim lives without a heartbeat (default DEFAULT_LEASE_MS, 30 s). */
  leaseMs?: number;
}

/**
 * When this process started (epoch ms): part of a claim owner's id, as a
 * process id alone means nothing across machines, and is reused on one.
 */
const PROCESS_START = Math.round(Date.now() - process.uptime() * 1000);

export class SyncEngine {
  /** The id this engine's claims are taken under (host/pid/start.random): a service releases them when it stops. */
  readonly owner: string;
  private readonly listeners = new Set<EngineListener>();
  private readonly concurrency: number;
  private readonly baseMs: number;
  private readonly leaseMs: number;
  /** What bring.ts and recover.ts use of this engine. */
  private readonly core: EngineCore;

  constructor(private readonly options: EngineOptions) {
    this.owner = `${os.hostname()}/${process.pid}/${PROCESS_START.toString(36)}.${randomBytes(4).toString("hex")}`;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.baseMs = options.retryBaseMs ?? retryBaseMs();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.core = {
      store: options.store,
      settings: options.settings,
      ownSite: options.ownSite,
      platform: options.platform,
      leaseMs: this.leaseMs,
      claim: (candidates) => this.claim(candidates),
      run: (pair, jobs, signal, priority) => this.run(pair, jobs, signal, priority),
      emit: (event) => this.emit(event),
    };
  }

  /** Calls `listener` with every event of this engine; returns what stops that. */
  on(listener: EngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Brings the representations to the active site now, with the highest
   * priority (lib/engine/bring.ts), and says where each file is there. Throws
   * a TransferError naming the file and why when one cannot come, and at the
   * timeout or when the signal aborts; progress goes to the listeners.
   */
  bring(request: BringRequest): Promise<BringReport> {
    return bringWith(this.core, request);
  }

  /**
   * What `bring` would do with the same request, with reads only: no store
   * write, no transfer, no provider opened, nothing on disk. A dry run uses it.
   */
  planBring(request: BringRequest): Promise<BringPlan> {
    return planBring(this.core, request);
  }

  /**
   * After a crash or a kill (lib/engine/recover.ts): releases the claims of
   * dead processes on this host and puts their files left IN_PROGRESS back to
   * QUEUED. A service runs it once at start; `bring` releases dead owners itself.
   */
  recover(options: RecoverOptions = {}): Promise<RecoverReport> {
    return recoverWith(this.core, options);
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** One pass over the given projects (default: every project in the catalog). */
  async runPass(options: { projects?: string[]; signal?: AbortSignal } = {}): Promise<PassReport> {
    const { store } = this.options;
    const signal = options.signal ?? new AbortController().signal;
    const pauses = await store.getPauses();
    const all = await store.listProjects();
    const wanted = options.projects ? all.filter((p) => options.projects?.includes(p.name)) : all;
    const report: PassReport = { projects: [] };
    for (const project of wanted) {
      if (signal.aborted) break;
      let reason: string | undefined;
      if (pauses.some((p) => p.kind === "service")) reason = "the sync service is paused";
      else if (pauses.some((p) => p.kind === "project" && p.project === project.name))
        reason = "the project is paused";
      const reports = reason
        ? [skipped(project.name, reason, false)]
        : await this.syncProject(project, signal);
      for (const projectReport of reports) {
        if (projectReport.skipped) {
          this.emit({
            type: "project-skipped",
            project: project.name,
            reason: projectReport.skipped,
            problem: projectReport.problem ?? false,
          });
        }
        if (projectReport.error)
          this.emit({ type: "project-failed", project: project.name, message: projectReport.error });
        report.projects.push(projectReport);
      }
    }
    return report;
  }

  /** One report per pair of sites the project gives this process (see planPairs). */
  private async syncProject(project: Project, signal: AbortSignal): Promise<ProjectReport[]> {
    const { settings, ownSite, platform } = this.options;
    const planned = planPairs(project, settings, ownSite, platform, {
      alwaysAccessible: this.options.alwaysAccessible ?? false,
    });
    if (!planned.ok) return [skipped(project.name, planned.reason, planned.problem)];
    const reports: ProjectReport[] = [];
    // Each pair is planned, batched and reported on its own: a vendor site that is down must not
    // stop the studio's uploads to the backup site.
    for (const remoteSite of planned.plan.remotes) {
      if (signal.aborted) break;
      const report = await this.syncPair(project, planned.plan, remoteSite, signal).catch(
        // One pair's failure (the store refusing a write, say) must not end the pass for the others.
        (error: unknown): ProjectReport => ({
          project: project.name,
          remoteSite,
          error: messageOf(error),
          outcomes: [],
          claimedElsewhere: 0,
        }),
      );
      reports.push(report);
    }
    return reports;
  }

  private async syncPair(
    project: Project,
    plan: PairPlan,
    remoteSite: string,
    signal: AbortSignal,
  ): Promise<ProjectReport> {
    const opened = await openPair(project, this.options.settings, plan.sites, remoteSite);
    if (!opened.ok) return { ...skipped(project.name, opened.reason, opened.problem), remoteSite };
    const { pair } = opened;
    try {
      const limit = batchLimitOf(pair.remote.provider);
      // The batch is claimed as it is picked: services on other machines asking now get other files.
      const query = {
        localSite: pair.active.name,
        remoteSite: pair.remote.name,
        limit,
        claimFor: { owner: this.owner, leaseMs: this.leaseMs },
      };
      const uploads = await this.options.store.findWork(project.name, { ...query, direction: "upload" });
      const downloads =
        uploads.length < limit
          ? await this.options.store.findWork(project.name, {
              ...query,
              direction: "download",
              limit: limit - uploads.length,
            })
          : [];
      const candidates = [...jobsFor(pair, uploads, "upload"), ...jobsFor(pair, downloads, "download")];
      const { jobs, claimedElsewhere } = await this.claim(candidates);
      await this.releaseUnused(uploads, "upload", jobs, pair);
      await this.releaseUnused(downloads, "download", jobs, pair);
      this.emit({
        type: "project-start",
        project: project.name,
        activeSite: pair.active.name,
        remoteSite: pair.remote.name,
        files: jobs.length,
        bytes: jobs.reduce((sum, j) => sum + j.file.size, 0),
      });
      const outcomes = await this.run(pair, jobs, signal);
      return {
        project: project.name,
        activeSite: pair.active.name,
        remoteSite: pair.remote.name,
        outcomes,
        claimedElsewhere,
      };
    } finally {
      await closePair(pair);
    }
  }

  /**
   * Claims jobs' files in the store; one job per target path (a path is moved
   * once per pass). The state is read again after claiming: a file another
   * process finished since it was planned is already OK, and is dropped
   * (returned in `alreadyDone`) instead of being moved a second time.
   */
  private async claim(candidates: FileJob[]): Promise<ClaimResult> {
    const { store } = this.options;
    const seen = new Set<string>();
    const unique = candidates.filter((job) => {
      const key = `${job.targetSite}\u0000${job.direction === "download" ? job.localPath : job.remotePath}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const groups = new Map<string, FileJob[]>();
    for (const job of unique) {
      const key = `${job.project}\u0000${job.representationId}\u0000${job.targetSite}`;
      // Pushed, not copied: a copy per job made claiming one representation quadratic in its files.
      const group = groups.get(key);
      if (group) group.push(job);
      else groups.set(key, [job]);
    }
    const jobs: FileJob[] = [];
    const alreadyDone: FileJob[] = [];
    for (const group of groups.values()) {
      const { project, representationId, targetSite } = group[0] as FileJob;
      const claimed = new Set(
        await store.claimFiles(
          project,
          representationId,
          targetSite,
          group.map((j) => j.file.id),
          this.owner,
          this.leaseMs,
        ),
      );
      if (claimed.size === 0) continue;
      const [state] = await store.getSiteStates(project, [representationId], [targetSite]);
      const ok = new Set(state?.files.filter((f) => f.status === SyncStatus.OK).map((f) => f.fileId));
      const done = group.filter((j) => claimed.has(j.file.id) && ok.has(j.file.id));
      if (done.length > 0) {
        await store.releaseClaims(this.owner, {
          project,
          representationId,
          site: targetSite,
          fileIds: done.map((j) => j.file.id),
        });
      }
      alreadyDone.push(...done);
      jobs.push(...group.filter((j) => claimed.has(j.file.id) && !ok.has(j.file.id)));
    }
    return { jobs, alreadyDone, claimedElsewhere: unique.length - jobs.length - alreadyDone.length };
  }

  /**
   * Gives back what the batch query claimed but this pass will not move (a
   * file past retry_cnt, a second file on one target path), so another
   * process can take it now rather than when the lease lapses.
   */
  private async releaseUnused(
    items: WorkItem[],
    direction: "upload" | "download",
    jobs: FileJob[],
    pair: SyncPair,
  ): Promise<void> {
    const site = direction === "download" ? pair.active.name : pair.remote.name;
    const moving = new Set(jobs.map((j) => `${j.representationId}\u0000${j.file.id}`));
    for (const item of items) {
      const unused = (item.claimed ?? []).filter((id) => !moving.has(`${item.representationId}\u0000${id}`));
      if (unused.length === 0) continue;
      await this.options.store.releaseClaims(this.owner, {
        project: pair.project.name,
        representationId: item.representationId,
        site,
        fileIds: unused,
      });
    }
  }

  /** Runs claimed jobs with a claim heartbeat, then releases the claims. */
  private async run(
    pair: SyncPair,
    jobs: FileJob[],
    signal: AbortSignal,
    priority?: number,
  ): Promise<FileOutcome[]> {
    if (jobs.length === 0) return [];
    const { store } = this.options;
    const heartbeat = setInterval(
      () => void store.renewClaims(this.owner, this.leaseMs).catch(() => undefined),
      this.leaseMs / 3,
    );
    heartbeat.unref();
    try {
      return await runJobs(jobs, {
        recorder: new StateRecorder(store, pair.sites, priority),
        remoteProvider: pair.remoteProvider,
        retryCnt: pair.retryCnt,
        retryBaseMs: this.baseMs,
        concurrency: this.concurrency,
        leaseMs: this.leaseMs,
        claimsShared: store.claimsShared === true,
        signal,
        emit: (event) => this.emit(event),
      });
    } finally {
      clearInterval(heartbeat);
      // One statement for the whole run: claims are taken per run and this engine runs one at a time.
      // A store that refuses it must not hide the run's own result: the leases then lapse on their own.
      await store.releaseClaims(this.owner).catch(() => undefined);
    }
  }
}

/** `engine.bring(request)`: the package entry's `bring` (docs/contract.md "Package entry"). */
export function bring(engine: SyncEngine, request: BringRequest): Promise<BringReport> {
  return engine.bring(request);
}

function skipped(project: string, reason: string, problem: boolean): ProjectReport {
  return { project, skipped: reason, ...(problem ? { problem } : {}), outcomes: [], claimedElsewhere: 0 };
}
