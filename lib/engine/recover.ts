/**
 * After a crash or a kill, files can be left IN_PROGRESS with claims nobody
 * will finish. A service starting up releases the claims of dead processes
 * on this host and puts files still marked IN_PROGRESS without a live claim
 * back to QUEUED (with the retries they had), so nothing is lost or stuck.
 */
import os from "node:os";
import type { AnatomyRoots } from "../anatomy/roots.js";
import { processAlive } from "../process.js";
import { resolveProjectSites } from "../settings/sites.js";
import { SyncStatus } from "../store/status.js";
import type { SyncEngine } from "./engine.js";

const SWEEP_LIMIT = 100_000;

/** A claim owner that was a process on this host which no longer runs. */
export function deadLocalOwner(owner: string): boolean {
  const [host, pid] = owner.split("/");
  if (host !== os.hostname() || !pid || Number(pid) === process.pid) return false;
  return !processAlive(Number(pid));
}

/** Releases the claims of dead processes on this host, so their files can move now. */
export async function releaseDeadOwners(engine: SyncEngine): Promise<number> {
  const { store } = engine.options;
  const dead = (await store.getClaimOwners()).filter(deadLocalOwner);
  for (const owner of dead) await store.releaseClaims(owner);
  return dead.length;
}

export async function recoverInterrupted(
  engine: SyncEngine,
): Promise<{ releasedOwners: number; requeued: number }> {
  const { store, settings, ownSite, platform } = engine.options;
  const releasedOwners = await releaseDeadOwners(engine);
  let requeued = 0;
  for (const project of await store.listProjects()) {
    let sites: ReturnType<typeof resolveProjectSites>;
    try {
      sites = resolveProjectSites(
        settings.forProject(project.name),
        project.anatomy.roots as AnatomyRoots,
        ownSite,
        platform,
      );
    } catch {
      continue;
    }
    if (!sites.syncEnabled || sites.activeSite === sites.remoteSite) continue;
    for (const direction of ["upload", "download"] as const) {
      const items = await store.findWork(project.name, {
        localSite: sites.activeSite,
        remoteSite: sites.remoteSite,
        direction,
        limit: SWEEP_LIMIT,
      });
      for (const item of items) {
        const wanting = direction === "download" ? item.local : item.remote;
        if (!wanting || wanting.status !== SyncStatus.IN_PROGRESS) continue;
        const live = new Set(
          (await store.getClaims(project.name, item.representationId, wanting.site))
            .filter((c) => c.expiresAt > Date.now())
            .map((c) => c.fileId),
        );
        const stuck = wanting.files.filter((f) => f.status === SyncStatus.IN_PROGRESS && !live.has(f.fileId));
        if (stuck.length === 0) continue;
        await store.setSiteState(project.name, item.representationId, wanting.site, {
          files: stuck.map((f) => ({
            fileId: f.fileId,
            status: SyncStatus.QUEUED,
            size: 0,
            retries: f.retries,
            message: f.message,
          })),
        });
        requeued += stuck.length;
      }
    }
  }
  return { releasedOwners, requeued };
}
