/**
 * After a crash or a kill, files can be left IN_PROGRESS with claims nobody
 * will finish. A service starting up releases the claims of dead processes
 * on this host and puts files still marked IN_PROGRESS without a live claim
 * back to QUEUED (with the retries they had), so nothing is lost or stuck.
 * Callers use `SyncEngine.recover`.
 */
import os from "node:os";
import { processAlive } from "../process.js";
import type { ProjectSites } from "../settings/sites.js";
import { pages } from "../store/paging.js";
import { SyncStatus } from "../store/status.js";
import type { SiteState, SiteStateChange, Store } from "../store/types.js";
import type { EngineCore } from "./core.js";
import { sitesOf } from "./pair.js";

/** A claim owner that was a process on this host which no longer runs. */
export function deadLocalOwner(owner: string): boolean {
  const [host, pid] = owner.split("/");
  if (host !== os.hostname() || !pid || Number(pid) === process.pid) return false;
  return !processAlive(Number(pid));
}

/** Releases the claims of dead processes on this host, so their files can move now. */
export async function releaseDeadOwners(core: Pick<EngineCore, "store">): Promise<number> {
  const { store } = core;
  const dead = (await store.getClaimOwners()).filter(deadLocalOwner);
  for (const owner of dead) await store.releaseClaims(owner);
  return dead.length;
}

export interface RecoverOptions {
  /** State records read at a time (default: the store's page size). */
  pageSize?: number;
}

export interface RecoverReport {
  /** Dead processes whose claims were released. */
  releasedOwners: number;
  /** Files put back from IN_PROGRESS to QUEUED. */
  requeued: number;
}

/**
 * Walks the state records of the pair's two sites a page at a time (never
 * the whole queue): a store of 100,000 representations costs one page of
 * memory. FAILED records are walked too: a file left IN_PROGRESS beside a
 * failed one hides under the representation's FAILED status. Records are
 * rewritten behind the walk's cursor, which keyset paging allows.
 */
export async function recoverWith(core: EngineCore, options: RecoverOptions = {}): Promise<RecoverReport> {
  const { store, settings, ownSite, platform } = core;
  const releasedOwners = await releaseDeadOwners(core);
  let requeued = 0;
  for (const project of await store.listProjects()) {
    let sites: ProjectSites;
    try {
      sites = sitesOf(project, settings, ownSite, platform);
    } catch {
      continue;
    }
    if (!sites.syncEnabled || sites.activeSite === sites.remoteSite) continue;
    // Downloads mark the active site IN_PROGRESS, uploads the remote one.
    for (const site of [sites.activeSite, sites.remoteSite]) {
      const walk = pages(
        (page) =>
          store.listSiteStates(
            project.name,
            { site, statuses: [SyncStatus.IN_PROGRESS, SyncStatus.FAILED] },
            page,
          ),
        (state) => state.representationId,
        options.pageSize,
      );
      for await (const states of walk) requeued += await requeueStuck(store, project.name, states);
    }
  }
  return { releasedOwners, requeued };
}

/**
 * Puts the IN_PROGRESS files of a page of records back to QUEUED, in one
 * transaction that leaves out files under a live claim and files no longer
 * IN_PROGRESS (both checked inside it, so a transfer that started or settled
 * since the page was read keeps its state); returns how many.
 */
async function requeueStuck(store: Store, project: string, states: SiteState[]): Promise<number> {
  const changes: SiteStateChange[] = [];
  for (const state of states) {
    const stuck = state.files.filter((f) => f.status === SyncStatus.IN_PROGRESS);
    if (stuck.length === 0) continue;
    changes.push({
      op: "set",
      representationId: state.representationId,
      site: state.site,
      skipClaimed: true,
      onlyWhile: SyncStatus.IN_PROGRESS,
      options: {
        files: stuck.map((f) => ({
          fileId: f.fileId,
          status: SyncStatus.QUEUED,
          size: 0,
          retries: f.retries,
          message: f.message,
        })),
      },
    });
  }
  if (changes.length === 0) return 0;
  return (await store.changeSiteStates(project, changes)).written;
}

/** The same as `engine.recover(options)`, for callers written before that method. */
export function recoverInterrupted(
  engine: { recover(options?: RecoverOptions): Promise<RecoverReport> },
  options: RecoverOptions = {},
): Promise<RecoverReport> {
  return engine.recover(options);
}
