import type { Command } from "commander";
import { type CommonOptions, printResult } from "../output.js";
import { withCommonOptions, withContext } from "./common.js";

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
    const { readProjectFile } = await import("../../catalog/project-file.js");
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
