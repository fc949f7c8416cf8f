/**
 * One error class per kind of failure. Each carries the exit code the CLI
 * returns for it: 2 for bad input (nothing was written), 1 for an operation
 * that failed (transfer, timeout, provider).
 */
export abstract class SitesyncError extends Error {
  abstract readonly exitCode: 1 | 2;
  /** Short machine-readable kind, shown in JSON error output. */
  abstract readonly kind: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid settings: names the key path, the bad value and the file. */
export class SettingsError extends SitesyncError {
  readonly exitCode = 2;
  readonly kind = "settings";
}

/** A template could not be parsed or filled (missing keys, unknown reference). */
export class TemplateError extends SitesyncError {
  readonly exitCode = 2;
  readonly kind = "template";
  constructor(
    message: string,
    readonly missingKeys: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A path that is not allowed: escapes its root, absolute injection, unknown root. */
export class PathError extends SitesyncError {
  readonly exitCode = 2;
  readonly kind = "path";
}

/** Bad user input: usage, unknown project/folder/task/representation, malformed input file. */
export class InputError extends SitesyncError {
  readonly exitCode = 2;
  readonly kind = "input";
}

/** A provider could not do what was asked (storage unreachable, refused, missing file). */
export class ProviderError extends SitesyncError {
  readonly exitCode = 1;
  readonly kind = "provider";
  constructor(
    message: string,
    /** Worth trying again later (network) or not (permission, no space, auth). */
    readonly retryable: boolean = true,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A transfer failed verification or ran out of retries or time. */
export class TransferError extends SitesyncError {
  readonly exitCode = 1;
  readonly kind = "transfer";
}

/** Another process is using what the command would change (a transfer holds the files); try again later. */
export class InUseError extends SitesyncError {
  readonly exitCode = 1;
  readonly kind = "in-use";
}

/** The store could not be opened or migrated. */
export class StoreError extends SitesyncError {
  readonly exitCode = 1;
  readonly kind = "store";
}

/**
 * The store could not be reached or refused the login: a wrong URL, a server
 * that does not answer, a bad password. Exit 2, like bad settings: nothing
 * was read or written, and retrying the same command will not help.
 */
export class StoreConnectError extends SitesyncError {
  readonly exitCode = 2;
  readonly kind = "store-connect";
}

/** The message of anything thrown: custom providers and libraries may throw non-Errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function exitCodeOf(error: unknown): 1 | 2 {
  return error instanceof SitesyncError ? error.exitCode : 1;
}

/** A prelaunch hook stopped the launch; keeps the exit code of what it threw. */
export class HookError extends SitesyncError {
  readonly kind = "hook";
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The application could not be started. */
export class LaunchError extends SitesyncError {
  readonly exitCode = 1;
  readonly kind = "launch";
}
