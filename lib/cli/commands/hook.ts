import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { type CommonOptions, printResult } from "../output.js";
import { stopSignal } from "../stop.js";
import { withCommonOptions, withContext } from "./common.js";

interface HookRunOptions extends CommonOptions {
  project: string;
  folder: string;
  task: string;
  app: string;
  lastWorkfile?: string;
  workfile?: string;
  timeout?: number;
}

const HOOKS = ["copy-last-published-workfile"];

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InputError(`--timeout: "${value}" is not a positive number of seconds`);
  return n;
}

export function registerHook(program: Command): void {
  const hook = program.command("hook").description("prelaunch hooks");
  withCommonOptions(
    hook
      .command("run")
      .description("run one prelaunch hook alone, as the launcher would (manual use, CI)")
      .argument("<name>", `hook name (${HOOKS.join(", ")})`)
      .requiredOption("--project <name>", "project name")
      .requiredOption("--folder <path>", "folder path, e.g. /assets/characters/hero")
      .requiredOption("--task <name>", "task name")
      .requiredOption("--app <group/variant>", "application, e.g. maya/2024")
      .option("--last-workfile <path>", "last workfile path (default: computed as the launcher does)")
      .option("--workfile <path>", "an explicit workfile to open (the hook then does nothing)")
      .option("--timeout <seconds>", "give up waiting for transfers after this long", seconds),
  ).action(async (name: string, options: HookRunOptions) => {
    if (!HOOKS.includes(name))
      throw new InputError(`hook run: unknown hook "${name}" (known: ${HOOKS.join(", ")})`);
    await withContext(options, async (context) => {
      const [
        { copyLastPublishedWorkfile },
        { buildLaunch },
        { hookServices },
        { createLogger },
        { progressRenderer },
      ] = await Promise.all([
        import("../../../hooks/copy-last-published-workfile.js"),
        import("../../launcher/launch-data.js"),
        import("../../launcher/services.js"),
        import("../../log.js"),
        import("../progress.js"),
      ]);
      const { data, sites } = await buildLaunch(context, {
        project: options.project,
        folderPath: options.folder,
        task: options.task,
        app: options.app,
      });
      if (options.lastWorkfile) data.last_workfile_path = options.lastWorkfile;
      if (options.workfile) data.workfile_path = options.workfile;
      const logger = createLogger({ verbose: options.verbose ?? false, format: options.logFormat });
      const progress = progressRenderer(!options.json);
      try {
        const result = await copyLastPublishedWorkfile({
          data,
          launchType: "local",
          platform: context.platform,
          services: hookServices(
            context,
            { project: data.project_name, sites },
            {
              logger,
              onEvent: progress.onEvent,
              signal: stopSignal(logger),
              ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout * 1000 }),
            },
          ),
        });
        progress.stop();
        printResult(options, result, () =>
          [
            result.status === "copied"
              ? `copied ${result.source_filepath}\n    -> ${result.last_workfile_path}`
              : `skipped: ${result.reason}`,
            ...result.resources.map((r) => `  resource ${r}`),
            ...result.linked_representation_ids.map((id) => `  referenced representation ${id} brought`),
          ].join("\n"),
        );
      } finally {
        progress.stop();
      }
    });
  });
}
