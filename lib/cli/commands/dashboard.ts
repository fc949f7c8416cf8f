import { type Command, InvalidArgumentError } from "commander";
import type { CommonOptions } from "../output.js";
import { stopSignal } from "../stop.js";
import { withCommonOptions, withContext } from "./common.js";

interface DashboardOptions extends CommonOptions {
  project?: string;
  port?: number;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`--port: "${value}" is not a port (0-65535; 0 picks a free one)`);
  return n;
}

/**
 * `sitesync dashboard`: the status page alone, for a home without a running
 * service (the service serves it too). Its live updates come from the store,
 * as nothing here moves files; actions that queue work wake the services.
 */
export function registerDashboard(program: Command): void {
  withCommonOptions(
    program
      .command("dashboard")
      .description("serve the status page on 127.0.0.1 (the URL it prints carries the home's token once)")
      .option("--project <name>", "the project the page opens on (default: the first by name)")
      .option(
        "--port <n>",
        "port on 127.0.0.1 (default: settings dashboard.port; 0 picks a free one)",
        parsePort,
      ),
  ).action(async (options: DashboardOptions) => {
    await withContext(options, async (context) => {
      const [{ createLogger }, { startDashboard }, { serviceToken, wakeForWork }, { requireProject }] =
        await Promise.all([
          import("../../log.js"),
          import("../../dashboard/server.js"),
          import("../../service/wake.js"),
          import("../../context.js"),
        ]);
      const project = options.project ? (await requireProject(context, options.project)).name : undefined;
      const logger = createLogger({ verbose: options.verbose ?? false, format: options.logFormat });
      const signal = stopSignal(logger, { termIsNormalEnd: true });
      const dashboard = await startDashboard({
        context,
        token: serviceToken(context.home),
        port: options.port ?? context.settings.forProject("").dashboard.port,
        ...(project ? { project } : {}),
        wake: async (name, sites) => {
          await wakeForWork(context, name, sites);
        },
        logger,
      });
      const result = {
        origin: dashboard.origin,
        port: dashboard.port,
        url: dashboard.url,
        record: dashboard.record,
      };
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(`status page: ${dashboard.url}\n`);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await dashboard.close();
    });
  });
}
