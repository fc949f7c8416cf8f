import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { wakeForWork } from "../../service/wake.js";
import type { PauseTarget } from "../../store/types.js";
import { type CommonOptions, printResult } from "../output.js";
import { resolveRepresentationId } from "../representation-ids.js";
import { withCommonOptions, withContext } from "./common.js";

interface PauseOptions extends CommonOptions {
  project?: string;
  representation?: string;
  service?: boolean;
}

function register(program: Command, name: "pause" | "unpause", paused: boolean): void {
  withCommonOptions(
    program
      .command(name)
      .description(`${name} syncing of a representation, a project or the whole service (kept in the store)`)
      .option("--project <name>", "project name")
      .option(
        "--representation <id>",
        "one representation of the project (its id or a unique prefix of 8+ characters)",
      )
      .option("--service", "every sync service and loop of this store"),
  ).action(async (options: PauseOptions) => {
    if (Boolean(options.service) === Boolean(options.project)) {
      throw new InputError(`${name}: give either --project (optionally with --representation) or --service`);
    }
    await withContext(options, async (context) => {
      const { requireProject } = await import("../../context.js");
      let target: PauseTarget = { kind: "service" };
      if (options.project) {
        const project = await requireProject(context, options.project);
        target = { kind: "project", project: project.name };
        if (options.representation) {
          const representationId = await resolveRepresentationId(
            context.store,
            project.name,
            options.representation,
          );
          target = { kind: "representation", project: project.name, representationId };
        }
      }
      await context.store.setPaused(target, paused);
      // Unpaused work is work for the running services now, not after loop_delay.
      const wokenServices = paused
        ? []
        : await wakeForWork(context, target.kind === "service" ? undefined : target.project, []);
      printResult(
        options,
        { ...target, paused, ...(paused ? {} : { wokenServices }) },
        () => `${paused ? "paused" : "unpaused"} ${describe(target)}`,
      );
    });
  });
}

function describe(target: PauseTarget): string {
  if (target.kind === "service") return "the sync service";
  if (target.kind === "project") return `project ${target.project}`;
  return `representation ${target.representationId} of ${target.project}`;
}

export function registerPause(program: Command): void {
  register(program, "pause", true);
  register(program, "unpause", false);
}
