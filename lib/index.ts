/**
 * The package's public entry: the prelaunch hook and the hook interface, the
 * provider interface and registry, the sync engine, the store interface and
 * the embedded store, settings, anatomy, publish and the launcher.
 */

export {
  type CopyHookResult,
  copyLastPublishedWorkfile,
  copyLastPublishedWorkfileHook,
  WORKFILE_APP_GROUPS,
} from "../hooks/copy-last-published-workfile.js";
export type { HookContext, HookServices, LaunchData, LaunchType, PrelaunchHook } from "../hooks/hook.js";
export type {
  ActiveCheck,
  FileStat,
  ProgressFn,
  ProviderCapabilities,
  ProviderContext,
  ProviderFactory,
  SiteProvider,
  TransferOptions,
  TransferResult,
} from "../providers/provider.js";
export {
  BATCH_LIMITS,
  batchLimitOf,
  createProvider,
  getProviderFactory,
  registeredKinds,
  registerProvider,
} from "../providers/registry.js";
export * from "./anatomy/index.js";
export { type Context, openContext } from "./context.js";
export { type BringReport, type BringRequest, bring } from "./engine/bring.js";
export { type EngineOptions, SyncEngine } from "./engine/engine.js";
export type { EngineEvent, EngineListener, FileJob, FileOutcome, PassReport } from "./engine/types.js";
export * from "./errors.js";
export { type LaunchOptions, type LaunchResult, launch } from "./launcher/launch.js";
export type { PublishRequest } from "./publish/plan.js";
export { type PublishResult, publish } from "./publish/publish.js";
export { findSettingsFile, loadSettings, type Settings } from "./settings/load.js";
export { filterProfiles } from "./settings/profiles.js";
export type { ProjectSettings, SiteSettings, SitesyncSettings } from "./settings/schema.js";
export { type ProjectSites, type ResolvedSite, resolveProjectSites } from "./settings/sites.js";
export { parseSettings } from "./settings/validate.js";
export { addSite, removeSite, resetSite } from "./state/site-operations.js";
export { openSqliteStore } from "./store/sqlite/index.js";
export { overallStatus, SyncStatus, statusName } from "./store/status.js";
export type * from "./store/types.js";
