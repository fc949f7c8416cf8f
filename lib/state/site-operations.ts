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
import { InputError, InUseError } from "../errors.js";
import { LOCAL_ALIAS, type ProjectSites } from "../settings/sites.js";
import { SyncStatus } from "../store/status.js";
import type { Representation } from "../store/types.js";
import { queueMissing } from "./backfill.js";

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

/** Puts every file of the representation in `status` on the site (QUEUED: "bring it there"). */
export async function addSite(
  context: Context,
  target: SiteTarget,
  options: { force?: boolean; status?: SyncStatus; priority?: number } = {},
): Promise<{ site: string; status: SyncStatus }> {
  const { representation, site } = await resolve(context, target);
  const status = options.status ?? SyncStatus.QUEUED;
  const { conflicts } = await context.store.changeSiteStates(target.project, [
    {
      op: "set",
      representationId: representation.id,
      site,
      options: {
        reset: true,
        files: representation.files.map((f) => ({
          fileId: f.id,
          status,
          size: status === SyncStatus.OK ? f.size : 0,
        })),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
      },
      ...(options.force ? {} : { expect: "absent" as const }),
    },
  ]);
  if (conflicts.length > 0) {
    throw new InputError(
      `representation ${representation.id} already has site "${site}"; use --force to reset it`,
    );
  }
  return { site, status };
}

/**
 * The bulk form of `addSite` (`site add --all`): queues the site for every
 * representation of the project that has no state there yet, optionally only
 * those whose folder path or product name contains a text. Representations
 * that already have a state on the site keep it.
 */
export async function addSiteToAll(
  context: Context,
  target: { project: string; site: string },
  options: { folder?: string; product?: string; priority?: number } = {},
): Promise<{ site: string; queued: number }> {
  const project = await requireProject(context, target.project);
  const sites = projectSites(context, project);
  const site = target.site === LOCAL_ALIAS ? context.siteId : target.site;
  if (!sites.sites.has(site)) {
    throw new InputError(
      `--site: unknown site "${target.site}" (sites: ${[...sites.sites.keys()].join(", ")})`,
    );
  }
  const contains = (value: unknown, text: string | undefined) =>
    text === undefined || (typeof value === "string" && value.includes(text));
  const queued = await queueMissing(context.store, project.name, site, {
    match: (r) =>
      contains((r.context.folder as { path?: unknown } | undefined)?.path, options.folder) &&
      contains((r.context.product as { name?: unknown } | undefined)?.name, options.product),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
  });
  return { site, queued };
}

/** Re-queues every file of the site (retries and messages cleared), keeping its priority. */
export async function resetSite(context: Context, target: SiteTarget): Promise<{ site: string }> {
  const { representation, site } = await resolve(context, target);
  const { conflicts } = await context.store.changeSiteStates(target.project, [
    {
      op: "set",
      representationId: representation.id,
      site,
      options: {
        files: representation.files.map((f) => ({ fileId: f.id, status: SyncStatus.QUEUED, size: 0 })),
      },
      expect: "present",
    },
  ]);
  if (conflicts.length > 0)
    throw new InputError(`representation ${representation.id} has no state on site "${site}" to reset`);
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
  const resolved = sites.sites.get(site);
  if (options.removeLocalFiles && (site !== context.siteId || resolved?.provider !== "local_drive")) {
    throw new InputError(
      `--remove-local-files: only this workstation's own site "${context.siteId}" (local_drive) can have its files removed, not "${site}"`,
    );
  }
  // The state goes first, in one transaction with the checks: once it is gone no process claims
  // these files for this site, so none can be writing them while they are deleted below.
  const {
    conflicts: [conflict],
  } = await context.store.changeSiteStates(target.project, [
    {
      op: "remove",
      representationId: representation.id,
      site,
      expect: "present",
      refuseClaimed: options.removeLocalFiles ?? false,
    },
  ]);
  if (conflict?.reason === "absent")
    throw new InputError(`representation ${representation.id} has no state on site "${site}" to remove`);
  if (conflict?.reason === "claimed") {
    const held = new Set(conflict.fileIds);
    const names = representation.files.filter((f) => held.has(f.id)).map((f) => f.path);
    throw new InUseError(
      `--remove-local-files: a running transfer holds ${names.length} file(s) of representation ${representation.id} on site "${site}": ${names.join(", ")}; try again when it is done`,
    );
  }
  const removedFiles: string[] = [];
  if (options.removeLocalFiles && resolved) {
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
