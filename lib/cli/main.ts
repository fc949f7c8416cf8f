#!/usr/bin/env node
/**
 * The `sitesync` command line (docs/contract.md "CLI"). Each command lives in
 * ./commands; this file wires them, the common options and the exit codes.
 */
import { Command, CommanderError } from "commander";
import { loadProviderModules } from "../../providers/modules.js";
import { onSftpWarning } from "../../providers/sftp/warnings.js";
import { InputError } from "../errors.js";
import { onLoggerCreated } from "../log-listeners.js";
import { registerDashboard } from "./commands/dashboard.js";
import { registerHook } from "./commands/hook.js";
import { registerInit } from "./commands/init.js";
import { registerLaunch } from "./commands/launch.js";
import { registerPause } from "./commands/pause.js";
import { registerProject } from "./commands/project.js";
import { registerPublish } from "./commands/publish.js";
import { registerService } from "./commands/service.js";
import { registerSite } from "./commands/site.js";
import { registerStatus } from "./commands/status.js";
import { registerStore } from "./commands/store.js";
import { registerSync } from "./commands/sync.js";
import { registerValidate } from "./commands/validate.js";
import { reportError } from "./output.js";
import { stopExitCode } from "./stop.js";

export function buildProgram(): Command {
  const program = new Command("sitesync")
    .description(
      "AYON Site Sync: sync published files between sites; bring the last published workfile to the artist",
    )
    // Positional: the program's --version only before a command, so `status --version N` reaches status.
    .version(process.env.npm_package_version ?? "0.1.0")
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  registerInit(program);
  registerProject(program);
  registerPublish(program);
  registerStatus(program);
  registerSite(program);
  registerSync(program);
  registerService(program);
  registerPause(program);
  registerValidate(program);
  registerHook(program);
  registerLaunch(program);
  registerStore(program);
  registerDashboard(program);
  return program;
}

/**
 * Points the providers' warnings at the log of the command that runs: weakened
 * host key checking (trust on first use, or off) is said there, not hidden.
 */
let wired = false;
export function wireProviderWarnings(): void {
  if (wired) return;
  wired = true;
  onLoggerCreated((logger) => onSftpWarning((message) => logger.warn(message)));
}

export async function main(argv: string[]): Promise<number> {
  wireProviderWarnings();
  const program = buildProgram();
  try {
    await loadProviderModules();
    // AYON spells it `syncservice --active_site studio`; both spellings work.
    await program.parseAsync(argv.map((arg) => arg.replace(/^--active_site(?==|$)/, "--active-site")));
    return stopExitCode() ?? (process.exitCode === undefined ? 0 : Number(process.exitCode));
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other parse error is bad usage.
      if (error.exitCode === 0) return 0;
      // Commander has already printed its message and the help on stderr; under --json the
      // documented error object (README "CLI") must still reach stdout, as for any other error.
      if (argv.includes("--json")) {
        const usage = new InputError(error.message.replace(/^error: /, ""));
        const json = { kind: usage.kind, message: usage.message, exitCode: usage.exitCode };
        process.stdout.write(`${JSON.stringify({ error: json })}\n`);
      }
      return 2;
    }
    const code = reportError(error, { json: argv.includes("--json"), verbose: argv.includes("--verbose") });
    // Work a signal interrupted ends with the signal's code, whatever error the interruption raised.
    return stopExitCode() ?? code;
  }
}

const code = await main(process.argv);
process.exitCode = code;
