/**
 * Copy last published workfile (docs/domain.md "The prelaunch hook"): before a DCC
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
import type { BringPlan, BroughtFile } from "../lib/engine/bring.js";
import { workfileExtensions } from "../lib/hosts.js";
import type { HookContext, PrelaunchHook } from "../lib/launcher/hook.js";
import { existingWorkfiles, type WorkArea, workAreaFor, workfileName } from "../lib/launcher/workfiles.js";
import { filterProfiles } from "../lib/settings/profiles.js";
import type { ProjectSites } from "../lib/settings/sites.js";
import type { Representation } from "../lib/store/types.js";
import { copyIntoWorkArea, plannedResources, type ResourceCopy } from "../lib/workfile/copy.js";
import { findLastPublishedWorkfile, type PublishedWorkfile } from "../lib/workfile/last-published.js";

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

/** A file of a representation the hook would ask the engine for. */
export interface PlannedFile {
  representation_id: string;
  /** The file's path on the active site. */
  path: string;
  size: number;
  /** present: already on the active site; transfer: would be brought from the site `from`. */
  action: "present" | "transfer";
  from: string | null;
}

/** What the hook would do, computed with reads only (a dry run; lib/launcher/hook.ts). */
export interface CopyHookPlan {
  /** copy: write a new workfile version; restore-resources: copy only missing resources; skip: nothing. */
  action: "copy" | "restore-resources" | "skip";
  reason: string | null;
  /** The workfile the launch would open: for "copy", the one the hook would write. */
  last_workfile_path: string;
  source_filepath: string | null;
  /** The files of the representations it would bring (the workfile's and the referenced ones). */
  files: PlannedFile[];
  /** Bytes that would be transferred to the active site. */
  transfer_bytes: number;
  /** The published resources and what would happen to each in `{workdir}/resources/`. */
  resources: ResourceCopy[];
  linked_representation_ids: string[];
}

/** Where the hook works: the sites and the work area. */
interface Situation {
  sites: ProjectSites;
  activeRoots: Record<string, string>;
  workArea: WorkArea;
  extensions: readonly string[];
}

/** A situation with a published workfile to copy or restore from. */
type Found = Situation & { published: PublishedWorkfile };

/**
 * What the hook decided, from reads only, so the real run and the dry run
 * cannot disagree on whether and what to copy. A skip may still restore
 * resources (`restore`: the last workfile exists).
 */
type Decision =
  | { go: false; reason: string; restore?: Found }
  | { go: true; situation: Found; linked: Representation[]; plan: BringPlan };

async function decide(context: HookContext): Promise<Decision> {
  const { data, services } = context;
  if (data.workfile_path) return { go: false, reason: "an explicit workfile_path was given" };
  const settings = data.project_settings;
  if (!settings.sitesync.enabled) return { go: false, reason: "site sync is disabled for this project" };

  const extensions = workfileExtensions(data.host_name);
  const profile = filterProfiles(settings.core.tools.Workfiles.last_workfile_on_startup, {
    host_names: data.host_name,
    task_types: data.task_type,
    task_names: data.task_name,
  });
  const allowed = extensions.length > 0 && profile?.use_last_published_workfile === true;
  const { store } = services.context;
  const published = allowed
    ? await findLastPublishedWorkfile(
        store,
        data.project_name,
        data.folder_entity.id,
        data.task_entity.id,
        extensions,
      )
    : undefined;
  const { sites } = services;
  const activeRoots = sites.sites.get(sites.activeSite)?.roots ?? {};
  const workArea = workAreaFor(data, activeRoots);
  const situation: Situation = { sites, activeRoots, workArea, extensions };

  if (existsSync(data.last_workfile_path)) {
    // The workfile is there; only its resources folder may need restoring.
    const reason = "the last workfile exists";
    return published ? { go: false, reason, restore: { ...situation, published } } : { go: false, reason };
  }
  if (extensions.length === 0) {
    return { go: false, reason: `host "${data.host_name}" has no workfile extensions` };
  }
  if (!profile?.use_last_published_workfile) {
    return {
      go: false,
      reason:
        "the last_workfile_on_startup profile for this host and task does not set use_last_published_workfile",
    };
  }
  if (!published) return { go: false, reason: "no published workfile for this task" };

  // One question to the engine, read-only, for the workfile and what it references: is each file
  // here, can it be brought, or not.
  const referenced = await referencedRepresentations(context, published);
  const plan = await services.engine.planBring([published.representation.id, ...referenced.map((r) => r.id)]);
  if (!canBring(plan, published.representation)) {
    return {
      go: false,
      reason: `the published workfile v${published.version.version} is not available on the remote site "${sites.remoteSite}"`,
    };
  }
  const linked = referenced.filter((representation) => {
    if (canBring(plan, representation)) return true;
    services.logger.warn(
      { representationId: representation.id, remoteSite: sites.remoteSite },
      "a referenced representation is not available on the remote site; not brought",
    );
    return false;
  });
  return { go: true, situation: { ...situation, published }, linked, plan };
}

