/**
 * `validate`: makes the sync state of a site match its storage. Files found
 * on the site with their published size become OK; with `resetMissing`, files
 * the state calls OK but that are missing are queued again. The site's
 * alternative sites get the same result, as after a transfer. (AYON's
 * validate_project read a legacy key and never worked.)
 */
import { createProvider } from "../../providers/registry.js";
import { fillRootless } from "../anatomy/roots.js";
import { type Context, projectSites, requireProject } from "../context.js";
import { InputError } from "../errors.js";
import { alternativesOf, LOCAL_ALIAS } from "../settings/sites.js";
import { pages } from "../store/paging.js";
import { SyncStatus } from "../store/status.js";
import type { FileStateUpdate, Representation, SiteState } from "../store/types.js";

export interface ValidateReport {
  site: string;
  representations: number;
  present: number;
  missing: number;
  reset: number;
}

export async function validateProject(
  context: Context,
  projectName: string,
  siteName: string,
  options: { resetMissing?: boolean; pageSize?: number } = {},
): Promise<ValidateReport> {
  const project = await requireProject(context, projectName);
  const sites = projectSites(context, project);
  const name = siteName === LOCAL_ALIAS ? context.siteId : siteName;
  const site = sites.sites.get(name);
  if (!site)
    throw new InputError(`--site: unknown site "${siteName}" (sites: ${[...sites.sites.keys()].join(", ")})`);
  const provider = createProvider(site.provider, {
    siteName: site.name,
    config: site.config,
    roots: site.roots,
  });
  const report: ValidateReport = { site: name, representations: 0, present: 0, missing: 0, reset: 0 };
  const mirrors = alternativesOf(sites, name);
  const roots = site.roots;
  const check = async (representation: Representation, state: SiteState | undefined): Promise<void> => {
    const stored = new Map((state?.files ?? []).map((f) => [f.fileId, f]));
    const updates: FileStateUpdate[] = [];
    for (const file of representation.files) {
      const found = await provider.stat(fillRootless(file.path, roots));
      const was = stored.get(file.id);
      if (found && !found.isDirectory && found.size === file.size) {
        report.present += 1;
        if (was?.status !== SyncStatus.OK)
          updates.push({ fileId: file.id, status: SyncStatus.OK, size: file.size });
      } else {
        report.missing += 1;
        if (options.resetMissing && was?.status === SyncStatus.OK) {
          updates.push({ fileId: file.id, status: SyncStatus.QUEUED, size: 0 });
          report.reset += 1;
        }
      }
    }
    if (updates.length === 0) return;
    // The site's alternatives see the same storage: they get the same result, in the same transaction.
    await context.store.changeSiteStates(
      project.name,
      [name, ...mirrors].map((site) => ({
        op: "set" as const,
        representationId: representation.id,
        site,
        options: { files: updates },
      })),
    );
  };
  try {
    // One page of representations (and their states on the site) at a time: a project of
    // 100,000 representations is never held whole.
    for await (const representations of pages(
      (page) => context.store.listRepresentations(project.name, page),
      (r) => r.id,
      options.pageSize,
    )) {
      const states = await context.store.getSiteStates(
        project.name,
        representations.map((r) => r.id),
        [name],
      );
      const byRepresentation = new Map(states.map((s) => [s.representationId, s]));
      for (const representation of representations) {
        report.representations += 1;
        await check(representation, byRepresentation.get(representation.id));
      }
    }
  } finally {
    await provider.close?.();
  }
  return report;
}
