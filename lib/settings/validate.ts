/**
 * Validates a settings document: merges studio -> project -> site and checks
 * every project's effective settings before anything runs, so a bad value is
 * reported once, with the file, the key path in the scope that wrote it, and
 * the value. (Loaded only when the settings changed: see load.ts.)
 */
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { SettingsError } from "../errors.js";
import type { LoadOptions, Settings } from "./load.js";
import { isPlainObject, mergeScopes, valueAt } from "./merge.js";
import {
  DocumentSchema,
  type ProjectSettings,
  ProjectSettingsSchema,
  type SettingsDocument,
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
  if (!parsed.success) throw fromIssues(parsed.error.issues, file, () => ({ scope: "", path: [] }), raw);
  const document = parsed.data;
  const cache = new Map<string, ProjectSettings>();
  const forProject = (projectName: string): ProjectSettings => {
    let settings = cache.get(projectName);
    if (!settings) {
      settings = validateProject(document, projectName, file, options);
      cache.set(projectName, settings);
    }
    return settings;
  };
  // Every scope is checked now, before any command does anything.
  forProject("");
  for (const name of Object.keys(document.projects)) forProject(name);
  return { file, store: document.store, projectNames: Object.keys(document.projects), forProject };
}

function validateProject(
  document: SettingsDocument,
  projectName: string,
  file: string,
  options: LoadOptions,
): ProjectSettings {
  const projectScope = projectName ? document.projects[projectName] : undefined;
  const merged = mergeScopes(mergeScopes(document.studio, projectScope), document.site);
  const scopes: Array<[string, unknown]> = [
    ["site", document.site],
    [`projects.${projectName}`, projectScope],
    ["studio", document.studio],
  ];
  const locate = (issuePath: readonly PropertyKey[]) => locateIssue(issuePath, merged, scopes);
  const parsed = ProjectSettingsSchema.safeParse(merged);
  if (!parsed.success) throw fromIssues(parsed.error.issues, file, locate, merged);
  checkProviders(parsed.data, options.providerKinds, file, locate);
  return parsed.data;
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

/**
 * The scope that wrote the value an issue points at: the most specific scope
 * holding a value there. Sites are merged by name, so a site's index in the
 * merged list is translated into its index in each scope.
 */
function locateIssue(
  issuePath: readonly PropertyKey[],
  merged: unknown,
  scopes: Array<[string, unknown]>,
): Located {
  const isSitePath =
    issuePath[0] === "sitesync" && issuePath[1] === "sites" && typeof issuePath[2] === "number";
  const siteName = isSitePath ? valueAt(merged, [...issuePath.slice(0, 3), "name"]) : undefined;
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
    if (valueAt(raw, scopedPath) !== undefined) return { scope, path: scopedPath };
  }
  // Nothing wrote it (a required key is missing): report it where the parent lives.
  for (const [scope, raw] of scopes) {
    if (raw !== undefined && valueAt(raw, issuePath.slice(0, -1)) !== undefined)
      return { scope, path: issuePath };
  }
  return { scope: "studio", path: issuePath };
}

function describe({ scope, path: keyPath }: Located): string {
  let out = scope;
  for (const key of keyPath) out += typeof key === "number" ? `[${key}]` : `${out ? "." : ""}${String(key)}`;
  return out || "(document)";
}

/** Keys whose values are secrets: never echoed back in an error. */
const SECRET_KEY = /pass|token|secret|^value$/i;

function fromIssues(
  issues: readonly z.core.$ZodIssue[],
  file: string,
  locate: (p: readonly PropertyKey[]) => Located,
  root: unknown,
): SettingsError {
  const lines = issues.map((issue) => {
    const located = locate(issue.path);
    const value = valueAt(root, issue.path);
    const last = issue.path.at(-1);
    const shown =
      value === undefined
        ? ""
        : typeof last === "string" && SECRET_KEY.test(last)
          ? " (value hidden: secret)"
          : ` (got ${JSON.stringify(value)})`;
    const keys = issue.code === "unrecognized_keys" ? `: unknown key(s) ${issue.keys.join(", ")}` : "";
    const missing = value === undefined && issue.code === "invalid_type";
    const message =
      issue.code === "unrecognized_keys"
        ? "not a settings key"
        : missing
          ? `required key is missing (${issue.message})`
          : issue.message;
    return `${describe(located)}${keys}: ${message}${issue.code === "unrecognized_keys" ? "" : shown}`;
  });
  return new SettingsError(`${file}: invalid settings:\n  ${lines.join("\n  ")}`);
}
