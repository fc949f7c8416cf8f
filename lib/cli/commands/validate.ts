import type { Command } from "commander";
import { type CommonOptions, printResult } from "../output.js";
import { withCommonOptions, withContext } from "./common.js";

interface ValidateOptions extends CommonOptions {
  project: string;
  site: string;
  resetMissing?: boolean;
}

export function registerValidate(program: Command): void {
  withCommonOptions(
    program
      .command("validate")
      .description(
        "mark files found on a site as present (OK); with --reset-missing queue missing ones again",
      )
      .requiredOption("--project <name>", "project name")
      .requiredOption("--site <site>", "site to check ('local' is this workstation)")
      .option("--reset-missing", "queue files the state calls OK but the site does not have"),
  ).action(async (options: ValidateOptions) => {
    await withContext(options, async (context) => {
      const { validateProject } = await import("../../state/validate.js");
      const report = await validateProject(context, options.project, options.site, {
        resetMissing: options.resetMissing ?? false,
      });
      printResult(
        options,
        report,
        () =>
          `${report.site}: ${report.present} file(s) present, ${report.missing} missing, ${report.reset} queued again (${report.representations} representations)`,
      );
    });
  });
}
