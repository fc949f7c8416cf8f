/**
 * How commands talk to the terminal: a result as JSON on stdout under --json,
 * human text otherwise; errors on stderr with the exit code of their kind
 * (0 ok, 1 operation failed, 2 bad input).
 */
import { exitCodeOf, SitesyncError } from "../errors.js";

export interface CommonOptions {
  home?: string;
  json?: boolean;
  verbose?: boolean;
  logFormat?: "json" | "pretty";
}

export function printResult(options: CommonOptions, result: unknown, text: () => string): void {
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`${text()}\n`);
}

export function reportError(error: unknown, options: CommonOptions): 1 | 2 {
  const code = exitCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const kind = error instanceof SitesyncError ? error.kind : "internal";
  process.stderr.write(`sitesync: ${message}\n`);
  if (options.verbose && error instanceof Error && !(error instanceof SitesyncError) && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ error: { kind, message, exitCode: code } })}\n`);
  return code;
}
