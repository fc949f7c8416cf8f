import { type Command, InvalidArgumentError } from "commander";
import type { Context } from "../../context.js";
import type { CommonOptions } from "../output.js";

// Kept here rather than imported from log.ts: `--help` and usage errors must not load pino.
const LOG_FORMATS = ["json", "pretty"] as const;

/** The options every command accepts. */
export function withCommonOptions(command: Command): Command {
  return command
    .option("--home <dir>", "sitesync home (default: $SITESYNC_HOME or ~/.sitesync)")
    .option("--json", "print the result as JSON on stdout (logs stay on stderr)")
    .option("--verbose", "more detail on stderr")
    .option(
      "--log-format <format>",
      `log lines on stderr: ${LOG_FORMATS.join(" or ")} (default: pretty on a terminal, json otherwise)`,
      parseLogFormat,
    );
}

function parseLogFormat(value: string): (typeof LOG_FORMATS)[number] {
  const format = LOG_FORMATS.find((f) => f === value);
  if (!format)
    throw new InvalidArgumentError(`--log-format: "${value}" is not one of ${LOG_FORMATS.join(", ")}`);
  return format;
}

/** Runs a command body with an open context and always closes the store. */
export async function withContext<T>(
  options: CommonOptions,
  body: (context: Context) => Promise<T>,
  open: { create?: boolean } = {},
): Promise<T> {
  // Loaded on use: `--help` and usage errors must not pay for settings, schemas and the store.
  const [{ openContext }, { checkLocalRoots }] = await Promise.all([
    import("../../context.js"),
    import("../../settings/local-roots.js"),
  ]);
  const context = await openContext({ ...(options.home ? { home: options.home } : {}), ...open });
  try {
    // Not when creating (init, project import): importing the project whose
    // anatomy has the root a local root names is how such settings become valid.
    if (!open.create) checkLocalRoots(context.settings, await context.store.listProjects());
    return await body(context);
  } finally {
    await context.store.close();
  }
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseInteger(option: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${option}: "${value}" is not an integer`);
    return n;
  };
}
