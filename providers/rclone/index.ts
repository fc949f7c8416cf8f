/**
 * The `rclone` provider: every backend rclone supports (S3 and other object
 * stores, Azure, Backblaze, WebDAV, SFTP, ...) through a studio's rclone
 * remote, with AYON's settings (`rclone_executable_path`, `config_type`
 * `config_file` or `config_web`, `root`, `additional_args`).
 *
 * Small operations (stat, list, mkdir, delete, move, and copies of small
 * files) go to one `rclone rcd` kept for the provider's life (rcd.ts): one
 * rclone process per file and per step was the slow part of many small files.
 * A large file is one `rclone copyto` process, whose JSON log reports the
 * bytes as they move and which an abort kills.
 */
import { rename as localRename, stat as localStat, unlink } from "node:fs/promises";
import { ProviderError } from "../../lib/errors.js";
import { sha256File } from "../../lib/fs/hasher.js";
import { tempNameFor } from "../../lib/fs/temp-names.js";
import {
  type ActiveCheck,
  BATCH_LIMITS,
  type BatchFile,
  type BatchOptions,
  type FileStat,
  type ProviderCapabilities,
  type ProviderContext,
  type ProviderFactory,
  type SiteProvider,
  type StagedBatch,
  type TransferOptions,
  type TransferResult,
} from "../provider.js";
import { checkActive } from "./active.js";
import { RcloneBatches } from "./batch.js";
import { asProviderError, FAIL_FAST_FLAGS, RcloneFailure } from "./errors.js";
import { execRclone } from "./exec.js";
import { localRc, type RcPath, SitePaths } from "./paths.js";
import { bytesFromStatsLine, STATS_FLAGS } from "./progress.js";
import { RcDaemon } from "./rcd.js";
import { INLINE_REMOTE, prepareSetup, type RcloneConfig, type RcloneSetup } from "./settings.js";

const MiB = 1024 * 1024;
const WINDOWS = process.platform === "win32";
/**
 * From this size a file moves in its own `rclone copyto` process, which
 * reports progress while it runs and stops at once when killed; below it, the
 * remote control's copy (one HTTP call, progress at start and end) costs no
 * process start.
 */
const OWN_PROCESS_FROM = 16 * MiB;

interface ListItem {
  Name: string;
  Size: number;
  ModTime: string;
  IsDir: boolean;
  Hashes?: Record<string, string>;
}

/** A missing path, or a path under a file: nothing there. */
function isAbsent(error: unknown): boolean {
  return (
    error instanceof RcloneFailure && (error.failure === "missing" || /not a directory/i.test(error.reason))
  );
}

class RcloneProvider implements SiteProvider {
  readonly kind = "rclone";
  readonly siteName: string;
  private readonly config: RcloneConfig;
  private readonly roots: Readonly<Record<string, string>>;
  private readonly root: string;
  private readonly paths: SitePaths;
  private hashes: readonly string[] = [];
  private setupPromise: Promise<RcloneSetup> | undefined;
  private daemonPromise: Promise<RcDaemon> | undefined;
  private probed = false;
  /** Folders made (or found) on the site: a batch's files share folders, and rclone makes parents on copy anyway. */
  private readonly madeDirs = new Set<string>();
  private readonly batches: RcloneBatches;

  constructor(context: ProviderContext<RcloneConfig>) {
    this.siteName = context.siteName;
    this.config = context.config ?? {};
    this.roots = context.roots;
    this.root = this.config.root ?? Object.values(context.roots)[0] ?? "";
    const remote =
      (this.config.config_type ?? "config_file") === "config_file"
        ? (this.config.config_file?.remote_name?.trim() ?? "")
        : INLINE_REMOTE;
    this.paths = new SitePaths(remote, this.root);
    this.batches = new RcloneBatches(
      (method, params) => this.rc(method, params),
      this.paths,
      this.siteName,
      () => this.hashes.includes("sha256"),
    );
  }

  /**
   * The hashes the remote computes, as rclone reports them (`operations/fsinfo`),
   * known after the first call to the site (isActive, or any operation):
   * sha256 for the local backend, md5/sha1 or none elsewhere. The engine
   * checks sha256 only, so other remotes are verified by size (rclone itself
   * compares a hash both ends have after each copy).
   */
  get capabilities(): ProviderCapabilities {
    // Batches link their files into a folder (batch.ts): symbolic links need a privilege on Windows.
    return { hashes: this.hashes, ...(WINDOWS ? {} : { batchFilesBelow: OWN_PROCESS_FROM }) };
  }

  /** A representation's small files in one copy and one move (batch.ts). */
  uploadBatch(files: readonly BatchFile[], options: BatchOptions): Promise<StagedBatch> {
    return this.batches.stage(files, options);
  }

  rootPaths(): Readonly<Record<string, string>> {
    return this.roots;
  }

