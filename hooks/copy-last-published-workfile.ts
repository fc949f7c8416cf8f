/**
 * Copy last published workfile (DOMAIN.md "The prelaunch hook"): before a DCC
 * opens a task with no workfile, bring the task's last published workfile,
 * its resources and the representations it references to the active site
 * through the sync engine, and save it as the next workfile version in the
 * work area. Better than the original: it reads `use_last_published_workfile`
 * (not `enabled`), never overwrites or falls behind a newer local version,
 * waits on the engine instead of polling, fails with the reason instead of
 * hanging, and writes the work area atomically.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fillRootless } from "../lib/anatomy/roots.js";
import { workfileExtensions } from "../lib/hosts.js";
import { existingWorkfiles, workAreaFor, workfileName } from "../lib/launcher/workfiles.js";
import { filterProfiles } from "../lib/settings/profiles.js";
import { resolveProjectSites } from "../lib/settings/sites.js";
import { SyncStatus } from "../lib/store/status.js";
import type { Representation } from "../lib/store/types.js";
import { copyIntoWorkArea, plannedResources } from "../lib/workfile/copy.js";
import { findLastPublishedWorkfile, type PublishedWorkfile } from "../lib/workfile/last-published.js";
import type { HookContext, PrelaunchHook } from "./hook.js";

/** The DCC app groups AYON runs this hook for. */
export const WORKFILE_APP_GROUPS = [
  "blender",
  "photoshop",
  "tvpaint",
  "aftereffects",
  "nuke",
  "nukeassist",
  "nukex",
  "hiero",
  "nukestudio",
  "maya",
  "harmony",
  "celaction",
  "flame",
  "fusion",
  "houdini",
] as const;

export type CopyHookResult =
  | {
      status: "copied";
      reason: null;
      last_workfile_path: string;
      source_filepath: string;
      resources: string[];
      linked_representation_ids: string[];
    }
  | {
      status: "skipped";
      reason: string;
      last_workfile_path: string;
      source_filepath: string | null;
      resources: string[];
      linked_representation_ids: string[];
    };

/** Runs the hook against launch data (also what `sitesync hook run copy-last-published-workfile` does). */
export async function copyLastPublishedWorkfile(context: HookContext): Promise<CopyHookResult> {
  const { data, services } = context;
  const { logger } = services;
  const skipped = (reason: string, resources: string[] = []): CopyHookResult => {
    logger.info({ hook: "copy-last-published-workfile", reason }, "skipped");
    return {
      status: "skipped",
      reason,
      last_workfile_path: data.last_workfile_path,
      source_filepath: null,
      resources,
      linked_representation_ids: [],
    };
  };
  if (data.workfile_path) return skipped("an explicit workfile_path was given");
  const settings = data.project_settings;
  if (!settings.sitesync.enabled) return skipped("site sync is disabled for this project");

  const extensions = workfileExtensions(data.host_name);
  const profile = filterProfiles(settings.core.tools.Workfiles.last_workfile_on_startup, {
    host_names: data.host_name,
    task_types: data.task_type,
    task_names: data.task_name,
  });
  const allowed = extensions.length > 0 && profile?.use_last_published_workfile === true;
  const { store, siteId, platform } = services.context;
  const published = allowed
    ? await findLastPublishedWorkfile(
        store,
        data.project_name,
        data.folder_entity.id,
        data.task_entity.id,
        extensions,
      )
    : undefined;
  const sites = resolveProjectSites(settings, data.anatomy.roots, siteId, platform);
  const activeRoots = sites.sites.get(sites.activeSite)?.roots ?? {};
  const workArea = workAreaFor(data, activeRoots);

  if (existsSync(data.last_workfile_path)) {
    // The workfile is there; only its resources folder may need restoring.
    const restored = published
      ? await restoreResources(context, published, workArea.dir, sites.activeSite, activeRoots)
      : [];
    return skipped("the last workfile exists", restored);
  }
  if (extensions.length === 0) return skipped(`host "${data.host_name}" has no workfile extensions`);
  if (!profile?.use_last_published_workfile) {
    return skipped(
      "the last_workfile_on_startup profile for this host and task does not set use_last_published_workfile",
    );
  }
  if (!published) return skipped("no published workfile for this task");

  const [state] = await store.getSiteStates(
    data.project_name,
    [published.representation.id],
    [sites.remoteSite],
  );
  const onActive = await onSite(context, published.representation, sites.activeSite);
  const remoteHas = sites.remoteSite !== sites.activeSite && allOk(published.representation, state?.files);
  if (!onActive && !remoteHas) {
    return skipped(
      `the published workfile v${published.version.version} is not available on the remote site "${sites.remoteSite}"`,
    );
  }
  const linked = await linkedRepresentations(context, published, sites.activeSite, sites.remoteSite);
  const wanted = [published.representation.id, ...linked.map((r) => r.id)];
  await bringNow(context, wanted);

  const resources = await plannedResources(published, activeRoots, workArea.dir);
  const existing = existingWorkfiles(workArea, extensions);
  const version = Math.max(published.version.version, ...existing.keys()) + 1;
  const target = path.join(workArea.dir, workfileName(workArea, version, published.ext));
  const source = fillRootless(published.workfile.path, activeRoots);
  await copyIntoWorkArea(resources, { source, target });
  data.last_workfile_path = target;
  data.source_filepath = source;
  logger.info(
    { hook: "copy-last-published-workfile", source, target, version },
    "copied the last published workfile",
  );
  return {
    status: "copied",
    reason: null,
    last_workfile_path: target,
    source_filepath: source,
    resources: resources.map((r) => r.target),
    linked_representation_ids: linked.map((r) => r.id),
  };
}

