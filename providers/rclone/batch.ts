/**
 * Batch uploads through the rclone provider (docs/architecture.md "Batch
 * uploads"): a representation's small files in three remote control calls
 * instead of three per file. Its files are linked under their paths into a
 * private folder on this machine and copied by one `sync/copy` into a staging
 * folder on the site, a sibling of the files' common folder named by the
 * package's temporary name scheme (lib/fs/temp-names.ts). One listing gives
 * each staged file's size for the engine to verify; `place` moves the
 * verified ones into place with one `sync/move` (renames on the site) and
 * removes the staging folder. A writer that dies leaves a staging folder; the
 * next batch next to it removes it once it is older than the claim lease. A
 * batch of another process that runs longer than the lease may lose its
 * staging folder that way: its files then go one by one, nothing is lost.
 */
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pLimit from "p-limit";
import { ProviderError } from "../../lib/errors.js";
import { sha256File } from "../../lib/fs/hasher.js";
import { parentOf, staleTemp, tempNameFor } from "../../lib/fs/temp-names.js";
import type { BatchFile, BatchOptions, StagedBatch, StagedFile } from "../provider.js";
import { asProviderError, RcloneFailure } from "./errors.js";
import type { SitePaths } from "./paths.js";

type Rc = <T>(method: string, params: Record<string, unknown>) => Promise<T>;

interface ListItem {
  Path: string;
  Name: string;
  Size: number;
  ModTime: string;
  IsDir: boolean;
}

/**
 * Files one batch copies at once, and batches at once: 16 in all, the
 * engine's concurrency (an sftp remote opens a connection per transfer). Four
 * batches keep rclone busy while others list, link and move.
 */
const TRANSFERS = 4;
const BATCHES = 4;

/** The folder every path is under, and each path relative to it. */
function commonFolder(files: readonly BatchFile[]): string {
  let top = parentOf(files[0]?.sitePath ?? "");
  for (const { sitePath } of files) {
    while (top !== "" && !sitePath.startsWith(top.endsWith("/") ? top : `${top}/`)) top = parentOf(top);
  }
  return top;
}

export class RcloneBatches {
  private readonly batches = pLimit(BATCHES);
  /** This provider's staging folders still in use: never swept, however long a batch takes. */
  private readonly live = new Set<string>();

  constructor(
    private readonly rc: Rc,
    private readonly paths: SitePaths,
    private readonly siteName: string,
    /** The remote reports sha256 (the local backend): hash each source while rclone copies it. */
    private readonly hashesSha256: () => boolean,
  ) {}

  stage(files: readonly BatchFile[], options: BatchOptions): Promise<StagedBatch> {
    return this.batches(() => this.stageNow(files, options));
  }

  private async stageNow(files: readonly BatchFile[], options: BatchOptions): Promise<StagedBatch> {
    options.signal?.throwIfAborted();
    const top = commonFolder(files);
    if (top === "" || top === "/" || parentOf(top) === top)
      throw new ProviderError(`rclone: no folder to stage a batch next to on site ${this.siteName}`, true);
    const prefix = `${top}/`;
    const relative = files.map((f) => f.sitePath.slice(prefix.length));
    await this.sweepStale(parentOf(top), options.staleAfterMs);
    const stage = tempNameFor(top);
    this.live.add(stage);
    const links = await mkdtemp(path.join(os.tmpdir(), "sitesync-rclone-"));
    const dropLinks = () => rm(links, { recursive: true, force: true });
    const drop = async () => {
      await this.purge(stage);
      await dropLinks();
    };
    let copyError: unknown;
    const hashes = new Array<Promise<string | undefined>>(files.length);
    try {
      // The links mirror the stage's path in the site's root file system, which the copy goes to:
      // every call of a site names that one file system, and so shares its connections (paths.ts).
      const into = this.paths.rc(stage);
      const made = new Set<string>();
      for (const [i, file] of files.entries()) {
        const link = path.join(links, ...`${into.remote}/${relative[i] as string}`.split("/"));
        const dir = path.dirname(link);
        if (!made.has(dir)) await mkdir(dir, { recursive: true });
        made.add(dir);
        await symlink(path.resolve(file.localPath), link);
      }
      const hashing = options.hash === "sha256" && this.hashesSha256();
      // All asked at once: the hash worker takes them in turn, and no round trip waits on another.
      for (const [i, file] of files.entries()) {
        const job = hashing ? sha256File(file.localPath) : Promise.resolve(undefined);
        job.catch(() => undefined);
        hashes[i] = job;
      }
      await this.rc("sync/copy", {
        srcFs: `:local,copy_links=true:${links}`,
        dstFs: into.fs,
        _config: { Transfers: TRANSFERS },
      }).catch((error: unknown) => {
        // Some files may have been copied; the listing below tells which.
        copyError = error;
      });
    } catch (error) {
      await drop();
      throw asProviderError(error, `staging ${files.length} files in ${stage}`, this.siteName);
    } finally {
      await dropLinks();
    }
    let staged: Map<string, ListItem>;
    try {
      staged = await this.listFiles(stage);
    } catch (error) {
      await drop();
      throw asProviderError(error, `listing the staged batch ${stage}`, this.siteName);
    }
    const reason =
      copyError === undefined ? "not copied" : asProviderError(copyError, "copying", this.siteName).message;
    const results: StagedFile[] = await Promise.all(
      files.map(async (file, i): Promise<StagedFile> => {
        const item = staged.get(relative[i] as string);
        if (!item) return { error: new ProviderError(`${file.sitePath}: ${reason}`, true) };
        const hash = await (hashes[i] as Promise<string | undefined>).catch(() => undefined);
        return hash ? { size: item.Size, hash } : { size: item.Size };
      }),
    );
    return {
      files: results,
      place: async (indexes) => {
        try {
          return await this.place(stage, top, relative, files, indexes);
        } finally {
          await this.purge(stage);
        }
      },
      discard: () => this.purge(stage),
    };
  }