/** The files of a representation in a plan, in the representation's order. */
function filesOf(plan: BringPlan, representation: Representation): BringPlan["files"] {
  return plan.files.filter((f) => f.representationId === representation.id);
}

/** Every file of the representation is on the active site or can be brought there. */
function canBring(plan: BringPlan, representation: Representation): boolean {
  return filesOf(plan, representation).every((f) => f.action !== "unavailable");
}

/** Every file of the representation is on the active site already. */
function allPresent(plan: BringPlan, representation: Representation): boolean {
  return filesOf(plan, representation).every((f) => f.action === "present");
}

/** The published workfile's path on the active site, as the engine reported or planned it. */
function workfileOnSite(
  files: ReadonlyArray<Pick<BroughtFile, "representationId" | "fileId" | "path">>,
  situation: Found,
): string {
  const { published, activeRoots } = situation;
  const found = files.find(
    (f) => f.representationId === published.representation.id && f.fileId === published.workfile.id,
  );
  return found?.path ?? fillRootless(published.workfile.path, activeRoots);
}

/** The next workfile version: past both the published one and every local one, so nothing is overwritten. */
function nextWorkfile(situation: Found): { target: string; version: number } {
  const { published, workArea, extensions } = situation;
  const existing = existingWorkfiles(workArea, extensions);
  const version = Math.max(published.version.version, ...existing.keys()) + 1;
  return { target: path.join(workArea.dir, workfileName(workArea, version, published.ext)), version };
}

function skippedResult(context: HookContext, reason: string, resources: string[] = []): CopyHookResult {
  context.services.logger.info({ hook: "copy-last-published-workfile", reason }, "skipped");
  return {
    status: "skipped",
    reason,
    last_workfile_path: context.data.last_workfile_path,
    source_filepath: null,
    resources,
    linked_representation_ids: [],
  };
}

