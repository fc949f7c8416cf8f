/**
 * The two sites one engine pass works between for a project (docs/domain.md
 * "The engine loop", steps 1-2): the active site, which must be this
 * process's own site (a workstation's local site, or the site a service runs
 * for), and the remote site. Every reason not to sync is returned, never
 * thrown, so a pass logs it and moves on to the next project.
 */
import type { SiteProvider } from "../../providers/provider.js";
import { createProvider, registeredKinds } from "../../providers/registry.js";
import type { AnatomyRoots, Platform } from "../anatomy/roots.js";
import { messageOf } from "../errors.js";
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

/**
 * `problem` says whether the reason is something to fix (a site that cannot
 * be used) or a choice that needs nothing (sync disabled, another process's
 * site, active = remote): `sync --once` fails on the first and not the second.
 */
export type PairResult = { ok: true; pair: SyncPair } | { ok: false; reason: string; problem: boolean };

/** The sites of a project a process works between: its own active site and each remote site. */
export interface PairPlan {
  sites: ProjectSites;
  /** The sites the active site syncs with: the remote site, then (for a service) `always_accessible_on`. */
  remotes: string[];
}

export type PlanResult = { ok: true; plan: PairPlan } | { ok: false; reason: string; problem: boolean };

export interface PairOptions {
  /** Default true: the loop only moves files for its own site; an on-demand request fills any. */
  requireOwnActiveSite?: boolean;
  /** The project's sites, when the caller resolved them already (a launch does, once). */
  sites?: ProjectSites;
}

/**
 * Which pairs a project gives this process, from settings alone (no provider
 * is opened): the reasons not to sync that need no connection are decided here.
 */
export function planPairs(
  project: Project,
  settings: Settings,
  ownSite: string,
  platform: Platform,
  options: PairOptions & { alwaysAccessible?: boolean } = {},
): PlanResult {
  let sites: ProjectSites;
  try {
    sites = options.sites ?? sitesOf(project, settings, ownSite, platform);
  } catch (error) {
    return { ok: false, reason: messageOf(error), problem: true };
  }
  if (!sites.syncEnabled)
    return { ok: false, reason: "site sync is disabled for this project", problem: false };
  // The loop only moves files for its own site (N workstations must not all sync studio);
  // an on-demand request may fill any active site this machine can write to.
  if ((options.requireOwnActiveSite ?? true) && sites.activeSite !== ownSite) {
    return {
      ok: false,
      reason: `the active site is "${sites.activeSite}", not this process's site "${ownSite}"; a service for "${sites.activeSite}" syncs it`,
      problem: false,
    };
  }
  const remotes = [
    ...new Set([sites.remoteSite, ...(options.alwaysAccessible ? sites.alwaysAccessibleOn : [])]),
  ].filter((site) => site !== sites.activeSite);
  if (remotes.length === 0) {
    return {
      ok: false,
      reason: `active and remote site are both "${sites.activeSite}": nothing to sync`,
      problem: false,
    };
  }
  const active = sites.sites.get(sites.activeSite);
  if (active && active.provider !== "local_drive") {
    return {
      ok: false,
      reason: `the active site "${active.name}" must be a local_drive site on this machine, not ${active.provider}`,
      problem: true,
    };
  }
  return { ok: true, plan: { sites, remotes } };
}

/** The project's active site and its remote site, both providers open and answering. */
export async function resolvePair(
  project: Project,
  settings: Settings,
  ownSite: string,
  platform: Platform,
  options: PairOptions = {},
): Promise<PairResult> {
  const planned = planPairs(project, settings, ownSite, platform, options);
  if (!planned.ok) return planned;
  return openPair(project, settings, planned.plan.sites, planned.plan.remotes[0] as string);
}

/** Opens the providers of the active site and `remoteSite`, or says why the pair cannot be used now. */
export async function openPair(
  project: Project,
  settings: Settings,
  sites: ProjectSites,
  remoteSite: string,
): Promise<PairResult> {
  const active = sites.sites.get(sites.activeSite);
  const remote = sites.sites.get(remoteSite);
  if (!active || !remote)
    return { ok: false, reason: "active or remote site is not configured", problem: true };
  const opened = await openSite(active);
  if (!opened.ok) return { ok: false, reason: opened.reason, problem: true };
  const activeProvider = opened.provider;
  const other = await openSite(remote);
  if (!other.ok) {
    await activeProvider.close?.().catch(() => undefined);
    return { ok: false, reason: other.reason, problem: true };
  }
  const remoteProvider = other.provider;
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

/**
 * A site's provider, open and answering, or why the site cannot be used now:
 * a problem in its settings (an unset {ENV} in a root), a provider this
 * version lacks, or the provider's own check (host key changed, cannot
 * connect, authentication failed, credentials missing).
 */
export async function openSite(
  site: ResolvedSite,
): Promise<{ ok: true; provider: SiteProvider } | { ok: false; reason: string }> {
  if (site.problems.length > 0)
    return { ok: false, reason: `site "${site.name}": ${site.problems.join("; ")}` };
  if (!registeredKinds().includes(site.provider))
    return {
      ok: false,
      reason: `site "${site.name}": provider "${site.provider}" is not available in this version`,
    };
  let provider: SiteProvider;
  try {
    provider = createProvider(site.provider, { siteName: site.name, config: site.config, roots: site.roots });
  } catch (error) {
    return { ok: false, reason: `site "${site.name}": ${messageOf(error)}` };
  }
  // A studio's own provider may throw instead of answering: that is an inactive site too.
  const check = await provider
    .isActive()
    .catch((error: unknown) => ({ active: false as const, reason: messageOf(error) }));
  if (check.active) return { ok: true, provider };
  await provider.close?.().catch(() => undefined);
  return { ok: false, reason: `site "${site.name}" is not active: ${check.reason}` };
}

/** A project's sites as `ownSite` sees them: its settings and the roots of its anatomy. */
export function sitesOf(
  project: Project,
  settings: Settings,
  ownSite: string,
  platform: Platform,
): ProjectSites {
  return resolveProjectSites(
    settings.forProject(project.name),
    project.anatomy.roots as AnatomyRoots,
    ownSite,
    platform,
  );
}

export async function closePair(pair: SyncPair): Promise<void> {
  await Promise.allSettled([pair.activeProvider.close?.(), pair.remoteProvider.close?.()]);
}
