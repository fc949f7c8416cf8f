/**
 * A project file for `sitesync project import` (YAML or JSON): name, code,
 * optional anatomy over AYON's defaults, folders with their tasks.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { loadDefaultAnatomy, parseAnatomy } from "../anatomy/defaults.js";
import { InputError } from "../errors.js";
import { ENTITY_NAME, FOLDER_PATH, PROJECT_NAME } from "../names.js";
import { mergeScopes, valueAt } from "../settings/merge.js";
import type { ProjectImport } from "../store/types.js";

const ProjectFile = z.strictObject({
  name: z.string().regex(PROJECT_NAME, "a project name uses only letters, digits and '_'"),
  code: z.string().regex(ENTITY_NAME, "a project code uses only letters, digits, '_', '.', '-'"),
  anatomy: z.record(z.string(), z.unknown()).optional(),
  folders: z
    .array(
      z.strictObject({
        path: z.string().regex(FOLDER_PATH, "a folder path looks like /assets/characters/hero"),
        type: z.string().optional(),
        tasks: z
          .array(
            z.strictObject({
              name: z.string().regex(ENTITY_NAME, "not a valid task name"),
              type: z.string().min(1),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

export function readProjectFile(file: string): ProjectImport {
  let raw: unknown;
  try {
    const text = readFileSync(file, "utf8");
    raw = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new InputError(`${file}: cannot read project file: ${(error as Error).message}`);
  }
  const parsed = ProjectFile.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const value = valueAt(raw, issue.path);
      const shown = value === undefined || typeof value === "object" ? "" : ` (got ${JSON.stringify(value)})`;
      return `${issue.path.join(".") || "(file)"}: ${issue.message}${shown}`;
    });
    throw new InputError(`${file}: invalid project file:\n  ${lines.join("\n  ")}`);
  }
  const { name, code, folders } = parsed.data;
  // A project's anatomy overrides AYON's defaults key by key.
  const anatomy = parseAnatomy(mergeScopes(loadDefaultAnatomy(), parsed.data.anatomy), `${file}: anatomy`);
  return {
    name,
    code,
    anatomy,
    folders: folders.map((f) => ({
      path: f.path,
      ...(f.type ? { folderType: f.type } : {}),
      tasks: f.tasks,
    })),
  };
}
