import type { Command } from "commander";
import type { CopyHookPlan } from "../../../hooks/copy-last-published-workfile.js";
import { type CommonOptions, printResult } from "../output.js";
import { stopSignal } from "../stop.js";
import { withCommonOptions, withContext } from "./common.js";

interface LaunchOptions extends CommonOptions {
  project: string;
  folder: string;
  task: string;
  app: string;
  dryRun?: boolean;
}

export function registerLaunch(program: Command): void {
  withCommonOptions(
    program
      .command("launch")
      .description(
        "launch an application in a task: launch data, prelaunch hooks in order, then the app with the workfile",
      )
      .requiredOption("--project <name>", "project name")
      .requiredOption("--folder <path>", "folder path, e.g. /assets/characters/hero")
      .requiredOption("--task <name>", "task name")
      .requiredOption("--app <group/variant>", "application, e.g. maya/2024")
      .option(
        "--dry-run",
        "change nothing: print the command, the final launch data and each hook's plan instead of starting the application",
      )
      .argument("[args...]", "arguments for the application (after --)"),
  ).action(async (args: string[], options: LaunchOptions) => {
    await withContext(options, async (context) => {
      const [{ launch }, { registerPrelaunchHook }, copyHook, { createLogger }, { progressRenderer }] =
        await Promise.all([
          import("../../launcher/launch.js"),
          import("../../launcher/hooks.js"),
          import("../../../hooks/copy-last-published-workfile.js"),
          import("../../log.js"),
          import("../progress.js"),
        ]);
      // The package's own hook, registered here where the CLI is assembled, as a studio's hook would be.
      registerPrelaunchHook(copyHook.copyLastPublishedWorkfileHook);
      const logger = createLogger({ verbose: options.verbose ?? false, format: options.logFormat });
      const progress = progressRenderer(!options.json);
      const result = await launch(
        context,
        { project: options.project, folderPath: options.folder, task: options.task, app: options.app },
        {
          dryRun: options.dryRun ?? false,
          extraArgs: args,
          services: { logger, onEvent: progress.onEvent, signal: stopSignal(logger) },
        },
      ).finally(() => progress.stop());
      if (options.dryRun) {
        const { describeCopyPlan, copyLastPublishedWorkfileHook } = copyHook;
        const { project_settings: _settings, anatomy: _anatomy, ...data } = result.data;
        const hookLines = result.hooks.flatMap((run) => {
          if ("skipped" in run) return [`hook ${run.name}: ${run.skipped}`];
          if ("note" in run) return [`hook ${run.name}: ${run.note}`];
          if (!("plan" in run)) return [];
          const lines =
            run.name === copyLastPublishedWorkfileHook.name
              ? describeCopyPlan(run.plan as CopyHookPlan)
              : [JSON.stringify(run.plan)];
          return [`hook ${run.name}: ${lines[0]}`, ...lines.slice(1)];
        });
        printResult(options, { command: result.command, data, hooks: result.hooks }, () =>
          [
            `command: ${result.command.map((a) => JSON.stringify(a)).join(" ")}`,
            `last_workfile_path: ${result.data.last_workfile_path}`,
            ...hookLines,
          ].join("\n"),
        );
        return;
      }
      if (result.exitCode !== 0) {
        logger.warn(
          { app: result.data.app_name, exitCode: result.exitCode },
          "the application exited with an error",
        );
        process.exitCode = 1;
      }
    });
  });
}
