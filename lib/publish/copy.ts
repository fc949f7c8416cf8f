/**
 * A publish's bytes through the engine's transfer path (docs/architecture.md
 * "Transfers"), for a publish to any provider: each file is written under a
 * temporary name next to its target (lib/fs/temp-names.ts), with its size
 * checked and its sha256 computed on the same read as the copy, many files at
 * once. Only when every file is verified are they put in place: on this
 * machine's file system (a local drive site) flushed together and renamed, the
 * new names then made durable in one go; on a remote site (SFTP) renamed by
 * its provider. No file is at its final path before it is complete and
 * verified, and a failure removes every temporary file and every file already
 * placed, so a failed publish leaves nothing behind.
 */
import path from "node:path";
import pLimit from "p-limit";
import type { SiteProvider } from "../../providers/provider.js";
import { DEFAULT_CONCURRENCY, DEFAULT_LEASE_MS } from "../engine/types.js";
import { TransferError } from "../errors.js";
import { flushFiles, flushFolders } from "../fs/durable.js";
import { baseOf, parentOf, sweepSiteTemps, tempNameFor } from "../fs/temp-names.js";
import { newId } from "../store/ids.js";
import type { RepresentationFile } from "../store/types.js";
import { op3Hash, sha256File } from "./hash.js";
import type { PlannedFile } from "./plan.js";

export interface CopyOptions {
  /** Replace existing targets (a hero version's files); otherwise an existing target fails the publish. */
  overwrite: boolean;
  signal?: AbortSignal | undefined;
  /** Files written at once (default: the engine's DEFAULT_CONCURRENCY). */
  concurrency?: number;
  /** Targets put in place so far, so the caller can take them back if what follows fails. */
  placed: string[];
}

interface Written {
  file: PlannedFile;
  temp: string;
  sha256: string;
}

export async function copyPublished(
  provider: SiteProvider,
  planned: PlannedFile[],
  options: CopyOptions,
): Promise<RepresentationFile[]> {
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  const local = provider.capabilities.onThisMachine === true;
  const hash = provider.capabilities.hashes.includes("sha256") ? "sha256" : undefined;
  // The first failure stops the copies still running and those not started; the caller's signal too.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  // By the planned order (the catalog lists files in it), filled as each copy starts.
  const written: Written[] = [];
  const dirs = [...new Set(planned.map((f) => parentOf(f.target)))];
  try {
    // Each folder once, before any file: a sequence's thousands of frames share a few.
    await settleAll(
      dirs.map((dir) => limit(() => provider.mkdirs(dir))),
      stop,
    );
    await sweepFailedPublish(provider, planned, dirs);
    await settleAll(
      planned.map((file, index) =>
        limit(async () => {
          signal.throwIfAborted();
          const temp = tempNameFor(file.target);
          // Listed before the upload starts: a copy stopped half way leaves its temporary file to remove.
          const entry = { file, temp, sha256: "" };
          written[index] = entry;
          const result = await provider.upload(file.source, temp, {
            overwrite: false,
            direct: true,
            deferSync: local,
            sizeHint: file.size,
            signal,
            ...(hash ? { hash } : {}),
          });
          const size = result.size ?? (await provider.stat(temp))?.size;
          if (size !== file.size) {
            throw new TransferError(
              `copy of ${file.source} to ${file.target} has ${size ?? "no"} bytes, expected ${file.size}; the source changed during the publish`,
            );
          }
          // A provider that cannot hash on the copy (none built in) costs a second read of the source.
          entry.sha256 = result.hash ?? (await sha256File(file.source));
        }),
      ),
      stop,
    );
    if (local) {
      const flushed = await flushFiles(written.map((w) => w.temp));
      const failed = flushed.findIndex((error) => error !== null);
      if (failed >= 0) {
        throw new TransferError(`cannot flush ${written[failed]?.file.target}: ${flushed[failed]?.message}`);
      }
    }
    signal.throwIfAborted();
    await settleAll(
      written.map((w) =>
        limit(async () => {
          signal.throwIfAborted();
          await provider.rename(w.temp, w.file.target, { overwrite: options.overwrite });
          options.placed.push(w.file.target);
        }),
      ),
      stop,
    );
    if (local) await flushFolders(dirs);
  } catch (error) {
    const placed = new Set(options.placed);
    await Promise.allSettled(
      written.filter((w) => w && !placed.has(w.file.target)).map((w) => provider.remove(w.temp)),
    );
    throw error;
  }
  return Promise.all(written.map((w) => limit(() => describe(provider, w))));
}

/**
 * The version is this publish's now (its number is unregistered and its
 * targets are absent: checked by the caller), so a temporary file of one of
 * its names is an earlier publish's of the same version that was killed
 * (SIGKILL, a power cut) before it could clean up: removed whatever its age.
 * Older temporary files of other names go by the lease, as a sync pass does.
 * Litter never fails a publish.
 */
async function sweepFailedPublish(
  provider: SiteProvider,
  planned: PlannedFile[],
  dirs: string[],
): Promise<void> {
  const names = new Map<string, Set<string>>(dirs.map((dir) => [dir, new Set<string>()]));
  for (const file of planned) names.get(parentOf(file.target))?.add(baseOf(file.target));
  const limit = pLimit(4);
  await Promise.all(
    [...names].map(([dir, claimedNames]) =>
      limit(() =>
        sweepSiteTemps(provider, dir, { olderThanMs: DEFAULT_LEASE_MS, claimedNames }).catch(() => []),
      ),
    ),
  );
}

/**
 * Waits for every task, not only until the first failure (Promise.all would
 * return then, with copies still writing temporary files the cleanup could
 * not see); the first failure aborts the others. Rejects with that failure.
 */
async function settleAll(tasks: Promise<unknown>[], stop: AbortController): Promise<void> {
  let first: { error: unknown } | undefined;
  await Promise.all(
    tasks.map((task) =>
      task.catch((error: unknown) => {
        if (!first) {
          first = { error };
          stop.abort(error);
        }
      }),
    ),
  );
  if (first) throw first.error;
}

/** The catalog's record of a placed file: AYON's op3 hash needs its mtime on the site. */
async function describe(provider: SiteProvider, w: Written): Promise<RepresentationFile> {
  const stat = await provider.stat(w.file.target);
  if (!stat) throw new TransferError(`${w.file.target} is missing right after it was put in place`);
  return {
    id: newId(),
    name: path.basename(w.file.target),
    path: w.file.rootless,
    size: w.file.size,
    hash: op3Hash(w.file.target, stat.mtimeMs, stat.size),
    hashType: "op3",
    sha256: w.sha256,
  };
}
