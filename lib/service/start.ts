/**
 * What a sync service checks before it starts (README "The sync engine"):
 * the site it runs for exists, and at least one enabled project gives it
 * something to do. A service that could never move a file says why and
 * exits 2 instead of running forever in silence.
 */
import { type Context, projectSites } from "../context.js";
import { planPairs } from "../engine/pair.js";
import { InputError, messageOf } from "../errors.js";
import { LOCAL_ALIAS } from "../settings/sites.js";

/** The site a service runs for: `local` is this workstation's site, as `--site local` everywhere. */
export async function serviceSite(context: Context, requested: string): Promise<string> {
  const site = requested === LOCAL_ALIAS ? context.siteId : requested;
  const known = new Set<string>([context.siteId]);
  for (const project of await context.store.listProjects()) {
    try {
      const sites = projectSites(context, project);
      for (const name of sites.sites.keys()) known.add(name);
    } catch {
      // A project whose settings do not resolve names no site; the service reports it when it runs.
    }
  }
  if (!known.has(site)) {
    throw new InputError(
      `--active-site: unknown site "${requested}" (sites: ${[...known].sort().join(", ")}; "local" is this workstation's "${context.siteId}")`,
    );
  }
  return site;
}

/**
 * Refuses (exit 2) when no project gives the service for `site` a pair of
 * sites to sync, naming each project's reason. A site that cannot be used
 * now (a server down) is not a reason: it may come back.
 */
export async function requireServiceWork(context: Context, site: string): Promise<void> {
  const reasons: string[] = [];
  for (const project of await context.store.listProjects()) {
    let planned: ReturnType<typeof planPairs>;
    try {
      planned = planPairs(project, context.settings, site, context.platform, { alwaysAccessible: true });
    } catch (error) {
      planned = { ok: false, reason: messageOf(error), problem: true };
    }
    if (planned.ok) return;
    reasons.push(`  ${project.name}: ${planned.reason}`);
  }
  throw new InputError(
    [
      `the sync service for site "${site}" has nothing to do in any project:`,
      ...(reasons.length ? reasons : ["  (there are no projects)"]),
    ].join("\n"),
  );
}