  private setup(): Promise<RcloneSetup> {
    if (!this.setupPromise) {
      const preparing = prepareSetup(this.config);
      this.setupPromise = preparing;
      // A missing executable may be installed before the next pass.
      preparing.catch(() => {
        if (this.setupPromise === preparing) this.setupPromise = undefined;
      });
    }
    return this.setupPromise;
  }

  private async rc<T>(method: string, params: Record<string, unknown>): Promise<T> {
    this.daemonPromise ??= this.setup().then((setup) => new RcDaemon(setup));
    const daemonPromise = this.daemonPromise;
    const daemon = await daemonPromise.catch((error: unknown) => {
      if (this.daemonPromise === daemonPromise) this.daemonPromise = undefined;
      throw error;
    });
    if (!this.probed) {
      this.probed = true;
      await this.probe(daemon);
    }
    return daemon.call<T>(method, params);
  }

  /** Learns the remote's hashes; a failure leaves them unknown (size checks) and is tried again later. */
  private async probe(daemon: RcDaemon): Promise<void> {
    try {
      const info = await daemon.call<{ Hashes?: string[] }>("operations/fsinfo", {
        fs: this.paths.rc(this.root).fs,
      });
      this.hashes = (info.Hashes ?? []).filter((hash) => hash === "sha256");
    } catch {
      this.probed = false;
    }
  }

  isActive(): Promise<ActiveCheck> {
    return checkActive({
      siteName: this.siteName,
      config: this.config,
      root: this.root,
      paths: this.paths,
      rc: (method, params) => this.rc(method, params),
    });
  }

  async stat(sitePath: string): Promise<FileStat | null> {
    try {
      const { item } = await this.rc<{ item: ListItem | null }>("operations/stat", this.paths.rc(sitePath));
      if (!item) return null;
      return {
        size: item.IsDir ? 0 : item.Size,
        mtimeMs: Date.parse(item.ModTime) || 0,
        isDirectory: item.IsDir,
      };
    } catch (error) {
      if (isAbsent(error)) return null;
      throw asProviderError(error, `checking ${sitePath}`, this.siteName);
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      const { list } = await this.rc<{ list: ListItem[] }>("operations/list", {
        ...this.paths.rc(dir),
        opt: { noModTime: true, noMimeType: true },
      });
      return list.map((item) => item.Name).sort();
    } catch (error) {
      if (isAbsent(error)) return [];
      throw asProviderError(error, `listing folder ${dir}`, this.siteName);
    }
  }

  async mkdirs(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    try {
      await this.rc("operations/mkdir", this.paths.rc(dir));
    } catch (error) {
      // Backends word "a file is in the way" differently (sftp: a bare failure): name the file.
      for (let at = dir; ; ) {
        const parent = at.slice(0, Math.max(at.lastIndexOf("/"), 0));
        const found = await this.stat(at).catch(() => null);
        if (found && !found.isDirectory)
          throw new ProviderError(
            `rclone: cannot create folder ${dir} on site ${this.siteName}: ${at} is a file`,
            false,
          );
        if (found || parent === "" || parent === at) break;
        at = parent;
      }
      throw asProviderError(error, `creating folder ${dir}`, this.siteName);
    }
    this.madeDirs.add(dir);
  }