/**
 * Asks the sync engine to bring representations to the active site now. The
 * engine is loaded only here: a launch whose workfile is already there never
 * pays for it.
 */
async function bringNow(context: HookContext, representationIds: string[]): Promise<void> {
  const { services, data } = context;
  const [{ bring }, { SyncEngine }] = await Promise.all([
    import("../lib/engine/bring.js"),
    import("../lib/engine/engine.js"),
  ]);
  const { context: home, onEvent } = services;
  const engine = new SyncEngine({
    store: home.store,
    settings: home.settings,
    ownSite: home.siteId,
    platform: home.platform,
  });
  if (onEvent) engine.on(onEvent);
  await bring(engine, {
    project: data.project_name,
    representationIds,
    ...(services.timeoutMs === undefined ? {} : { timeoutMs: services.timeoutMs }),
    ...(services.signal ? { signal: services.signal } : {}),
  });
}

function allOk(
  representation: Representation,
  files: Array<{ fileId: string; status: number }> | undefined,
): boolean {
  return representation.files.every((f) => files?.find((s) => s.fileId === f.id)?.status === SyncStatus.OK);
}

async function onSite(context: HookContext, representation: Representation, site: string): Promise<boolean> {
  const [state] = await context.services.context.store.getSiteStates(
    context.data.project_name,
    [representation.id],
    [site],
  );
  return allOk(representation, state?.files);
}

/** Representations of the versions the workfile version references that can be brought (or are already here). */
async function linkedRepresentations(
  context: HookContext,
  published: PublishedWorkfile,
  activeSite: string,
  remoteSite: string,
): Promise<Representation[]> {
  const { store } = context.services.context;
  const project = context.data.project_name;
  const links = await store.getVersionLinks(project, [published.version.id], ["reference"]);
  if (links.length === 0) return [];
  const representations = await store.getRepresentations(project, {
    versionIds: links.map((l) => l.inputVersionId),
  });
  const states = await store.getSiteStates(
    project,
    representations.map((r) => r.id),
    [activeSite, remoteSite],
  );
  return representations.filter((representation) => {
    const of = (site: string) =>
      states.find((s) => s.representationId === representation.id && s.site === site)?.files;
    if (allOk(representation, of(activeSite)) || allOk(representation, of(remoteSite))) return true;
    context.services.logger.warn(
      { representationId: representation.id, remoteSite },
      "a referenced representation is not available on the remote site; not brought",
    );
    return false;
  });
}

/** Resources restore: brings and copies the published workfile's resources missing from the work area. */
async function restoreResources(
  context: HookContext,
  published: PublishedWorkfile,
  workdir: string,
  activeSite: string,
  activeRoots: Record<string, string>,
): Promise<string[]> {
  const planned = await plannedResources(published, activeRoots, workdir);
  const missing = planned.filter((r) => r.action === "copy");
  if (missing.length === 0) return [];
  if (!(await onSite(context, published.representation, activeSite))) {
    await bringNow(context, [published.representation.id]);
  }
  await copyIntoWorkArea(missing);
  return missing.map((r) => r.target);
}

/** The hook object the launcher runs (order -1: before "add last workfile to launch arguments"). */
export const copyLastPublishedWorkfileHook: PrelaunchHook = {
  name: "copy-last-published-workfile",
  order: -1,
  appGroups: WORKFILE_APP_GROUPS,
  launchTypes: ["local"],
  execute: copyLastPublishedWorkfile,
};
