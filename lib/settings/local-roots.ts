/**
 * Local root names against the projects' anatomy roots. A local root is found
 * by its name (`{root[work]}` fills from the local root called `work`), so a
 * misspelt name (`wrk`) leaves the local site without that root and fails
 * only later, on the first file that needs it. Anatomy roots live in the
 * store, not in settings, so this runs once the store is open.
 */
import { SettingsError } from "../errors.js";
import type { Settings } from "./load.js";

const LOCAL_ROOTS = "sitesync.local_setting.local_roots";

export interface ProjectRoots {
  name: string;
  anatomy: { roots: Readonly<Record<string, unknown>> };
}

/**
 * Throws a SettingsError when a local root's name is no anatomy root of any
 * project. With no project in the store there is nothing to match yet (a
 * fresh home), so nothing is checked.
 */
export function checkLocalRoots(settings: Settings, projects: readonly ProjectRoots[]): void {
  if (projects.length === 0) return;
  const known = [...new Set(projects.flatMap((project) => Object.keys(project.anatomy.roots)))].sort();
  // Projects with their own scope can set other local roots than the rest.
  for (const scope of ["", ...settings.projectNames]) {
    const roots = settings.forProject(scope).sitesync.local_setting.local_roots;
    roots.forEach((root, index) => {
      if (known.includes(root.name)) return;
      throw new SettingsError(
        `${settings.file}: ${settings.sourceOf(scope, LOCAL_ROOTS)}[${index}].name: local root "${root.name}" ` +
          `matches no anatomy root of any project (anatomy roots: ${known.join(", ") || "none"}); ` +
          "a local root is used by name, so rename it to the anatomy root it stands for",
      );
    });
  }
}
