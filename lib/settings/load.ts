/**
 * Reading a home's settings. The validated result is cached next to the file
 * (`.settings-cache.json`, owner-only, keyed by a hash of the settings text,
 * the provider kinds and the schema module), so a launch reads JSON instead of
 * loading the YAML parser and the schema library: the hook runs while an
 * artist waits. A changed file, schema or provider set misses the cache and is
 * validated in full.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SettingsError } from "../errors.js";
import type { ProjectSettings, StoreSettings } from "./schema.js";

export const SETTINGS_FILES = ["settings.yaml", "settings.yml", "settings.json"] as const;
export const SETTINGS_CACHE = ".settings-cache.json";

export interface Settings {
  /** The file the settings came from ("<defaults>" when the home has none). */
  readonly file: string;
  readonly store: StoreSettings | undefined;
  /** Names of projects that have a project scope in the document. */
  readonly projectNames: readonly string[];
  /** Effective settings for a project (studio and site scopes when it has no project scope). */
  forProject(projectName: string): ProjectSettings;
  /**
   * The scope-qualified path that wrote one of TRACKED_KEYS in a project's
   * effective settings (`site.sitesync.local_setting.local_roots`), so a check
   * that can only run once the store is open still names where to fix it.
   */
  sourceOf(projectName: string, keyPath: TrackedKey): string;
}

/** Keys checked after loading, against the store (local root names against anatomy roots). */
export const TRACKED_KEYS = ["sitesync.local_setting.local_roots"] as const;
export type TrackedKey = (typeof TRACKED_KEYS)[number];
/** Bumped when the record's shape changes, so an older build's cache is not read as this one's. */
const RECORD_VERSION = "2";

export interface LoadOptions {
  /** Provider kinds sites may name (the registry's kinds). */
  providerKinds: readonly string[];
}

interface CacheRecord {
  key: string;
  store: StoreSettings | undefined;
  projectNames: string[];
  /** "" holds the studio + site settings every project without its own scope gets. */
  projects: Record<string, ProjectSettings>;
  sources: Record<string, Record<TrackedKey, string>>;
}

export function findSettingsFile(home: string): string | undefined {
  return SETTINGS_FILES.map((name) => path.join(home, name)).find((file) => existsSync(file));
}

function schemaStamp(): string {
  const schema = fileURLToPath(new URL("./schema.js", import.meta.url));
  try {
    const stat = statSync(schema);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return "unknown";
  }
}

/** Loads and validates `file` (or the defaults when there is none), through the cache in `home`. */
export async function loadSettings(
  file: string | undefined,
  home: string,
  options: LoadOptions,
): Promise<Settings> {
  let text = "{}";
  if (file) {
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new SettingsError(`${file}: cannot read settings: ${(error as Error).message}`);
    }
  }
  const source = file ?? path.join(home, "settings.yaml");
  // The real path: the same home reached through a symlink or a mapped drive shares its cache.
  const real = file ? realpathSync(file) : source;
  const key = createHash("sha256")
    .update([RECORD_VERSION, text, real, options.providerKinds.join(","), schemaStamp()].join("\u0000"))
    .digest("hex");
  const cacheFile = path.join(home, SETTINGS_CACHE);
  const cached = readCache(cacheFile, key);
  if (cached) return fromRecord(source, cached);
  const { parseSettings } = await import("./validate.js");
  const settings = parseSettings(text, source, options);
  const scoped = ["", ...settings.projectNames];
  const record: CacheRecord = {
    key,
    store: settings.store,
    projectNames: [...settings.projectNames],
    projects: Object.fromEntries(scoped.map((name) => [name, settings.forProject(name)])),
    sources: Object.fromEntries(
      scoped.map((name) => [
        name,
        Object.fromEntries(TRACKED_KEYS.map((k) => [k, settings.sourceOf(name, k)])) as Record<
          TrackedKey,
          string
        >,
      ]),
    ),
  };
  writeCache(cacheFile, record);
  return settings;
}

function readCache(file: string, key: string): CacheRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as CacheRecord;
    return record.key === key ? record : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, record: CacheRecord): void {
  if (!existsSync(path.dirname(file))) return;
  // The cache holds what settings.yaml holds (credentials included): owner-only, written atomically.
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(record), { mode: 0o600 });
    renameSync(temp, file);
  } catch {
    // A read-only home just goes without the cache.
  }
}

function fromRecord(file: string, record: CacheRecord): Settings {
  const fallback = record.projects[""] as ProjectSettings;
  return {
    file,
    store: record.store,
    projectNames: record.projectNames,
    forProject: (name) => structuredClone(record.projects[name] ?? fallback),
    sourceOf: (name, keyPath) => (record.sources[name] ?? record.sources[""])?.[keyPath] ?? keyPath,
  };
}