  /** Moves the staged files at `indexes` into place; the others are removed from the stage first. */
  private async place(
    stage: string,
    top: string,
    relative: readonly string[],
    files: readonly BatchFile[],
    indexes: readonly number[],
  ): Promise<(Error | null)[]> {
    const keep = new Set(indexes.map((i) => relative[i] as string));
    const staged = await this.listFiles(stage);
    for (const rel of staged.keys()) {
      if (!keep.has(rel)) await this.rc("operations/deletefile", this.paths.rc(`${stage}/${rel}`));
    }
    let moveError: unknown;
    await this.rc("sync/move", {
      srcFs: this.paths.spec(stage),
      dstFs: this.paths.spec(top),
      deleteEmptySrcDirs: true,
      // Each staged file replaces what is at its final path, even one of the same size and time.
      _config: { Transfers: TRANSFERS, IgnoreTimes: true },
    }).catch((error: unknown) => {
      moveError = error;
    });
    const left = await this.listFiles(stage).catch(() => staged);
    return indexes.map((i) => {
      if (!left.has(relative[i] as string)) return null;
      const why =
        moveError === undefined ? "not moved" : asProviderError(moveError, "moving", this.siteName).message;
      return new ProviderError(`${(files[i] as BatchFile).sitePath}: ${why}`, true);
    });
  }

  /** The files under a staging folder by path inside it; none when it is gone. */
  private async listFiles(stage: string): Promise<Map<string, ListItem>> {
    try {
      const { list } = await this.rc<{ list: ListItem[] }>("operations/list", {
        fs: this.paths.spec(stage),
        remote: "",
        opt: { recurse: true, filesOnly: true, noMimeType: true },
      });
      return new Map(list.map((item) => [item.Path, item]));
    } catch (error) {
      if (error instanceof RcloneFailure && error.failure === "missing") return new Map();
      throw error;
    }
  }

  /** Removes staging folders of dead writers next to the batch's: older than the lease. */
  private async sweepStale(dir: string, olderThanMs: number): Promise<void> {
    let list: ListItem[];
    try {
      ({ list } = await this.rc<{ list: ListItem[] }>("operations/list", {
        ...this.paths.rc(dir),
        opt: { dirsOnly: true, noMimeType: true },
      }));
    } catch {
      return;
    }
    for (const item of list) {
      const folder = `${dir}/${item.Name}`;
      if (
        item.IsDir &&
        !this.live.has(folder) &&
        staleTemp(item.Name, Date.parse(item.ModTime) || 0, olderThanMs)
      )
        await this.purge(folder);
    }
  }

  private async purge(folder: string): Promise<void> {
    await this.rc("operations/purge", this.paths.rc(folder)).catch(() => undefined);
    this.live.delete(folder);
  }
}
