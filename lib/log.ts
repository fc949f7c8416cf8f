/**
 * Structured logs: one JSON line per event on stderr (stdout stays for
 * results). Secrets never reach a log line: every key that can hold one is
 * redacted wherever it appears, which fixes the original rclone provider that
 * logged its whole configuration at debug level.
 */
import { type Logger, pino } from "pino";

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
  const logger = pino(
    {
      level: options.verbose ? "debug" : "info",
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
