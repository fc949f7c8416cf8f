/**
 * The package's public entry: the prelaunch hook and the hook interface, the
 * provider interface and registry, the sync engine, the store interface and
 * the embedded store, settings, anatomy, publish and the launcher. It is
 * where the package is assembled: the package's own prelaunch hook is
 * registered with the launcher here, as a studio registers its own.
 */
import { copyLastPublishedWorkfileHook } from "../hooks/copy-last-published-workfile.js";
import { registerPrelaunchHook } from "./launcher/hooks.js";

export {
  type CopyHookResult,
  copyLastPublishedWorkfile,
  copyLastPublishedWorkfileHook,
  WORKFILE_APP_GROUPS,
} from "../hooks/copy-last-published-workfile.js";
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
export type { BringPlan, BringReport, BringRequest, BroughtFile, PlannedFile } from "./engine/bring.js";
export { bring, type EngineOptions, SyncEngine } from "./engine/engine.js";
export type { RecoverOptions, RecoverReport } from "./engine/recover.js";
export type { EngineEvent, EngineListener, FileJob, FileOutcome, PassReport } from "./engine/types.js";
export * from "./errors.js";
export type {
  HookContext,
  HookEngine,
  HookServices,
  LaunchData,
  LaunchType,
  PrelaunchHook,
} from "./launcher/hook.js";
export { registerPrelaunchHook } from "./launcher/hooks.js";
export { type LaunchOptions, type LaunchResult, launch } from "./launcher/launch.js";
export { hookServices, type LaunchServices } from "./launcher/services.js";
export type { PublishRequest } from "./publish/plan.js";
export { type PublishResult, publish } from "./publish/publish.js";
export { findSettingsFile, loadSettings, type Settings } from "./settings/load.js";
export { filterProfiles } from "./settings/profiles.js";
export type { ProjectSettings, SiteSettings, SitesyncSettings } from "./settings/schema.js";
export { type ProjectSites, type ResolvedSite, resolveProjectSites } from "./settings/sites.js";
export { parseSettings } from "./settings/validate.js";
export { addSite, removeSite, resetSite } from "./state/site-operations.js";
export { chooseStore, openPostgresStore, openStore, type StoreChoice } from "./store/open.js";
export type { PostgresOptions } from "./store/postgres/connection.js";
export { openSqliteStore } from "./store/sqlite/index.js";
export { overallStatus, SyncStatus, statusName } from "./store/status.js";
export type * from "./store/types.js";

registerPrelaunchHook(copyLastPublishedWorkfileHook);
