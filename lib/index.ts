/**
 * The package's public entry: the provider interface and registry, the store
 * interface and the embedded store, settings, anatomy and publish. The sync
 * engine and the prelaunch hook join this surface as they land.
 */
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
export * from "./errors.js";
export type { PublishRequest } from "./publish/plan.js";
export { type PublishResult, publish } from "./publish/publish.js";
export { loadSettingsFile, parseSettings, type Settings } from "./settings/load.js";
export { filterProfiles } from "./settings/profiles.js";
export type { ProjectSettings, SiteSettings, SitesyncSettings } from "./settings/schema.js";
export { type ProjectSites, type ResolvedSite, resolveProjectSites } from "./settings/sites.js";
export { addSite, removeSite, resetSite } from "./state/site-operations.js";
export { openSqliteStore } from "./store/sqlite/index.js";
export { overallStatus, SyncStatus, statusName } from "./store/status.js";
export type * from "./store/types.js";
