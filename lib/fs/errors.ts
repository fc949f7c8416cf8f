/**
 * The errors lib/fs throws: Node-style, as fs's own are (an Error with a
 * string `code`), with a message that says what failed on which path. lib/fs
 * knows no provider; a provider that builds on it (local_drive) translates
 * them into its own errors, deciding from the code whether trying again helps.
 */
import { PathError } from "../errors.js";

/** An error of lib/fs: `code` is Node's (ENOENT, EEXIST...) or lib/fs's own (ESIZE: the copy is not the source's size). */
export class FsError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "FsError";
  }
}

/**
 * The source of a copy is not there (not the target's folder, which an ENOENT
 * may also be). Its code stays ENOENT; a caller that knows the site says
 * where it is missing.
 */
export class MissingSourceError extends FsError {
  constructor(
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(`${source} does not exist`, "ENOENT", options);
    this.name = "MissingSourceError";
  }
}

/** The `code` of a Node-style error, when it has a string one. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A Node fs error as an FsError that says what failed on which path:
 * "cannot <action> <target>: <Node's message>", with Node's code. lib/fs's own
 * errors and PathErrors pass as they are, and so does anything without a code
 * (an error thrown by the caller's progress callback, an abort).
 */
export function fsError(error: unknown, action: string, target: string): unknown {
  if (error instanceof FsError || error instanceof PathError) return error;
  const code = codeOf(error);
  if (code === undefined) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new FsError(`cannot ${action} ${target}: ${detail}`, code, { cause: error });
}
