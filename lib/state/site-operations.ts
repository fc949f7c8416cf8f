/**
 * AYON's site operations on one representation: add_site, remove_site and
 * reset_site_on_representation, built on the store's state primitives so they
 * behave the same on every store.
 */
import { existsSync, readdirSync, rmdirSync } from "node:fs";
import path from "node:path";
import { createProvider } from "../../providers/registry.js";
import { fillRootless } from "../anatomy/roots.js";
import { type Context, projectSites, requireProject } from "../context.js";
import { InputError } from "../errors.js";
import { LOCAL_ALIAS, type ProjectSites } from "../settings/sites.js";
import { SyncStatus } from "../store/status.js";
import type { Representation } from "../store/types.js";

export interface SiteTarget {
  project: string;
  representationId: string;
  site: string;
}

interface Resolved {
  representation: Representation;
  sites: ProjectSites;
  site: string;
}

async function resolve(context: Context, target: SiteTarget): Promise<Resolved> {
  const project = await requireProject(context, target.project);
  const [representation] = await context.store.getRepresentations(project.name, {
    ids: [target.representationId],
  });
  if (!representation) {
    throw new InputError(
      `--representation: unknown representation "${target.representationId}" in project "${project.name}"`,
    );
  }
  const sites = projectSites(context, project);
  const site = target.site === LOCAL_ALIAS ? context.siteId : target.site;
  if (!sites.sites.has(site)) {
    throw new InputError(
      `--site: unknown site "${target.site}" (sites: ${[...sites.sites.keys()].join(", ")})`,
    );
  }
  return { representation, sites, site };
}

async function hasRecord(context: Context, target: SiteTarget, site: string): Promise<boolean> {
  return (await context.store.getSiteStates(target.project, [target.representationId], [site])).length > 0;
}

/** Puts every file of the representation in `status` on the site (QUEUED: "bring it there"). */
export async function addSite(
  context: Context,
  target: SiteTarget,
  options: { force?: boolean; status?: SyncStatus; priority?: number } = {},
): Promise<{ site: string; status: SyncStatus }> {
  const { representation, site } = await resolve(context, target);
  if (!options.force && (await hasRecord(context, target, site))) {
    throw new InputError(
      `representation ${representation.id} already has site "${site}"; use --force to reset it`,
    );
  }
  const status = options.status ?? SyncStatus.QUEUED;
  await context.store.setSiteState(target.project, representation.id, site, {
    reset: true,
    files: representation.files.map((f) => ({
      fileId: f.id,
      status,
      size: status === SyncStatus.OK ? f.size : 0,
    })),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
  });
  return { site, status };
}

/** Re-queues every file of the site (retries and messages cleared), keeping its priority. */
export async function resetSite(context: Context, target: SiteTarget): Promise<{ site: string }> {
  const { representation, site } = await resolve(context, target);
  if (!(await hasRecord(context, target, site))) {
    throw new InputError(`representation ${representation.id} has no state on site "${site}" to reset`);
  }
  await context.store.setSiteState(target.project, representation.id, site, {
    files: representation.files.map((f) => ({ fileId: f.id, status: SyncStatus.QUEUED, size: 0 })),
  });
  return { site };
}

/**
 * Forgets the site's state; with `removeLocalFiles` also deletes the files from
 * disk, which is allowed only for this workstation's own local_drive site, and
 * removes folders left empty up to the root.
 */
export async function removeSite(
  context: Context,
  target: SiteTarget,
  options: { removeLocalFiles?: boolean } = {},
): Promise<{ site: string; removedFiles: string[] }> {
  const { representation, sites, site } = await resolve(context, target);
  if (!(await hasRecord(context, target, site))) {
    throw new InputError(`representation ${representation.id} has no state on site "${site}" to remove`);
  }
  const removedFiles: string[] = [];
  if (options.removeLocalFiles) {
    const resolved = sites.sites.get(site);
    if (site !== context.siteId || resolved?.provider !== "local_drive") {
      throw new InputError(
        `--remove-local-files: only this workstation's own site "${context.siteId}" (local_drive) can have its files removed, not "${site}"`,
      );
    }
    const provider = createProvider(resolved.provider, {
      siteName: site,
      config: resolved.config,
      roots: resolved.roots,
    });
    const roots = Object.values(resolved.roots).map((root) => path.resolve(root));
    for (const file of representation.files) {
      const filePath = fillRootless(file.path, resolved.roots);
      if (await provider.stat(filePath)) {
        await provider.remove(filePath);
        removedFiles.push(filePath);
      }
      removeEmptyParents(path.dirname(filePath), roots);
    }
  }
  await context.store.removeSiteState(target.project, representation.id, site);
  return { site, removedFiles };
}

function removeEmptyParents(dir: string, roots: string[]): void {
  let current = path.resolve(dir);
  while (!roots.includes(current) && roots.some((root) => current.startsWith(root + path.sep))) {
    if (!existsSync(current) || readdirSync(current).length > 0) return;
    rmdirSync(current);
    current = path.dirname(current);
  }
}
