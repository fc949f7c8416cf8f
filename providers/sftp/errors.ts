/**
 * SFTP failures as the engine and people need them: what we were doing, on
 * which site, and why in plain words ("permission denied creating folder
 * /srv/x on site vendor"), and whether retrying helps (providers/README.md,
 * rule 4). ssh2 and ssh2-sftp-client describe a failure by their own method
 * names (`_doMkdir: ...`, `fastPut: ... Local: ... Remote: ...`); only their
 * codes are kept, and the words come from here.
 */
import { ProviderError } from "../../lib/errors.js";

interface Reason {
  text: string;
  /** Retrying cannot help: the engine fails the file at once. */
  permanent?: boolean;
  /** The connection is gone: the pool drops it and the next use opens a fresh one. */
  connection?: boolean;
}

/**
 * SFTP status codes (draft-ietf-secsh-filexfer; OpenSSH speaks version 3,
 * codes 0-8, and reports every other errno, a full disk included, as 4).
 * ssh2 puts the code on its errors and ssh2-sftp-client passes it on.
 */
const SFTP_STATUS: Record<number, Reason> = {
  1: { text: "unexpected end of file" },
  2: { text: "no such file" },
  3: { text: "permission denied", permanent: true },
  4: { text: "the server reported a failure without a reason" },
  5: { text: "the server did not understand the request", permanent: true },
  6: { text: "no connection", connection: true },
  7: { text: "connection lost", connection: true },
  8: { text: "the server does not support this", permanent: true },
  10: { text: "no such folder" },
  11: { text: "already exists", permanent: true },
  12: { text: "read-only", permanent: true },
  14: { text: "disk full", permanent: true },
  15: { text: "quota exceeded", permanent: true },
  19: { text: "not a folder", permanent: true },
  24: { text: "is a folder", permanent: true },
};

/** Node's error codes (this machine's files and sockets) and ssh2-sftp-client's own. */
const CODES: Record<string, Reason> = {
  ENOENT: { text: "no such file" },
  EACCES: { text: "permission denied", permanent: true },
  EPERM: { text: "permission denied", permanent: true },
  ENOSPC: { text: "disk full", permanent: true },
  EDQUOT: { text: "quota exceeded", permanent: true },
  EROFS: { text: "read-only file system", permanent: true },
  EISDIR: { text: "is a folder", permanent: true },
  ENOTDIR: { text: "not a folder", permanent: true },
  EEXIST: { text: "already exists", permanent: true },
  ECONNREFUSED: { text: "connection refused", connection: true },
  ECONNRESET: { text: "connection lost (reset)", connection: true },
  ECONNABORTED: { text: "connection lost", connection: true },
  EPIPE: { text: "connection lost", connection: true },
  ETIMEDOUT: { text: "timed out", connection: true },
  EHOSTUNREACH: { text: "host unreachable", connection: true },
  ENETUNREACH: { text: "network unreachable", connection: true },
  ENOTFOUND: { text: "host not found", connection: true },
  EAI_AGAIN: { text: "host name lookup failed", connection: true },
  ERR_NOT_CONNECTED: { text: "connection lost", connection: true },
  ERR_BAD_AUTH: { text: "authentication failed", permanent: true },
};

/** ssh2-sftp-client's local checks give a negative errno as the code. */
const ERRNO: Record<number, string> = { [-2]: "ENOENT", [-13]: "EACCES", [-20]: "ENOTDIR" };

/** For errors without a telling code (ssh2-sftp-client's ERR_GENERIC_CLIENT, ERR_BAD_PATH): their words. */
const BY_MESSAGE: [RegExp, Reason][] = [
  [
    /unexpected (end|close) event|no response from server|no sftp connection|not connected|connection (lost|ended|closed)|socket|keepalive/i,
    { text: "connection lost", connection: true },
  ],
  [/timed out/i, { text: "timed out", connection: true }],
  [/permission denied/i, { text: "permission denied", permanent: true }],
  [/no space/i, { text: "disk full", permanent: true }],
  [/quota/i, { text: "quota exceeded", permanent: true }],
  [/authentication/i, { text: "authentication failed", permanent: true }],
  [/no such file|not exist/i, { text: "no such file" }],
];

/**
 * Why an SFTP operation failed, in plain words. An unknown error keeps its
 * own words without the libraries' "method: " prefixes and path suffixes.
 */
export function reasonOf(error: unknown): Reason {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "number") {
    const errno = ERRNO[code];
    const known = errno ? CODES[errno] : SFTP_STATUS[code];
    if (known) return known;
  }
  if (typeof code === "string" && CODES[code]) return CODES[code];
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, reason] of BY_MESSAGE) if (pattern.test(message)) return reason;
  const plain = message
    .replace(/^(?:[\w.]+(?::|->)\s*)+/, "")
    .replace(/\s+Local: .*$/, "")
    .trim();
  return { text: plain || "unknown error" };
}

export function isConnectionError(error: unknown): boolean {
  if (error instanceof ProviderError) return false;
  return reasonOf(error).connection === true;
}

/**
 * The ProviderError for a failed SFTP operation: "<reason> <doing> on site
 * <site>", e.g. "permission denied creating folder /srv/x on site vendor".
 * `doing` says what we were doing, with its paths: "uploading A to B".
 */
export function sftpError(error: unknown, doing: string, site: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const reason = reasonOf(error);
  return new ProviderError(`${reason.text} ${doing} on site ${site}`, reason.permanent !== true, {
    cause: error,
  });
}
