/**
 * Profiles written with AYON's older filter keys (`hosts`, `tasks`), read
 * through the real settings loader and schema: the schema's `[]` default for
 * `host_names` must not make a `hosts: [houdini]` profile match every host.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { workTemplateName } from "../../lib/launcher/workfiles.js";
import { loadSettings } from "../../lib/settings/load.js";
import { filterProfiles } from "../../lib/settings/profiles.js";
import type { ProjectSettings } from "../../lib/settings/schema.js";
import { tempDir } from "../helpers/tmp.js";

const kinds = { providerKinds: ["local_drive", "sftp"] };

/** The project's settings from a settings.yaml in a fresh home: validated, then again from the cache. */
async function load(yaml: string): Promise<ProjectSettings[]> {
  const home = tempDir();
  const file = path.join(home, "settings.yaml");
  writeFileSync(file, yaml);
  const validated = await loadSettings(file, home, kinds);
  const cached = await loadSettings(file, home, kinds);
  return [validated.forProject("Proj"), cached.forProject("Proj")];
}

function lastWorkfileProfile(settings: ProjectSettings, host: string, taskName = "modelMain") {
  return filterProfiles(settings.core.tools.Workfiles.last_workfile_on_startup, {
    host_names: host,
    task_types: "Modeling",
    task_names: taskName,
  });
}

describe("profiles with AYON's older filter keys", () => {
  it("applies a `hosts: [houdini]` last_workfile_on_startup profile to houdini only", async () => {
    for (const settings of await load(`
studio:
  core:
    tools:
      Workfiles:
        last_workfile_on_startup:
          - {hosts: [houdini], enabled: true, use_last_published_workfile: true}
`)) {
      expect(lastWorkfileProfile(settings, "houdini")?.use_last_published_workfile).toBe(true);
      expect(lastWorkfileProfile(settings, "maya")).toBeUndefined();
      expect(settings.core.tools.Workfiles.last_workfile_on_startup[0]?.host_names).toEqual(["houdini"]);
    }
  });

  it("reads `tasks` as `task_names`, and lets a non-empty newer key win over the older one", async () => {
    for (const settings of await load(`
studio:
  core:
    tools:
      Workfiles:
        last_workfile_on_startup:
          - {hosts: [houdini], host_names: [nuke], tasks: [lookdev], use_last_published_workfile: true}
          - {host_names: [], hosts: [maya], tasks: [modelMain], task_names: [], use_last_published_workfile: true}
        workfile_template_profiles:
          - {hosts: [houdini], workfile_template: houdini_work}
projects:
  Proj: {}
`)) {
      // host_names [nuke] beats hosts [houdini]: the first profile is nuke's.
      expect(lastWorkfileProfile(settings, "houdini", "lookdev")).toBeUndefined();
      expect(lastWorkfileProfile(settings, "nuke", "lookdev")).toBe(
        settings.core.tools.Workfiles.last_workfile_on_startup[0],
      );
      expect(lastWorkfileProfile(settings, "nuke", "compMain")).toBeUndefined();
      // Empty newer lists leave the older ones in force.
      expect(lastWorkfileProfile(settings, "maya", "modelMain")).toBe(
        settings.core.tools.Workfiles.last_workfile_on_startup[1],
      );
      expect(lastWorkfileProfile(settings, "maya", "rigMain")).toBeUndefined();

      expect(workTemplateName(settings, "houdini", "Modeling", "modelMain")).toBe("houdini_work");
      expect(workTemplateName(settings, "maya", "Modeling", "modelMain")).toBe("default");
    }
  });
});
