/**
 * What every command starts from: the home, its validated settings, the store
 * and this workstation's site id. Settings are validated before the store is
 * opened, so bad settings never touch the store.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { BATCH_LIMITS, registeredKinds } from "../providers/registry.js";
import { type AnatomyRoots, currentPlatform, type Platform } from "./anatomy/roots.js";
import { InputError } from "./errors.js";
import { localSiteId, resolveHome } from "./home.js";
import { findSettingsFile, loadSettings, type Settings } from "./settings/load.js";
import { type ProjectSites, resolveProjectSites } from "./settings/sites.js";
import { chooseStore, openStore, STORE_FILE } from "./store/open.js";
import type { Project, Store } from "./store/types.js";

export { STORE_FILE };

export interface Context {
  home: string;
  settings: Settings;
  store: Store;
  siteId: string;
  platform: Platform;
}

export interface OpenOptions {
  home?: string;
  /** Create the store and the site id when missing (init, import); other commands need an initialised home. */
  create?: boolean;
  env?: NodeJS.ProcessEnv;
}

export function loadHomeSettings(home: string): Promise<Settings> {
  const file = findSettingsFile(home);
  // Upstream kinds are valid settings even before their provider is available here;
  // a site whose provider is not registered is reported inactive, not a settings error.
  const options = {
    providerKinds: [...new Set([...Object.keys(BATCH_LIMITS), ...registeredKinds()])].sort(),
  };
  return loadSettings(file, home, options);
}

export async function openContext(options: OpenOptions = {}): Promise<Context> {
  const env = options.env ?? process.env;
  const home = resolveHome(options.home, env);
  const homeStore = path.join(home, STORE_FILE);
  if (!options.create && !existsSync(homeStore) && !existsSync(home)) throw notAHome(home);
  const settings = await loadHomeSettings(home);
  const choice = chooseStore(home, settings, env);
  if (choice.kind === "sqlite" && !options.create && !existsSync(choice.file)) throw notAHome(home);
  const siteId = localSiteId(home, { create: options.create ?? false, env });
  const store = await openStore(choice);
  return { home, settings, store, siteId, platform: currentPlatform() };
}

function notAHome(home: string): InputError {
  return new InputError(
    `${home} is not a sitesync home (no ${STORE_FILE}); run "sitesync init --home ${home}" first`,
  );
}

export async function requireProject(context: Context, name: string): Promise<Project> {
  const project = await context.store.getProject(name);
  if (!project) {
    const known = (await context.store.listProjects()).map((p) => p.name);
    throw new InputError(
      `--project: unknown project "${name}" (known: ${known.join(", ") || "none; import one first"})`,
    );
  }
  return project;
}

export function projectSites(context: Context, project: Project): ProjectSites {
  return resolveProjectSites(
    context.settings.forProject(project.name),
    project.anatomy.roots as AnatomyRoots,
    context.siteId,
    context.platform,
  );
}
