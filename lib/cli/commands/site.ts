import type { Command } from "commander";
import type { Context } from "../../context.js";
import { InputError } from "../../errors.js";
import { wakeForWork } from "../../service/wake.js";
import type { SiteTarget } from "../../state/site-operations.js";
import { statusName } from "../../store/status.js";
import { type CommonOptions, printResult } from "../output.js";
import { resolveRepresentationId } from "../representation-ids.js";
import { parseInteger, withCommonOptions, withContext } from "./common.js";

interface SiteOptions extends CommonOptions {
  project: string;
  representation: string;
  site: string;
  all?: boolean;
  folder?: string;
  product?: string;
  force?: boolean;
  priority?: number;
  removeLocalFiles?: boolean;
}

/** The project first, so an unknown project is named as such rather than as an unknown id. */
async function target(context: Context, options: SiteOptions): Promise<SiteTarget> {
  const { requireProject } = await import("../../context.js");
  const project = await requireProject(context, options.project);
  return {
    project: project.name,
    representationId: await resolveRepresentationId(context.store, project.name, options.representation),
    site: options.site,
  };
}

function siteCommand(parent: Command, name: string, description: string, many = false): Command {
  const command = parent
    .command(name)
    .description(description)
    .requiredOption("--project <name>", "project name");
  const representation = "representation id, or a unique prefix of 8+ characters";
  // `site add --all` takes no representation: --representation is checked in its action instead.
  if (many) command.option("--representation <id>", `${representation} (or --all)`);
  else command.requiredOption("--representation <id>", representation);
  return withCommonOptions(
    command.requiredOption("--site <site>", "site name ('local' is this workstation)"),
  );
}

export function registerSite(program: Command): void {
  const site = program.command("site").description("a representation's state on a site");
  siteCommand(
    site,
    "add",
    "queue every file of the representation (or of every one: --all) for the site",
    true,
  )
    .option("--force", "reset the site when it already has a state")
    .option("--priority <n>", "priority (higher first, default 50)", parseInteger("--priority"))
    .option("--all", "every representation of the project without a state on the site (a backfill)")
    .option("--folder <text>", "with --all: only folders whose path contains this text")
    .option("--product <text>", "with --all: only products whose name contains this text")
    .action(async (options: SiteOptions) => {
      if (Boolean(options.all) === Boolean(options.representation))
        throw new InputError("site add: give either --representation or --all");
      if (!options.all && (options.folder !== undefined || options.product !== undefined))
        throw new InputError("site add: --folder and --product filter --all only");
      if (options.all && options.force)
        throw new InputError(
          "site add: --force resets one representation; --all never touches existing states",
        );
      if (options.all) {
        await withContext(options, async (context) => {
          const { addSiteToAll } = await import("../../state/site-operations.js");
          const result = await addSiteToAll(
            context,
            { project: options.project, site: options.site },
            {
              ...(options.folder === undefined ? {} : { folder: options.folder }),
              ...(options.product === undefined ? {} : { product: options.product }),
              ...(options.priority === undefined ? {} : { priority: options.priority }),
            },
          );
          const wokenServices =
            result.queued > 0 ? await wakeForWork(context, options.project, [result.site]) : [];
          printResult(
            options,
            { ...result, wokenServices },
            () => `${result.queued} representation(s) queued on ${result.site}`,
          );
        });
        return;
      }
      await withContext(options, async (context) => {
        const { addSite } = await import("../../state/site-operations.js");
        const chosen = await target(context, options);
        const result = await addSite(context, chosen, {
          force: options.force ?? false,
          ...(options.priority === undefined ? {} : { priority: options.priority }),
        });
        // A running service picks the new work up now rather than after loop_delay.
        const wokenServices = await wakeForWork(context, options.project, [result.site]);
        printResult(
          options,
          { ...result, representationId: chosen.representationId, wokenServices },
          () => `${chosen.representationId} on ${result.site}: ${statusName(result.status)}`,
        );
      });
    });
  siteCommand(site, "remove", "forget the representation's state on the site")
    .option("--remove-local-files", "also delete the files from this workstation's own site")
    .action(async (options: SiteOptions) => {
      await withContext(options, async (context) => {
        const { removeSite } = await import("../../state/site-operations.js");
        const chosen = await target(context, options);
        const result = await removeSite(context, chosen, {
          removeLocalFiles: options.removeLocalFiles ?? false,
        });
        printResult(options, { ...result, representationId: chosen.representationId }, () =>
          [
            `removed ${chosen.representationId} from ${result.site}`,
            ...result.removedFiles.map((f) => `  deleted ${f}`),
          ].join("\n"),
        );
      });
    });
  siteCommand(site, "reset", "queue the representation's files on the site again (retries cleared)").action(
    async (options: SiteOptions) => {
      await withContext(options, async (context) => {
        const { resetSite } = await import("../../state/site-operations.js");
        const chosen = await target(context, options);
        const result = await resetSite(context, chosen);
        printResult(
          options,
          { ...result, representationId: chosen.representationId },
          () => `reset ${chosen.representationId} on ${result.site}: QUEUED`,
        );
      });
    },
  );
}
