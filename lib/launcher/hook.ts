/**
 * The prelaunch hook interface (docs/contract.md "Hook data"). A hook is an
 * object with a name, an order (lower runs first), the app groups, hosts,
 * platforms and launch types it applies to (empty: all) and `execute`, which
 * reads and changes the launch data before the application starts. A studio
 * adds its own hooks by putting modules that export such objects in a folder
 * listed in `launcher.hook_dirs`. The package's own hook (hooks/) is one of
 * them, registered where the package is assembled (the CLI, lib/index.ts):
 * the launcher does not know it.
 *
 * Dry runs (README "The launcher"): `launch --dry-run` must change nothing
 * anywhere, and the launcher cannot tell what a hook would touch. So a hook
 * opts in with `dryRun: true`; it is then called with `dryRun` set and must
 * only read, returning its plan. A hook that does not opt in is not called on
 * a dry run at all, only listed.
 */
import type { Anatomy } from "../anatomy/defaults.js";
import type { Platform } from "../anatomy/roots.js";
import type { Context } from "../context.js";
import type { BringPlan, BringReport } from "../engine/bring.js";
import type { EngineListener } from "../engine/types.js";
import type { Logger } from "../log.js";
import type { ProjectSettings } from "../settings/schema.js";
import type { ProjectSites } from "../settings/sites.js";
import type { Folder, Task } from "../store/types.js";

/** AYON's launch data keys; hooks may add their own. */
export interface LaunchData {
  project_name: string;
  project_entity: { name: string; code: string };
  folder_path: string;
  folder_entity: Folder;
  task_name: string;
  task_type: string;
  task_entity: Task;
  host_name: string;
  /** `group/variant`, e.g. `maya/2024`. */
  app_name: string;
  /** The task's work folder on the active site. */
  workdir: string;
  last_workfile_path: string;
  /** An explicit workfile to open; set, the copy hook does nothing. */
  workfile_path?: string;
  start_last_workfile: boolean;
  env: Record<string, string>;
  project_settings: ProjectSettings;
  anatomy: Anatomy;
  source_filepath?: string;
  [key: string]: unknown;
}

export type LaunchType = "local" | "farm-publish" | "remote";

/**
 * What a hook may ask of the sync engine (lib/engine), for the launch's
 * project, on the launch's active site. The launcher builds it (see
 * `hookServices`); the engine is loaded only when a hook first asks.
 */
export interface HookEngine {
  /**
   * Brings the representations to the active site now, with the launch's
   * timeout, signal and progress events; returns each file's path there.
   * Throws a TransferError naming the file and why when one cannot come.
   */
  bring(representationIds: string[]): Promise<BringReport>;
  /** What `bring` would do, with reads only: each file present, to transfer, or unavailable. */
  planBring(representationIds: string[]): Promise<BringPlan>;
}

/** What a hook gets besides the launch data: the open home, the sites, the engine, and how to report progress. */
export interface HookServices {
  context: Context;
  logger: Logger;
  /** The project's sites on this workstation, resolved once for the launch. */
  sites: ProjectSites;
  engine: HookEngine;
  onEvent?: EngineListener;
  /** For hooks that wait on transfers. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HookContext {
  data: LaunchData;
  /**
   * Set on a dry run (only for hooks that declare `dryRun: true`): change
   * nothing (no store writes, transfers, files or folders), set the launch
   * data as the real run would, and return the plan.
   */
  dryRun?: boolean;
  launchType: LaunchType;
  platform: Platform;
  services: HookServices;
}

export interface PrelaunchHook {
  name: string;
  order: number;
  appGroups?: readonly string[];
  hosts?: readonly string[];
  platforms?: readonly Platform[];
  /** Default: local launches only. */
  launchTypes?: readonly LaunchType[];
  /** The hook honours `HookContext.dryRun`; without it the hook is skipped on a dry run. */
  dryRun?: boolean;
  execute(context: HookContext): unknown;
}

export function isPrelaunchHook(value: unknown): value is PrelaunchHook {
  if (typeof value !== "object" || value === null) return false;
  const hook = value as Partial<PrelaunchHook>;
  return (
    typeof hook.name === "string" && typeof hook.order === "number" && typeof hook.execute === "function"
  );
}
