/**
 * The provider interface: one small surface every storage backend implements
 * (rclone's model). A provider only talks to its storage. It knows nothing of
 * representations, sites' sync state or the store; retries, progress
 * throttling, verification and state updates live once, in the engine.
 *
 * Paths given to a provider are already resolved for its site: absolute paths
 * in the provider's own namespace (an OS path for local_drive, a POSIX path on
 * the server for sftp, a drive path for gdrive). Rootless paths are resolved by
 * the caller with `rootPaths()`.
 */

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

/** Called while bytes move; `total` is the source size. */
export type ProgressFn = (transferred: number, total: number) => void;

export interface TransferOptions {
  /** Replace an existing file at the target path. Without it an existing target is an error. */
  overwrite?: boolean;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /**
   * Also compute this content hash (one of `capabilities.hashes`) of the bytes
   * written, in the same pass, so verification costs no second read.
   */
  hash?: string;
  /**
   * The target is a fresh, private temporary name in an existing folder; the
   * caller verifies it and renames it into place, so the provider may write
   * it in place (no temporary name of its own). The engine always sets it.
   */
  direct?: boolean;
  /** The size the caller expects (the published size), so a provider can pick its way of copying without a stat. */
  sizeHint?: number;
  /**
   * With `direct`, for a target on this machine: the caller flushes the
   * written file to disk itself (with others, in one go) before renaming it,
   * so the provider may skip its own fsync.
   */
  deferSync?: boolean;
  /**
   * Resuming an upload across attempts and processes (docs/architecture.md
   * "Resumable uploads"): the token this provider handed to `onResumeToken`
   * during an earlier attempt of this same upload (same source, same target
   * name). The provider resumes from it when it still can, and starts over
   * otherwise. Only for providers with `capabilities.resumableUploads`.
   */
  resumeFrom?: string;
  /**
   * Called when an upload has a point a later attempt (even in another
   * process, after a crash) could resume from: an opaque token the engine
   * keeps with the file's state and gives back as `resumeFrom`. `null` when
   * the provider gave up that point. Only uploads call it.
   */
  onResumeToken?: (token: string | null) => void;
}

export interface TransferResult {
  /** The hash asked for in `TransferOptions.hash`, when the provider could compute it. */
  hash?: string;
  /** Bytes written, when the provider counted them (saves the caller a stat). */
  size?: number;
}

/**
 * Representations one engine pass takes per provider kind, as in AYON's Site
 * Sync addon: the one place these numbers are written (a built-in factory's
 * `batchLimit` is its entry here). Slow, rate-limited APIs (gdrive, dropbox)
 * take fewer so a pass ends in reasonable time and progress reaches the store
 * often.
 */
export const BATCH_LIMITS = {
  local_drive: 50,
  sftp: 20,
  rclone: 20,
  dropbox: 10,
  gdrive: 7,
} as const satisfies Record<string, number>;

export type UpstreamProviderKind = keyof typeof BATCH_LIMITS;

export interface ProviderCapabilities {
  /** Content hashes the provider can report through `hash()`, e.g. ["sha256"], ["md5"]. */
  hashes: readonly string[];
  /**
   * Its paths are this machine's file system (a local or mounted drive): a
   * caller writing many files there may flush them together itself
   * (`deferSync`) before renaming them into place.
   */
  onThisMachine?: boolean;
  /** Its uploads can resume after a crash through `onResumeToken`/`resumeFrom` (Drive and Dropbox upload sessions). */
  resumableUploads?: boolean;
  /**
   * With `uploadBatch`: files smaller than this go in batches; larger ones
   * one by one, through `upload`.
   */
  batchFilesBelow?: number;
}

/** One file of a batch upload: from this machine to its final path on the site. */
export interface BatchFile {
  localPath: string;
  sitePath: string;
}

export interface BatchOptions {
  /** As in TransferOptions: also report this content hash of each file's bytes. */
  hash?: string;
  signal?: AbortSignal;
  /**
   * A staging place a dead writer left (found next to this batch's) is
   * removed once it is older than this: the engine's claim lease
   * (docs/architecture.md "Batch uploads").
   */
  staleAfterMs: number;
}

/** A batch file as staged: its size and the hash asked for, or why it is not staged. */
export type StagedFile = { size: number; hash?: string } | { error: Error };

/**
 * Files copied to a private staging place on the site, none at its final
 * path yet (docs/architecture.md "Batch uploads"): the caller verifies each,
 * then places the good ones. One of `place` or `discard` must be called.
 */
export interface StagedBatch {
  /** One entry per BatchFile, in order. */
  files: StagedFile[];
  /**
   * Moves the staged files at these indexes to their final paths, replacing
   * what is there, and removes the staging place with everything else in it.
   * Resolves with one entry per index: null when the file is in place.
   */
  place(indexes: readonly number[]): Promise<(Error | null)[]>;
  /** Removes the staging place and everything in it. */
  discard(): Promise<void>;
}

export type ActiveCheck = { active: true } | { active: false; reason: string };

export interface SiteProvider {
  /** Provider kind as written in settings: local_drive, sftp, gdrive, dropbox, rclone. */
  readonly kind: string;
  readonly siteName: string;
  readonly capabilities: ProviderCapabilities;

  /** Whether the site can be used now, with the reason when not. Must not hang. */
  isActive(): Promise<ActiveCheck>;
  /** Root name -> root value on this site for this platform, used to resolve rootless paths. */
  rootPaths(): Readonly<Record<string, string>>;

  /** Metadata of a path, or null when nothing is there. */
  stat(path: string): Promise<FileStat | null>;
  /** Names (not paths) of the entries of a folder; an empty list when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** Create a folder and its parents (mkdir -p). */
  mkdirs(dir: string): Promise<void>;
  /** Copy a file from this machine to the site. */
  upload(localPath: string, sitePath: string, options?: TransferOptions): Promise<TransferResult>;
  /** Copy a file from the site to this machine. */
  download(sitePath: string, localPath: string, options?: TransferOptions): Promise<TransferResult>;
  /** Move a file on the site, replacing the target only with `overwrite`. */
  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<void>;
  /** Remove a file; removing a missing file is not an error. */
  remove(path: string): Promise<void>;
  /**
   * Copies many small files in one go where a call per file costs more than
   * the bytes (rclone). Optional: without it every file goes through `upload`.
   * Throws only when nothing could be staged.
   */
  uploadBatch?(files: readonly BatchFile[], options: BatchOptions): Promise<StagedBatch>;
  /** Content hash of a file in one of `capabilities.hashes`, or null when unavailable. */
  hash?(path: string, algorithm: string): Promise<string | null>;
  /** Release connections. */
  close?(): Promise<void>;
}

/** What a provider factory receives: the site's name, its provider block from settings, and its roots. */
export interface ProviderContext<Config = unknown> {
  siteName: string;
  /** The site's provider block (e.g. `sites[].sftp`), already validated by the settings schema. */
  config: Config;
  /** Root name -> value for this platform, with `{ENV}` already expanded. */
  roots: Readonly<Record<string, string>>;
}

export interface ProviderFactory<Config = unknown> {
  kind: string;
  /**
   * How many representations one engine pass takes for sites of this kind
   * (read through `batchLimitOf`); for an upstream kind, its `BATCH_LIMITS` entry.
   */
  batchLimit: number;
  create(context: ProviderContext<Config>): SiteProvider;
}