  async upload(local: string, sitePath: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    const source = await localStat(local).catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      throw new ProviderError(
        code === "ENOENT"
          ? `${local} is missing on this machine, so it cannot be uploaded to site ${this.siteName}`
          : `cannot read ${local} to upload it to site ${this.siteName}: ${String(code ?? error)}`,
        code !== "ENOENT" && code !== "EACCES" && code !== "EPERM",
      );
    });
    if (source.isDirectory())
      throw new ProviderError(`${local} is a folder, not a file, so it cannot be uploaded`, false);
    // The engine's target is a fresh private name (`direct`): nothing can be there to overwrite.
    if (!options.direct && !options.overwrite && (await this.stat(sitePath)))
      throw new ProviderError(`${sitePath} already exists on site ${this.siteName}`, false);
    // Without `direct` (a publish to the final path): a temporary name first, so no partial file is ever there.
    const target = options.direct ? sitePath : tempNameFor(sitePath);
    const doing = `uploading ${local} to ${sitePath}`;
    // Hashed here while rclone copies, from the same file: rclone checks the copy against the source with a
    // hash both ends have (md5 for local, S3...), so the source's sha256 is the copy's, without the remote
    // reading the file again (a call per small file, a second read of a big one).
    const hashing =
      options.hash === "sha256" && this.hashes.includes("sha256") ? sha256File(local) : undefined;
    hashing?.catch(() => undefined);
    try {
      await this.copy(
        { rc: localRc(local), spec: local },
        { rc: this.paths.rc(target), spec: this.paths.spec(target) },
        source.size,
        options,
      );
      const hash = await hashing;
      if (!options.direct) await this.rename(target, sitePath, { overwrite: options.overwrite === true });
      return hash ? { hash } : {};
    } catch (error) {
      await this.remove(target).catch(() => undefined);
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof RcloneFailure && error.failure === "missing")
        throw new ProviderError(
          `${local} is missing on this machine, so it cannot be uploaded to site ${this.siteName}`,
          false,
        );
      throw asProviderError(error, doing, this.siteName);
    }
  }

  async download(sitePath: string, local: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    const existed = await localStat(local).then(
      () => true,
      () => false,
    );
    if (existed && !options.overwrite)
      throw new ProviderError(
        `${local} already exists on this machine; not replaced by ${sitePath} from site ${this.siteName}`,
        false,
      );
    const missing = () => new ProviderError(`${sitePath} is missing on site ${this.siteName}`, false);
    const size = options.sizeHint ?? (await this.stat(sitePath))?.size;
    if (size === undefined) throw missing();
    // rclone skips a copy onto a file of the same size and time: the old file goes first.
    if (existed) await unlink(local).catch(() => undefined);
    const target = options.direct ? local : tempNameFor(local);
    const doing = `downloading ${sitePath} to ${local}`;
    try {
      await this.copy(
        { rc: this.paths.rc(sitePath), spec: this.paths.spec(sitePath) },
        { rc: localRc(target), spec: target },
        size,
        options,
      );
      const hash = options.hash === "sha256" ? await sha256File(target) : undefined;
      if (target !== local) await localRename(target, local);
      return hash ? { hash } : {};
    } catch (error) {
      await unlink(target).catch(() => undefined);
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof RcloneFailure && error.failure === "missing") throw missing();
      throw asProviderError(error, doing, this.siteName);
    }
  }

  /** One file from `from` to `to`, reporting progress; throws RcloneFailure, or the abort's reason. */
  private async copy(
    from: { rc: RcPath; spec: string },
    to: { rc: RcPath; spec: string },
    size: number,
    options: TransferOptions,
  ): Promise<void> {
    let reported = 0;
    options.onProgress?.(0, size);
    options.signal?.throwIfAborted();
    if (size < OWN_PROCESS_FROM) {
      await this.rc("operations/copyfile", {
        srcFs: from.rc.fs,
        srcRemote: from.rc.remote,
        dstFs: to.rc.fs,
        dstRemote: to.rc.remote,
      });
      // A small copy is not interrupted: it ends within moments, and the caller removes it.
      options.signal?.throwIfAborted();
    } else {
      const setup = await this.setup();
      await execRclone(
        setup.executable,
        // --retries 1: the engine retries, on a later pass, with its own backoff.
        ["copyto", from.spec, to.spec, ...STATS_FLAGS, "--retries", "1", ...FAIL_FAST_FLAGS, ...setup.args],
        {
          env: setup.env,
          secrets: setup.secrets,
          ...(options.signal ? { signal: options.signal } : {}),
          onStderrLine: (line) => {
            const bytes = bytesFromStatsLine(line);
            if (bytes !== undefined && bytes > reported && bytes <= size) {
              reported = bytes;
              options.onProgress?.(bytes, size);
            }
          },
        },
      );
    }
    if (reported < size) options.onProgress?.(size, size);
  }

  async rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    if (!options.overwrite && (await this.stat(to)))
      throw new ProviderError(`${to} already exists on site ${this.siteName}`, false);
    const source = this.paths.rc(from);
    const target = this.paths.rc(to);
    try {
      await this.rc("operations/movefile", {
        srcFs: source.fs,
        srcRemote: source.remote,
        dstFs: target.fs,
        dstRemote: target.remote,
      });
    } catch (error) {
      if (isAbsent(error))
        throw new ProviderError(
          `${from} is missing on site ${this.siteName}, so it cannot be renamed to ${to}`,
          false,
        );
      throw asProviderError(error, `renaming ${from} to ${to}`, this.siteName);
    }
  }

  async remove(sitePath: string): Promise<void> {
    try {
      await this.rc("operations/deletefile", this.paths.rc(sitePath));
    } catch (error) {
      if (isAbsent(error)) return;
      throw asProviderError(error, `removing ${sitePath}`, this.siteName);
    }
  }

  async hash(sitePath: string, algorithm: string): Promise<string | null> {
    if (!this.hashes.includes(algorithm)) return null;
    try {
      const { item } = await this.rc<{ item: ListItem | null }>("operations/stat", {
        ...this.paths.rc(sitePath),
        opt: { showHash: true, hashTypes: [algorithm] },
      });
      return item?.Hashes?.[algorithm] || null;
    } catch (error) {
      if (isAbsent(error)) return null;
      throw asProviderError(error, `hashing ${sitePath}`, this.siteName);
    }
  }

  async close(): Promise<void> {
    const daemon = this.daemonPromise;
    this.daemonPromise = undefined;
    this.probed = false;
    await (await daemon?.catch(() => undefined))?.stop();
  }
}

export const rcloneFactory: ProviderFactory<RcloneConfig> = {
  kind: "rclone",
  batchLimit: BATCH_LIMITS.rclone,
  create: (context) => new RcloneProvider(context),
};
