/**
 * Validates a settings document: merges studio -> project -> site and checks
 * every project's effective settings before anything runs, so a bad value is
 * reported once, with the file, the key path in the scope that wrote it, and
 * the value. (Loaded only when the settings changed: see load.ts.)
 */
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { SettingsError } from "../errors.js";
import { type LoadOptions, type Settings, TRACKED_KEYS, type TrackedKey } from "./load.js";
import { isPlainObject, mergeScopes, valueAt } from "./merge.js";
import {
  DocumentSchema,
  type ProjectSettings,
  ProjectSettingsSchema,
  type SettingsDocument,
  StoreSchema,
  type StoreSettings,
} from "./schema.js";

export function parseSettings(text: string, file: string, options: LoadOptions): Settings {
  let raw: unknown;
  try {
    raw = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new SettingsError(
      `${file}: not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${(error as Error).message}`,
    );
  }
  const parsed = DocumentSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const whole: Locator = {
      locate: (issuePath) => ({ scope: "", path: issuePath }),
      holders: (issuePath) => [{ scope: "", path: issuePath }],
    };
    throw fromIssues(parsed.error.issues, file, whole, raw);
  }
  const { document, store } = withSiteStore(parsed.data, file, raw);
  const cache = new Map<string, Validated>();
  const validated = (projectName: string): Validated => {
    let entry = cache.get(projectName);
    if (!entry) {
      entry = validateProject(document, projectName, file, options);
      cache.set(projectName, entry);
    }
    return entry;
  };
  // Every scope is checked now, before any command does anything.
  validated("");
  for (const name of Object.keys(document.projects)) validated(name);
  return {
    file,
    store,
    projectNames: Object.keys(document.projects),
    forProject: (projectName) => validated(projectName).settings,
    sourceOf: (projectName, keyPath) => validated(projectName).sources[keyPath],
  };
}

/**
 * The store settings: the document's `store` with the workstation's
 * `site.store` merged over it, taken out of the site scope (it is not a
 * project setting).
 */
function withSiteStore(
  document: SettingsDocument,
  file: string,
  raw: unknown,
): { document: SettingsDocument; store: StoreSettings | undefined } {
  const { store: siteStore, ...site } = document.site;
  if (siteStore === undefined) return { document, store: document.store };
  const merged = mergeScopes(document.store ?? {}, siteStore);
  const parsed = StoreSchema.safeParse(merged);
  if (!parsed.success) {
    const fromSite: Locator = {
      locate: (issuePath) => ({ scope: "site", path: ["store", ...issuePath] }),
      holders: (issuePath) => [{ scope: "site", path: ["store", ...issuePath] }],
    };
    throw fromIssues(parsed.error.issues, file, fromSite, valueAt(raw, ["site", "store"]));
  }
  return { document: { ...document, site }, store: parsed.data };
}

interface Validated {
  settings: ProjectSettings;
  sources: Record<TrackedKey, string>;
}

function validateProject(
  document: SettingsDocument,
  projectName: string,
  file: string,
  options: LoadOptions,
): Validated {
  const projectScope = projectName ? document.projects[projectName] : undefined;
  const merged = mergeScopes(mergeScopes(document.studio, projectScope), document.site);
  const scopes: Array<[string, unknown]> = [
    ["site", document.site],
    [`projects.${projectName}`, projectScope],
    ["studio", document.studio],
  ];
  const locator: Locator = {
    locate: (issuePath) => locateIssue(issuePath, merged, scopes),
    holders: (issuePath) => holders(issuePath, merged, scopes),
  };
  const parsed = ProjectSettingsSchema.safeParse(merged);
  if (!parsed.success) throw fromIssues(parsed.error.issues, file, locator, merged);
  checkProviders(parsed.data, options.providerKinds, file, locator.locate);
  const sources = Object.fromEntries(
    TRACKED_KEYS.map((keyPath) => [keyPath, describe(locator.locate(keyPath.split(".")))]),
  ) as Record<TrackedKey, string>;
  return { settings: parsed.data, sources };
}

function checkProviders(
  settings: ProjectSettings,
  kinds: readonly string[],
  file: string,
  locate: (p: readonly PropertyKey[]) => Located,
): void {
  settings.sitesync.sites.forEach((site, index) => {
    const at = (...rest: PropertyKey[]) => describe(locate(["sitesync", "sites", index, ...rest]));
    if (!kinds.includes(site.provider)) {
      throw new SettingsError(
        `${file}: ${at("provider")}: unknown provider "${site.provider}" for site "${site.name}" (known: ${kinds.join(", ")})`,
      );
    }
    if (site.provider === "sftp") {
      for (const key of ["sftp_host", "sftp_user"] as const) {
        if (!site.sftp?.[key]) {
          throw new SettingsError(
            `${file}: ${at("sftp", key)}: required for sftp site "${site.name}" but missing`,
          );
        }
      }
    }
  });
}

