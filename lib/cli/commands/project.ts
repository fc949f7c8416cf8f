import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { loadDefaultAnatomy, parseAnatomy } from "../../anatomy/defaults.js";
import { InputError } from "../../errors.js";
import { ENTITY_NAME, FOLDER_PATH, PROJECT_NAME } from "../../names.js";
import { mergeScopes, valueAt } from "../../settings/merge.js";
import type { ProjectImport } from "../../store/types.js";
import { type CommonOptions, printResult } from "../output.js";
import { withCommonOptions, withContext } from "./common.js";

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

export function registerProject(program: Command): void {
  const project = program.command("project").description("projects in the catalog");
  withCommonOptions(
    project
      .command("import")
      .description(
        "create or update a project (name, code, anatomy, folders with tasks) from YAML/JSON; idempotent",
      )
      .argument("<file>", "project file"),
  ).action(async (file: string, options: CommonOptions) => {
    const data = readProjectFile(file);
    await withContext(
      options,
      async (context) => {
        await context.store.importProject(data);
        const result = { name: data.name, code: data.code, folders: data.folders.length };
        printResult(options, result, () => `imported project ${data.name} (${data.folders.length} folders)`);
      },
      { create: true },
    );
  });
}
