/**
 * The two sites one engine pass works between for a project (DOMAIN.md "The
 * engine loop", step 1): the active site, which must be this process's own
 * site (a workstation's local site, or the site a service runs for), and the
 * remote site. Every reason not to sync is returned, never thrown, so a pass
 * logs it and moves on to the next project.
 */
import type { SiteProvider } from "../../providers/provider.js";
import { createProvider, registeredKinds } from "../../providers/registry.js";
import type { AnatomyRoots, Platform } from "../anatomy/roots.js";
import type { Settings } from "../settings/load.js";
import { type ProjectSites, type ResolvedSite, resolveProjectSites } from "../settings/sites.js";
import type { Project } from "../store/types.js";

export interface SyncPair {
  project: Project;
  sites: ProjectSites;
  active: ResolvedSite;
  remote: ResolvedSite;
  activeProvider: SiteProvider;
  remoteProvider: SiteProvider;
  retryCnt: number;
  loopDelay: number;
}

export type PairResult = { ok: true; pair: SyncPair } | { ok: false; reason: string };

export async function resolvePair(
  project: Project,
  settings: Settings,
  ownSite: string,
  platform: Platform,
  options: { requireOwnActiveSite?: boolean } = {},
): Promise<PairResult> {
  let sites: ProjectSites;
  try {
    sites = resolveProjectSites(
      settings.forProject(project.name),
      project.anatomy.roots as AnatomyRoots,
      ownSite,
      platform,
    );
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  if (!sites.syncEnabled) return { ok: false, reason: "site sync is disabled for this project" };
  // The loop only moves files for its own site (N workstations must not all sync studio);
  // an on-demand request may fill any active site this machine can write to.
  if ((options.requireOwnActiveSite ?? true) && sites.activeSite !== ownSite) {
    return {
      ok: false,
      reason: `the active site is "${sites.activeSite}", not this process's site "${ownSite}"; a service for "${sites.activeSite}" syncs it`,
    };
  }
  if (sites.activeSite === sites.remoteSite) {
    return { ok: false, reason: `active and remote site are both "${sites.activeSite}": nothing to sync` };
  }
  const active = sites.sites.get(sites.activeSite);
  const remote = sites.sites.get(sites.remoteSite);
  if (!active || !remote) return { ok: false, reason: "active or remote site is not configured" };
  if (active.provider !== "local_drive") {
    return {
      ok: false,
      reason: `the active site "${active.name}" must be a local_drive site on this machine, not ${active.provider}`,
    };
  }
  for (const site of [active, remote]) {
    if (site.problems.length > 0)
      return { ok: false, reason: `site "${site.name}": ${site.problems.join("; ")}` };
    if (!registeredKinds().includes(site.provider)) {
      return {
        ok: false,
        reason: `site "${site.name}": provider "${site.provider}" is not available in this version`,
      };
    }
  }
  const context = (site: ResolvedSite) => ({ siteName: site.name, config: site.config, roots: site.roots });
  const activeProvider = createProvider(active.provider, context(active));
  const remoteProvider = createProvider(remote.provider, context(remote));
  for (const provider of [activeProvider, remoteProvider]) {
    const check = await provider.isActive();
    if (!check.active) {
      await Promise.allSettled([activeProvider.close?.(), remoteProvider.close?.()]);
      return { ok: false, reason: `site "${provider.siteName}" is not active: ${check.reason}` };
    }
  }
  const config = settings.forProject(project.name).sitesync.config;
  return {
    ok: true,
    pair: {
      project,
      sites,
      active,
      remote,
      activeProvider,
      remoteProvider,
      retryCnt: config.retry_cnt,
      loopDelay: config.loop_delay,
    },
  };
}

export async function closePair(pair: SyncPair): Promise<void> {
  await Promise.allSettled([pair.activeProvider.close?.(), pair.remoteProvider.close?.()]);
}
