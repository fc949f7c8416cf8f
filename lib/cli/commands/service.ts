import type { Command } from "commander";
import { checkSiteId } from "../../home.js";
import type { CommonOptions } from "../output.js";
import { stopSignal } from "../stop.js";
import { withCommonOptions, withContext } from "./common.js";

interface ServiceOptions extends CommonOptions {
  activeSite: string;
}

export function registerService(program: Command): void {
  withCommonOptions(
    program
      .command("syncservice")
      .description("background sync for a site over every enabled project; SIGINT/SIGTERM stop it cleanly")
      .requiredOption(
        "--active-site <site>",
        "the site this service syncs for (e.g. studio); AYON's --active_site works too",
      ),
  ).action(async (options: ServiceOptions) => {
    // `local` is this workstation's site (resolved below), as `--site local` everywhere.
    if (options.activeSite !== "local") checkSiteId(options.activeSite, "--active-site");
    await withContext(options, async (context) => {
      const [{ createLogger }, { runLoop }, { progressRenderer }, { requireServiceWork, serviceSite }] =
        await Promise.all([
          import("../../log.js"),
          import("../../service/service.js"),
          import("../progress.js"),
          import("../../service/start.js"),
        ]);
      const site = await serviceSite(context, options.activeSite);
      await requireServiceWork(context, site);
      const logger = createLogger({ verbose: options.verbose ?? false, format: options.logFormat });
      const progress = progressRenderer(!options.json);
      // Signals are handled from here on: a stop during start-up is clean too.
      const signal = stopSignal(logger, { termIsNormalEnd: true });
      logger.info({ site, home: context.home }, "sync service started");
      await runLoop({
        context,
        site,
        logger,
        signal,
        wakeable: true,
        alwaysAccessible: true,
        statusPage: true,
        onEvent: progress.onEvent,
      });
      progress.stop();
    });
  });
}