/** Runs the hook against launch data (also what `sitesync hook run copy-last-published-workfile` does). */
export async function copyLastPublishedWorkfile(context: HookContext): Promise<CopyHookResult> {
  const { data, services } = context;
  const decision = await decide(context);
  if (!decision.go) {
    const restored = decision.restore ? await restoreResources(context, decision.restore) : [];
    return skippedResult(context, decision.reason, restored);
  }
  const { situation, linked } = decision;
  const { published, activeRoots, workArea } = situation;
  const brought = await services.engine.bring([published.representation.id, ...linked.map((r) => r.id)]);
  const source = workfileOnSite(brought.files, situation);

  // Read after the transfers, which may take long: the artist may have saved a version meanwhile.
  const resources = await plannedResources(published, activeRoots, workArea.dir);
  const { target, version } = nextWorkfile(situation);
  await copyIntoWorkArea(resources, { source, target });
  data.last_workfile_path = target;
  data.source_filepath = source;
  services.logger.info(
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
 * The dry run: what `copyLastPublishedWorkfile` would do, with reads only (no
 * store writes, no transfers, nothing created, not even the work folder). It
 * still sets `last_workfile_path` and `source_filepath` as the real run
 * would, so the launch data a dry run prints is the final one.
 */
export async function planLastPublishedWorkfile(context: HookContext): Promise<CopyHookPlan> {
  const { data } = context;
  const decision = await decide(context);
  if (!decision.go) {
    const skip: CopyHookPlan = {
      action: "skip",
      reason: decision.reason,
      last_workfile_path: data.last_workfile_path,
      source_filepath: null,
      files: [],
      transfer_bytes: 0,
      resources: [],
      linked_representation_ids: [],
    };
    if (!decision.restore) return skip;
    const { published, activeRoots, workArea } = decision.restore;
    const resources = await plannedResources(published, activeRoots, workArea.dir);
    if (!resources.some((r) => r.action === "copy")) return { ...skip, resources };
    // As restoreResources: the representation is brought only when not all of it is here.
    const plan = await context.services.engine.planBring([published.representation.id]);
    const files = allPresent(plan, published.representation)
      ? []
      : plannedFiles(plan, [published.representation]);
    return { ...skip, action: "restore-resources", files, transfer_bytes: transferBytes(files), resources };
  }
  const { situation, linked, plan } = decision;
  const files = plannedFiles(plan, [situation.published.representation, ...linked]);
  const resources = await plannedResources(
    situation.published,
    situation.activeRoots,
    situation.workArea.dir,
  );
  const source = workfileOnSite(plan.files, situation);
  const { target } = nextWorkfile(situation);
  data.last_workfile_path = target;
  data.source_filepath = source;
  return {
    action: "copy",
    reason: null,
    last_workfile_path: target,
    source_filepath: source,
    files,
    transfer_bytes: transferBytes(files),
    resources,
    linked_representation_ids: linked.map((r) => r.id),
  };
}

/** A plan in a few lines for `launch --dry-run` without --json. */
export function describeCopyPlan(plan: CopyHookPlan): string[] {
  const transfers = plan.files.filter((f) => f.action === "transfer");
  const count = (action: ResourceCopy["action"]) => plan.resources.filter((r) => r.action === action).length;
  return [
    plan.action === "copy"
      ? `would copy ${plan.source_filepath}\n    -> ${plan.last_workfile_path}`
      : plan.action === "restore-resources"
        ? `would restore missing resources (${plan.reason})`
        : `would skip: ${plan.reason}`,
    ...(plan.files.length > 0
      ? [
          `  bring ${plan.files.length} file(s): ${plan.files.length - transfers.length} already here, ${transfers.length} to transfer (${plan.transfer_bytes} bytes)`,
        ]
      : []),
    ...transfers.map((f) => `    ${f.path} (${f.size} bytes) from ${f.from}`),
    ...(plan.resources.length > 0
      ? [
          `  resources: ${count("copy")} to copy, ${count("present")} already there, ${count("kept")} kept (the artist's own)`,
        ]
      : []),
    ...plan.linked_representation_ids.map((id) => `  referenced representation ${id}`),
  ];
}

/** Each file of the representations, from the engine's plan: already on the active site, or the site `bring` would take it from. */
function plannedFiles(plan: BringPlan, representations: Representation[]): PlannedFile[] {
  return representations.flatMap((representation) =>
    filesOf(plan, representation).map(
      (file): PlannedFile => ({
        representation_id: representation.id,
        path: file.path,
        size: file.size,
        action: file.action === "present" ? "present" : "transfer",
        from: file.action === "present" ? null : (file.from ?? plan.remoteSite),
      }),
    ),
  );
}

function transferBytes(files: PlannedFile[]): number {
  return files.reduce((sum, f) => sum + (f.action === "transfer" ? f.size : 0), 0);
}

/** Representations of the versions the workfile version references (catalog reads only). */
async function referencedRepresentations(
  context: HookContext,
  published: PublishedWorkfile,
): Promise<Representation[]> {
  const { store } = context.services.context;
  const project = context.data.project_name;
  const links = await store.getVersionLinks(project, [published.version.id], ["reference"]);
  if (links.length === 0) return [];
  return store.getRepresentations(project, { versionIds: links.map((l) => l.inputVersionId) });
}

/** Resources restore: brings and copies the published workfile's resources missing from the work area. */
async function restoreResources(context: HookContext, situation: Found): Promise<string[]> {
  const { published, activeRoots, workArea } = situation;
  const planned = await plannedResources(published, activeRoots, workArea.dir);
  const missing = planned.filter((r) => r.action === "copy");
  if (missing.length === 0) return [];
  // The engine brings only what is not here, and asks nothing of a site when all of it is.
  await context.services.engine.bring([published.representation.id]);
  await copyIntoWorkArea(missing);
  return missing.map((r) => r.target);
}

/** The hook object the launcher runs (order -1: before "add last workfile to launch arguments"). */
export const copyLastPublishedWorkfileHook: PrelaunchHook = {
  name: "copy-last-published-workfile",
  order: -1,
  appGroups: WORKFILE_APP_GROUPS,
  launchTypes: ["local"],
  dryRun: true,
  execute: (context) =>
    context.dryRun ? planLastPublishedWorkfile(context) : copyLastPublishedWorkfile(context),
};
