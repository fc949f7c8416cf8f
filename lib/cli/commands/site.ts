import type { Command } from "commander";
import { wakeServices } from "../../service/wake.js";
import type { SiteTarget } from "../../state/site-operations.js";
import { statusName } from "../../store/status.js";
import { type CommonOptions, printResult } from "../output.js";
import { parseInteger, withCommonOptions, withContext } from "./common.js";

interface SiteOptions extends CommonOptions {
  project: string;
  representation: string;
  site: string;
  force?: boolean;
  priority?: number;
  removeLocalFiles?: boolean;
}

function target(options: SiteOptions): SiteTarget {
  return { project: options.project, representationId: options.representation, site: options.site };
}

function siteCommand(parent: Command, name: string, description: string): Command {
  return withCommonOptions(
    parent
      .command(name)
      .description(description)
      .requiredOption("--project <name>", "project name")
      .requiredOption("--representation <id>", "representation id")
      .requiredOption("--site <site>", "site name ('local' is this workstation)"),
  );
}

export function registerSite(program: Command): void {
  const site = program.command("site").description("a representation's state on a site");
  siteCommand(site, "add", "queue every file of the representation for the site")
    .option("--force", "reset the site when it already has a state")
    .option("--priority <n>", "priority (higher first, default 50)", parseInteger("--priority"))
    .action(async (options: SiteOptions) => {
      await withContext(options, async (context) => {
        const { addSite } = await import("../../state/site-operations.js");
        const result = await addSite(context, target(options), {
          force: options.force ?? false,
          ...(options.priority === undefined ? {} : { priority: options.priority }),
        });
        // A running service picks the new work up now rather than after loop_delay.
        const wokenServices = await wakeServices(context.home);
        printResult(
          options,
          { ...result, wokenServices },
          () => `${options.representation} on ${result.site}: ${statusName(result.status)}`,
        );
      });
    });
  siteCommand(site, "remove", "forget the representation's state on the site")
    .option("--remove-local-files", "also delete the files from this workstation's own site")
    .action(async (options: SiteOptions) => {
      await withContext(options, async (context) => {
        const { removeSite } = await import("../../state/site-operations.js");
        const result = await removeSite(context, target(options), {
          removeLocalFiles: options.removeLocalFiles ?? false,
        });
        printResult(options, result, () =>
          [
            `removed ${options.representation} from ${result.site}`,
            ...result.removedFiles.map((f) => `  deleted ${f}`),
          ].join("\n"),
        );
      });
    });
  siteCommand(site, "reset", "queue the representation's files on the site again (retries cleared)").action(
    async (options: SiteOptions) => {
      await withContext(options, async (context) => {
        const { resetSite } = await import("../../state/site-operations.js");
        const result = await resetSite(context, target(options));
        printResult(options, result, () => `reset ${options.representation} on ${result.site}: QUEUED`);
      });
    },
  );
}
