/**
 * The `local_drive` provider: a site whose roots are folders this machine can
 * reach (a local disk or a mounted studio share). Upload and download are the
 * same operation here, a file copy, and both go through `copyFileAtomic`
 * (lib/fs/atomic-copy.ts).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { PathError, ProviderError } from "../lib/errors.js";
import { copyFileAtomic, ensureDir, placeFile, requireAbsolute } from "../lib/fs/atomic-copy.js";
import { codeOf, FsError, fsError, MissingSourceError } from "../lib/fs/errors.js";
import { sha256File } from "../lib/fs/hasher.js";
import {
  type ActiveCheck,
  BATCH_LIMITS,
  type FileStat,
  type ProviderCapabilities,
  type ProviderContext,
  type ProviderFactory,
  type SiteProvider,
  type TransferOptions,
  type TransferResult,
} from "./provider.js";

/**
 * Errors that trying again will not fix (the engine stops retrying them at once).
 * ENOENT is not among them: a missing source is (MissingSourceError), but
 * the target's folder removed meanwhile is made again by the next try.
 */
const PERMANENT_CODES = new Set(
  "ENOTDIR EISDIR EACCES EPERM ENOSPC EDQUOT EROFS EEXIST ENAMETOOLONG EINVAL".split(" "),
);

/**
 * An error of lib/fs (or Node's fs, with what failed on which path) as the
 * ProviderError the engine acts on: retryable unless its code says trying
 * again will not help, or the source is missing (providers/README.md, rule 4:
 * a published file does not come back by waiting). Errors without a code
 * (a progress callback's, an abort) and PathErrors pass as they are.
 */
export function localDriveError(error: unknown, action?: string, target?: string): unknown {
  const failure = action !== undefined && target !== undefined ? fsError(error, action, target) : error;
  if (failure instanceof ProviderError || failure instanceof PathError) return failure;
  const code = codeOf(failure);
  if (code === undefined) return failure;
  const permanent = failure instanceof MissingSourceError || PERMANENT_CODES.has(code);
  const message = failure instanceof Error ? failure.message : String(failure);
  return new ProviderError(message, !permanent, {
    cause: failure instanceof FsError ? (failure.cause ?? failure) : failure,
  });
}

/** The `sites[].local_drive` block. Roots arrive resolved through the context, so nothing here is read. */
export interface LocalDriveConfig {
  roots?: Record<string, unknown>;
}

class LocalDriveProvider implements SiteProvider {
  readonly kind = "local_drive";
  readonly capabilities: ProviderCapabilities = { hashes: ["sha256"], onThisMachine: true };
  readonly siteName: string;
  private readonly roots: Readonly<Record<string, string>>;

  constructor(context: ProviderContext<LocalDriveConfig>) {
    this.siteName = context.siteName;
    this.roots = Object.freeze({ ...context.roots });
  }

  // No disk access on purpose: a stat on a dead network share can hang for minutes,
  // and isActive must answer quickly. Missing folders surface as transfer errors.
  async isActive(): Promise<ActiveCheck> {
    const names = Object.keys(this.roots);
    if (names.length === 0) return { active: false, reason: `site "${this.siteName}" has no roots set` };
    for (const name of names) {
      if (!this.roots[name]?.trim()) {
        return { active: false, reason: `root "${name}" of site "${this.siteName}" is empty` };
      }
    }
    return { active: true };
  }

  rootPaths(): Readonly<Record<string, string>> {
    return this.roots;
  }

  async stat(p: string): Promise<FileStat | null> {
    requireAbsolute(p, "path");
    try {
      const s = await fs.stat(p);
      return { size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() };
    } catch (error) {
      const code = codeOf(error);
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw localDriveError(error, "stat", p);
    }
  }

  async list(dir: string): Promise<string[]> {
    requireAbsolute(dir, "folder");
    try {
      return (await fs.readdir(dir)).sort();
    } catch (error) {
      if (codeOf(error) === "ENOENT") return [];
      throw localDriveError(error, "list", dir);
    }
  }

  async mkdirs(dir: string): Promise<void> {
    requireAbsolute(dir, "folder");
    await ensureDir(dir).catch((error: unknown) => {
      throw localDriveError(error, "create folder", dir);
    });
  }

  upload(localPath: string, sitePath: string, options?: TransferOptions): Promise<TransferResult> {
    return copyFileAtomic(localPath, sitePath, options).catch((error: unknown) => {
      if (!(error instanceof MissingSourceError)) throw localDriveError(error);
      throw new ProviderError(
        `${localPath} is missing on this machine, so it cannot be uploaded to site ${this.siteName}`,
        false,
        { cause: error },
      );
    });
  }

  download(sitePath: string, localPath: string, options?: TransferOptions): Promise<TransferResult> {
    return copyFileAtomic(sitePath, localPath, options).catch((error: unknown) => {
      if (!(error instanceof MissingSourceError)) throw localDriveError(error);
      throw new ProviderError(`${sitePath} is missing on site ${this.siteName}`, false, { cause: error });
    });
  }

  async rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    requireAbsolute(from, "source");
    requireAbsolute(to, "target");
    try {
      // Checked first so a missing source is reported as such, not as a failed link.
      await fs.stat(from);
      await ensureDir(path.dirname(to));
      await placeFile(from, to, options.overwrite ?? false);
    } catch (error) {
      throw localDriveError(error, `move ${from} to`, to);
    }
  }

  async remove(p: string): Promise<void> {
    requireAbsolute(p, "path");
    try {
      await fs.unlink(p);
    } catch (error) {
      if (codeOf(error) !== "ENOENT") throw localDriveError(error, "remove", p);
    }
  }

  async hash(p: string, algorithm: string): Promise<string | null> {
    requireAbsolute(p, "path");
    if (!this.capabilities.hashes.includes(algorithm)) return null;
    // Read and hashed on the hash worker, off the thread that runs the transfers.
    return sha256File(p).catch((error: unknown) => {
      throw localDriveError(error, "hash", p);
    });
  }
}

export const localDriveFactory: ProviderFactory<LocalDriveConfig> = {
  kind: "local_drive",
  batchLimit: BATCH_LIMITS.local_drive,
  create: (context) => new LocalDriveProvider(context),
};
