/**
 * Structured logs: one JSON line per event on stderr (stdout stays for
 * results), or one readable line per event when stderr is a terminal. Secrets
 * never reach a log line: every key that can hold one is redacted wherever it
 * appears, which fixes the original rclone provider that logged its whole
 * configuration at debug level.
 */
import { type Logger, pino } from "pino";
import { onSftpWarning } from "../providers/sftp/warnings.js";

export type { Logger };

const SECRET_KEYS = [
  "sftp_pass",
  "sftp_key_pass",
  "token",
  "password",
  "passphrase",
  "secret",
  "config_params",
  "authorization",
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export function createLogger(
  options: { verbose?: boolean; destination?: NodeJS.WritableStream } = {},
): Logger {
  const destination =
    options.destination ?? (process.stderr.isTTY ? readableLines() : pino.destination({ fd: 2, sync: true }));
  const logger = pino(
    {
      level: options.verbose ? "debug" : "info",
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    destination,
  );
  // Weakened host key checking (trust on first use, or off) is said in the log, not hidden.
  onSftpWarning((message) => logger.warn(message));
  return logger;
}

const LEVELS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/**
 * On a terminal, one readable line per log record (`warn  message  key=value`)
 * instead of JSON; the record is already redacted when it gets here.
 */
function readableLines(): NodeJS.WritableStream {
  const write = (chunk: string): boolean => {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(chunk) as Record<string, unknown>;
    } catch {
      return process.stderr.write(chunk);
    }
    const { level, msg, time: _time, pid: _pid, ...fields } = record;
    const extra = Object.entries(fields).map(
      ([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`,
    );
    const label = (LEVELS[Number(level)] ?? "log").padEnd(5);
    return process.stderr.write(
      `${label} ${String(msg ?? "")}${extra.length ? `  ${extra.join(" ")}` : ""}\n`,
    );
  };
  // pino only calls write() on its destination.
  return { write } as unknown as NodeJS.WritableStream;
}
