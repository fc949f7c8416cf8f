/**
 * rclone failures as ProviderErrors (providers/README.md, rule 4): what we
 * were doing, on which site, rclone's reason with every configured value
 * hidden, and whether retrying helps. The reason comes from rclone's exit code
 * (`rclone help` "Exit Code") for a command, or its HTTP status for a remote
 * control call, refined by the words of its message.
 */
import { ProviderError } from "../../lib/errors.js";

/**
 * Flags of every rclone command and of the daemon. rclone retries a failed
 * request 10 times by default, pausing longer each time: an unreachable sftp
 * server held one call for 11 s, four at once for 71 s. The engine retries a
 * failed file on a later pass with its own backoff, so rclone tries twice and
 * reports; a studio that wants more passes its own in `additional_args`,
 * which come after these and win.
 */
export const FAIL_FAST_FLAGS = ["--low-level-retries", "2", "--contimeout", "10s"] as const;

/** What a failure means for the caller. */
export type Failure = "missing" | "permanent" | "retryable";

/** rclone's documented exit codes. */
const EXIT_CODES: Record<number, { text: string; failure: Failure }> = {
  1: { text: "syntax or usage error", failure: "permanent" },
  2: { text: "error not otherwise categorised", failure: "retryable" },
  3: { text: "directory not found", failure: "missing" },
  4: { text: "file not found", failure: "missing" },
  5: { text: "temporary error", failure: "retryable" },
  6: { text: "less serious error (not retried by rclone)", failure: "permanent" },
  7: { text: "fatal error", failure: "permanent" },
  8: { text: "transfer limit exceeded", failure: "retryable" },
  9: { text: "no files transferred", failure: "retryable" },
};

/** Words that say more than the code: checked first, in order. */
const BY_MESSAGE: [RegExp, Failure][] = [
  [/directory not found|object not found|file not found|no such file/i, "missing"],
  [/not a directory|is a directory|permission denied|access denied|forbidden|\b403\b/i, "permanent"],
  [/no space left|quota|insufficient storage|read-only file system/i, "permanent"],
  [
    /unable to authenticate|authentication failed|auth(orization)? failed|\b401\b|invalid credentials/i,
    "permanent",
  ],
  [
    /didn't find section in config file|failed to load config|couldn't find type|unknown backend/i,
    "permanent",
  ],
  [
    /connection refused|connection reset|broken pipe|i\/o timeout|timed out|timeout|dial tcp|no route to host|network is unreachable|no such host|\bEOF\b|temporar|try again|too many requests|\b429\b|\b5\d\d\b/i,
    "retryable",
  ],
];

/**
 * Replaces every configured value (and its obscured form) in rclone's words:
 * rclone names hosts, users and sometimes more in its messages, and a value of
 * the site's configuration never reaches a log or an error.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((value) => value !== ""))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const value of values) out = out.split(value).join("***");
    return out;
  };
}

/** The last meaningful line rclone wrote to stderr (JSON log lines read for their `msg`). */
export function lastMessage(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  for (const line of lines.reverse()) {
    let message = line;
    if (line.startsWith("{")) {
      try {
        const parsed = JSON.parse(line) as { msg?: unknown; level?: unknown };
        if (parsed.level !== "error" && parsed.level !== "critical" && parsed.level !== "fatal") continue;
        message = String(parsed.msg ?? "");
      } catch {
        // Not JSON after all: the line's own words.
      }
    } else if (/\bNOTICE:|\bINFO\s*:|\bDEBUG\s*:/.test(line)) continue;
    // "2024/01/02 03:04:05 ERROR : x: reason" -> "x: reason"
    message = message.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\s+(?:[A-Z]+\s*:\s*)?/, "").trim();
    if (message) return message;
  }
  return "";
}

/** The failure a reason and an exit code (or HTTP status) mean together. */
export function classify(message: string, exitCode?: number, httpStatus?: number): Failure {
  for (const [pattern, failure] of BY_MESSAGE) if (pattern.test(message)) return failure;
  if (httpStatus === 404) return "missing";
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) return "permanent";
  if (exitCode !== undefined) return EXIT_CODES[exitCode]?.failure ?? "retryable";
  return "retryable";
}

export function exitCodeText(code: number): string {
  return EXIT_CODES[code]?.text ?? `exit code ${code}`;
}

/**
 * A failed rclone command or remote control call, its reason already
 * redacted; the provider turns it into a ProviderError that says what it was
 * doing (`asProviderError`), or into null / [] where a missing path is an answer.
 */
export class RcloneFailure extends Error {
  constructor(
    readonly reason: string,
    readonly failure: Failure,
  ) {
    super(reason);
    this.name = "RcloneFailure";
  }
}

/**
 * "<doing> on site <site> failed: <reason>". A missing path is permanent
 * (waiting does not bring it back); a call that may see one answers first.
 * Only the redacted reason is kept, never the child process's error (its
 * output could hold what the redaction removed).
 */
export function asProviderError(error: unknown, doing: string, site: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const failure = error instanceof RcloneFailure ? error.failure : "retryable";
  const reason =
    error instanceof RcloneFailure ? error.reason : error instanceof Error ? error.message : String(error);
  return new ProviderError(`rclone: ${doing} on site ${site} failed: ${reason}`, failure === "retryable");
}
