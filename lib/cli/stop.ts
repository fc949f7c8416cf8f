/**
 * How long commands stop on SIGINT/SIGTERM. The first signal aborts the
 * command's AbortSignal: transfers in flight are aborted, their temporary
 * files removed, their files put back to QUEUED and the claims released,
 * then the command returns. A second signal exits at once.
 *
 * Exit codes after a clean stop (docs/contract.md "Exit codes"): 130 for SIGINT, as a
 * shell reports Ctrl-C; for SIGTERM 143, except for the loops (`syncservice`,
 * `sync` without --once), whose normal end is a service manager's SIGTERM and
 * which then exit 0.
 */
import { constants } from "node:os";

export interface StopOptions {
  /** SIGTERM is how this command normally ends (a service): exit 0 after it. */
  termIsNormalEnd?: boolean;
}

let stoppedBy: NodeJS.Signals | undefined;
let termIsNormalEnd = false;

/** An AbortSignal that fires on the first SIGINT or SIGTERM; the second one exits at once. */
export function stopSignal(
  logger: { info: (o: object, m: string) => void },
  options: StopOptions = {},
): AbortSignal {
  const controller = new AbortController();
  termIsNormalEnd = options.termIsNormalEnd ?? false;
  // One listener per signal: a second listener would see the signal already aborted and
  // exit on the first Ctrl-C, before the clean stop (the defect this module replaced).
  const onSignal = (name: NodeJS.Signals) => {
    if (stoppedBy) process.exit(signalExitCode(name));
    stoppedBy = name;
    logger.info({ signal: name }, "stopping: finishing cleanly (send again to exit at once)");
    controller.abort(new Error(`stopped by ${name}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

/** The exit code a command that was stopped by a signal returns, or undefined when none came. */
export function stopExitCode(): number | undefined {
  if (!stoppedBy) return undefined;
  if (stoppedBy === "SIGTERM" && termIsNormalEnd) return 0;
  return signalExitCode(stoppedBy);
}

function signalExitCode(name: NodeJS.Signals): number {
  return 128 + (constants.signals[name] ?? 0);
}