interface Located {
  scope: string;
  path: readonly PropertyKey[];
}

interface Locator {
  /** The one scope to blame for an issue at a path. */
  locate(issuePath: readonly PropertyKey[]): Located;
  /** Every scope that wrote a value at a path. */
  holders(issuePath: readonly PropertyKey[]): Located[];
}

/**
 * The scope that wrote the value an issue points at: the most specific scope
 * holding a value there.
 */
function locateIssue(
  issuePath: readonly PropertyKey[],
  merged: unknown,
  scopes: Array<[string, unknown]>,
): Located {
  const [first] = holders(issuePath, merged, scopes);
  if (first) return first;
  // Nothing wrote it (a required key is missing): report it where the parent lives.
  for (const [scope, raw] of scopes) {
    if (raw !== undefined && valueAt(raw, issuePath.slice(0, -1)) !== undefined)
      return { scope, path: issuePath };
  }
  return { scope: "studio", path: issuePath };
}

/**
 * Every scope holding a value at `issuePath`, most specific first. Sites are
 * merged by name, so a site's index in the merged list is translated into its
 * index in each scope.
 */
function holders(
  issuePath: readonly PropertyKey[],
  merged: unknown,
  scopes: Array<[string, unknown]>,
): Located[] {
  const isSitePath =
    issuePath[0] === "sitesync" && issuePath[1] === "sites" && typeof issuePath[2] === "number";
  const siteName = isSitePath ? valueAt(merged, [...issuePath.slice(0, 3), "name"]) : undefined;
  const out: Located[] = [];
  for (const [scope, raw] of scopes) {
    let scopedPath = issuePath;
    if (isSitePath) {
      const sites = valueAt(raw, ["sitesync", "sites"]);
      const index = Array.isArray(sites)
        ? sites.findIndex((s) => isPlainObject(s) && s.name === siteName)
        : -1;
      if (index < 0) continue;
      scopedPath = ["sitesync", "sites", index, ...issuePath.slice(3)];
    }
    if (valueAt(raw, scopedPath) !== undefined) out.push({ scope, path: scopedPath });
  }
  return out;
}

function describe({ scope, path: keyPath }: Located): string {
  let out = scope;
  for (const key of keyPath) out += typeof key === "number" ? `[${key}]` : `${out ? "." : ""}${String(key)}`;
  return out || "(document)";
}

/** Keys whose values are secrets: never echoed back in an error. */
const SECRET_KEY = /pass|token|secret|^value$|^url$/i;

function fromIssues(
  issues: readonly z.core.$ZodIssue[],
  file: string,
  locator: Locator,
  root: unknown,
): SettingsError {
  const lines = issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") return unknownKeyLines(issue.path, issue.keys, locator);
    const located = locator.locate(issue.path);
    const value = valueAt(root, issue.path);
    const last = issue.path.at(-1);
    const shown =
      value === undefined
        ? ""
        : typeof last === "string" && SECRET_KEY.test(last)
          ? " (value hidden: secret)"
          : ` (got ${JSON.stringify(value)})`;
    const missing = value === undefined && issue.code === "invalid_type";
    const message = missing ? `required key is missing (${issue.message})` : issue.message;
    return [`${describe(located)}: ${message}${shown}`];
  });
  return new SettingsError(`${file}: invalid settings:\n  ${lines.join("\n  ")}`);
}

/**
 * Unknown keys are located one by one: the object holding them is usually
 * written by several scopes (every scope has a `sitesync`), and the error must
 * point at the scope that wrote the key itself, or at each scope that did.
 */
function unknownKeyLines(
  parent: readonly PropertyKey[],
  keys: readonly string[],
  locator: Locator,
): string[] {
  const byObject = new Map<string, string[]>();
  for (const key of keys) {
    const found = locator.holders([...parent, key]);
    const places = found.length > 0 ? found : [locator.locate([...parent, key])];
    for (const place of places) {
      const where = describe({ scope: place.scope, path: place.path.slice(0, -1) });
      byObject.set(where, [...(byObject.get(where) ?? []), key]);
    }
  }
  return [...byObject].map(
    ([where, names]) => `${where}: unknown key(s) ${names.join(", ")}: not a settings key`,
  );
}
