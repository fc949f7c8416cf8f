/**
 * The one transfer path every provider goes through (STYLE.md): the file is
 * written under a temporary name next to its final path, verified (size, and
 * the content hash recorded at publish when the provider hashed the bytes it
 * wrote), and only then renamed into place. So a file at its final path is
 * always complete and verified, whichever provider wrote it and however the
 * process died.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { SiteProvider } from "../../providers/provider.js";
import { ProviderError, TransferError } from "../errors.js";
import type { FileJob } from "./types.js";

export interface TransferContext {
  remoteProvider: SiteProvider;
  onProgress?: (transferred: number, total: number) => void;
  signal?: AbortSignal;
}

/** The parent of a path in either separator style (remote providers use POSIX paths). */
function parentOf(p: string): string {
  const cut = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return cut > 0 ? p.slice(0, cut) : p;
}

/** `.<name>.sitesync-<pid>-<random>.part`: the pid lets a later run remove what a killed one left. */
function tempNameFor(p: string): string {
  const cut = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  const base = p.slice(cut + 1).slice(0, 100);
  return `${p.slice(0, cut + 1)}.${base}.sitesync-${process.pid}-${randomBytes(6).toString("hex")}.part`;
}

const LEFTOVER = /\.sitesync-(\d+)-[0-9a-f]+\.part$/;

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Removes temporary files a killed process left next to a local target (never another live process's). */
async function removeLeftovers(target: string): Promise<void> {
  const dir = path.dirname(target);
  const base = path.basename(target).slice(0, 100);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const match = LEFTOVER.exec(name);
    if (match && name.includes(`${base}.sitesync-`) && processGone(Number(match[1]))) {
      await unlink(path.join(dir, name)).catch(() => undefined);
    }
  }
}

/** Moves one file; resolves with the bytes moved, throws ProviderError/TransferError otherwise. */
export async function transferOnce(job: FileJob, context: TransferContext): Promise<number> {
  const { remoteProvider: remote, signal } = context;
  const options = {
    overwrite: false,
    hash: job.file.sha256 && remote.capabilities.hashes.includes("sha256") ? "sha256" : undefined,
    ...(context.onProgress ? { onProgress: context.onProgress } : {}),
    ...(signal ? { signal } : {}),
  };
  if (job.direction === "download") {
    const temp = tempNameFor(job.localPath);
    try {
      await mkdir(path.dirname(job.localPath), { recursive: true });
      await removeLeftovers(job.localPath);
      const result = await remote.download(job.remotePath, temp, options);
      verify(job, (await stat(temp)).size, result.hash);
      await rename(temp, job.localPath);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  } else {
    const temp = tempNameFor(job.remotePath);
    try {
      await remote.mkdirs(parentOf(job.remotePath));
      const result = await remote.upload(job.localPath, temp, options);
      verify(job, (await remote.stat(temp))?.size ?? -1, result.hash);
      await remote.rename(temp, job.remotePath, { overwrite: true });
    } catch (error) {
      await remote.remove(temp).catch(() => undefined);
      throw error;
    }
  }
  return job.file.size;
}

function verify(job: FileJob, size: number, hash: string | undefined): void {
  if (size !== job.file.size) {
    // The source is not the file that was published (changed or truncated since): retrying cannot help.
    throw new ProviderError(
      `${job.file.name}: copy has ${size} bytes but the published file has ${job.file.size}; the source differs from the publish`,
      false,
    );
  }
  if (hash !== undefined && job.file.sha256 !== undefined && hash !== job.file.sha256) {
    throw new TransferError(
      `${job.file.name}: content hash ${hash} differs from the published ${job.file.sha256}`,
    );
  }
}
