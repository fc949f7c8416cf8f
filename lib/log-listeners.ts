/**
 * Who is told of each logger `createLogger` makes (./log.ts). The logger knows
 * no provider: where the package is assembled (the CLI) a listener points the
 * warnings of lower layers (a provider's weakened host key checking, say) at
 * the log. Apart from log.ts so that registering one does not load pino.
 */
import type { Logger } from "pino";

export type LoggerListener = (logger: Logger) => void;

const listeners = new Set<LoggerListener>();

/** Calls `listener` with every logger made from now on; returns what stops that. */
export function onLoggerCreated(listener: LoggerListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells the listeners of a new logger (createLogger does). */
export function loggerCreated(logger: Logger): void {
  for (const listener of listeners) listener(logger);
}
