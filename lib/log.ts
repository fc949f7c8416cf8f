/**
 * Structured logs on stderr (stdout stays for results): one JSON line per
 * event, or, when stderr is a terminal, pino-pretty's lines for people (time,
 * level, message, fields). `--log-format json|pretty` overrides the guess.
 * Secrets never reach a log line: every key that can hold one is redacted
 * wherever it appears, which fixes the original rclone provider that logged
 * its whole configuration at debug level.
 */
import { type Bindings, type ChildLoggerOptions, type Logger, pino } from "pino";
import pretty from "pino-pretty";
import { loggerCreated } from "./log-listeners.js";

export type { Logger };

export type LogFormat = "json" | "pretty";

/** Key names (compared lower-cased) whose value is never logged. */
export const SECRET_KEYS = [
  "sftp_pass",
  "sftp_key_pass",
  "token",
  "password",
  "passphrase",
  "secret",
  "config_params",
  "authorization",
  // A store URL may carry its password (postgres://user:password@host/db).
  "url",
];

const SECRETS = new Set(SECRET_KEYS);
const CENSOR = "[redacted]";

export function createLogger(
  options: { verbose?: boolean; format?: LogFormat; destination?: NodeJS.WritableStream } = {},
): Logger {
  const format = options.format ?? (process.stderr.isTTY ? "pretty" : "json");
  const destination =
    format === "pretty"
      ? pretty({
          destination: options.destination ?? 2,
          sync: true,
          // Escape codes only for a terminal: `--log-format pretty` into a file or a pipe stays plain text.
          colorize: options.destination === undefined && Boolean(process.stderr.isTTY),
          translateTime: "SYS:HH:MM:ss",
          ignore: "pid,hostname",
        })
      : (options.destination ?? pino.destination({ fd: 2, sync: true }));
  const logger = pino(
    {
      level: options.verbose ? "debug" : "info",
      base: { pid: process.pid },
      // pino's `redact` paths have a fixed depth, but hooks log settings such as
      // project_settings where sftp_pass sits deeper; so every logged object is walked.
      // formatters.log sees the fields of a call (never the message) and runs before the
      // serializers; pino's err serializer would wrap the plain error it leaves again
      // (as type "Object"), so the same walk takes its place.
      formatters: { log: (fields) => redactSecrets(fields) as Record<string, unknown> },
      serializers: { err: redactSecrets },
    },
    destination,
  );
  // pino runs formatters.bindings for the root logger only (a child resets it), so
  // bindings are redacted on their way in; children inherit both methods from the root.
  const { child, setBindings } = logger;
  logger.child = function <Levels extends string = never>(
    this: Logger,
    bindings: Bindings,
    childOptions?: ChildLoggerOptions<Levels>,
  ) {
    return child.call<Logger, [Bindings, ChildLoggerOptions<Levels>?], Logger<Levels>>(
      this,
      redactSecrets(bindings) as Bindings,
      childOptions,
    );
  };
  logger.setBindings = function (this: Logger, bindings: Bindings) {
    setBindings.call(this, redactSecrets(bindings) as Bindings);
  };
  // Whoever assembled the program points lower layers' warnings at it (lib/cli/main.ts).
  loggerCreated(logger);
  return logger;
}

/**
 * A copy of `value` with the value of every secret key (any depth, any case)
 * replaced by "[redacted]". Errors become plain objects (type, message, stack,
 * own properties, cause) since JSON would drop their non-enumerable parts;
 * anything without a secret is returned as is, so the common case allocates
 * nothing. A reference cycle becomes "[Circular]".
 */
export function redactSecrets(value: unknown): unknown {
  return redact(value, { active: new Set(), done: new WeakMap() });
}

interface Walk {
  /** Objects on the current path: meeting one again is a cycle. */
  active: Set<object>;
  /** Objects already walked: shared references are walked once. */
  done: WeakMap<object, unknown>;
}

function redact(value: unknown, walk: Walk): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (walk.done.has(value)) return walk.done.get(value);
  if (walk.active.has(value)) return "[Circular]";
  walk.active.add(value);
  let result: unknown;
  try {
    result =
      value instanceof Error
        ? redactError(value, walk)
        : Array.isArray(value)
          ? redactArray(value, walk)
          : redactObject(value, walk);
  } finally {
    walk.active.delete(value);
  }
  walk.done.set(value, result);
  return result;
}

const redactEntry = (key: string, value: unknown, walk: Walk): unknown =>
  SECRETS.has(key.toLowerCase()) ? CENSOR : redact(value, walk);

function redactArray(array: unknown[], walk: Walk): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const redacted = redact(array[i], walk);
    if (redacted !== array[i]) {
      copy ??= array.slice();
      copy[i] = redacted;
    }
  }
  return copy ?? array;
}

function redactObject(object: object, walk: Walk): unknown {
  // JSON.stringify would log what toJSON returns (Date, Buffer, URL), so that is what is walked.
  const toJSON: unknown = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    const json: unknown = toJSON.call(object);
    if (typeof json !== "object" || json === null || json === object) return object;
    const redacted = redact(json, walk);
    return redacted === json ? object : redacted;
  }
  const entries = Object.entries(object);
  let changed = false;
  for (const entry of entries) {
    const redacted = redactEntry(entry[0], entry[1], walk);
    if (redacted !== entry[1]) {
      entry[1] = redacted;
      changed = true;
    }
  }
  // fromEntries, not assignment: an own "__proto__" key stays a key.
  return changed ? Object.fromEntries(entries) : object;
}

function redactError(error: Error, walk: Walk): Record<string, unknown> {
  const entries: Array<[string, unknown]> = [
    ["type", error.constructor?.name || error.name],
    ["message", error.message],
    ["stack", error.stack],
  ];
  for (const [key, value] of Object.entries(error)) entries.push([key, redactEntry(key, value, walk)]);
  // `cause` (new Error(m, { cause })) and AggregateError's `errors` are own but not enumerable.
  if (Object.hasOwn(error, "cause") && !Object.keys(error).includes("cause"))
    entries.push(["cause", redact((error as { cause?: unknown }).cause, walk)]);
  if (error instanceof AggregateError) entries.push(["errors", redact(error.errors, walk)]);
  return Object.fromEntries(entries);
}
