/**
 * Making many freshly written files durable at once. fsync per file forces
 * one journal commit per file, and for small files that is most of the cost
 * of a sync pass (4,000 files of 16 KiB: 0.45 s of fsync against 0.4 s for
 * everything else). On Linux one syncfs(2) (`sync -f`, coreutils) flushes
 * every written file of a file system in a single commit, and concurrent
 * callers share one flush (group commit). Elsewhere, or when `sync -f` is
 * missing or fails, each file is fsynced, so a failure is still reported
 * for the file it concerns.
 *
 * `sync -f` runs from one small shell kept for the life of the process:
 * spawning it from Node would fork this whole process each time (5 ms of
 * the main thread per flush here, more than the fsyncs it saves).
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { type FileHandle, open, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { type BatchErrors, fsyncFiles } from "./copy-workers.js";

/** Reads folder names, one per line, and answers each with `sync -f`'s exit status. */
const HELPER_SCRIPT = 'while IFS= read -r dir; do sync -f -- "$dir" 2>/dev/null; echo $?; done';

class SyncHelper {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private buffered = "";
  private dead: Error | undefined;

  constructor() {
    this.child = spawn("sh", ["-c", HELPER_SCRIPT], { stdio: ["pipe", "pipe", "ignore"] });
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk: string) => this.answer(chunk));
    this.child.on("error", (error) => this.fail(error));
    this.child.on("exit", (code, signal) => this.fail(new Error(`sync helper exited (${signal ?? code})`)));
    this.child.stdin.on("error", (error) => this.fail(error));
    this.idle();
  }

  syncfs(dir: string): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    if (dir.includes("\n")) return Promise.reject(new Error("folder name holds a line break"));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.busy();
      this.child.stdin.write(`${dir}\n`);
    });
  }

  private answer(chunk: string): void {
    this.buffered += chunk;
    let cut = this.buffered.indexOf("\n");
    while (cut >= 0) {
      const status = this.buffered.slice(0, cut).trim();
      this.buffered = this.buffered.slice(cut + 1);
      const waiter = this.waiting.shift();
      if (status === "0") waiter?.resolve();
      else waiter?.reject(new Error(`sync -f exited with ${status}`));
      cut = this.buffered.indexOf("\n");
    }
    if (this.waiting.length === 0) this.idle();
  }

  private fail(error: Error): void {
    this.dead ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }

  // An idle helper must not keep the process alive.
  private idle(): void {
    this.child.unref();
    (this.child.stdout as Readable & { unref?: () => void }).unref?.();
    (this.child.stdin as Writable & { unref?: () => void }).unref?.();
  }

  private busy(): void {
    this.child.ref();
    (this.child.stdout as Readable & { ref?: () => void }).ref?.();
    (this.child.stdin as Writable & { ref?: () => void }).ref?.();
  }
}

let helper: SyncHelper | undefined;

/** Per file system (st_dev): the flush running now and the one queued behind it. */
interface Flusher {
  running?: Promise<void>;
  next?: Promise<void>;
}

const flushers = new Map<number, Flusher>();
let syncfsWorks = process.platform === "linux" && process.env.SITESYNC_SYNCFS !== "0";

function syncfs(dir: string): Promise<void> {
  helper ??= new SyncHelper();
  return helper.syncfs(dir);
}

/**
 * A flush of the file system holding `dir` that starts after this call: one
 * already running may have begun before the caller's writes, so the caller
 * joins the next one, which every caller arriving meanwhile shares.
 */
function flushDevice(dev: number, dir: string): Promise<void> {
  const flusher = flushers.get(dev) ?? {};
  flushers.set(dev, flusher);
  const start = (): Promise<void> => {
    const current = syncfs(dir).finally(() => {
      if (flusher.running === current) flusher.running = undefined;
    });
    flusher.running = current;
    return current;
  };
  if (!flusher.running) return start();
  if (!flusher.next) {
    flusher.next = flusher.running
      .catch(() => undefined)
      .then(() => {
        flusher.next = undefined;
        return start();
      });
  }
  return flusher.next;
}

/**
 * One shared syncfs per file system holding these folders. False when syncfs
 * is not available here or failed: the caller then fsyncs one by one, and so
 * does every later call (no `sync -f` in old coreutils or BusyBox).
 */
async function syncfsOf(dirs: string[]): Promise<boolean> {
  if (!syncfsWorks) return false;
  try {
    // One folder named per file system (st_dev).
    const devices = new Map<number, string>();
    for (const dir of new Set(dirs)) {
      const { dev } = await stat(dir);
      if (!devices.has(dev)) devices.set(dev, dir);
    }
    await Promise.all([...devices].map(([dev, dir]) => flushDevice(dev, dir)));
    return true;
  } catch {
    syncfsWorks = false;
    return false;
  }
}

/**
 * Makes the names just created or renamed in these folders durable: the
 * shared syncfs where it works, an fsync of each folder otherwise.
 */
export async function flushFolders(dirs: string[]): Promise<void> {
  if (dirs.length === 0) return;
  if (!(await syncfsOf(dirs))) await fsyncDirs(dirs);
}

/**
 * Makes the contents of these written files durable. Resolves with one entry
 * per file: null when it is on disk, else the error that prevented it.
 */
export async function flushFiles(files: string[]): Promise<BatchErrors> {
  if (files.length === 0) return [];
  if (await syncfsOf(files.map((f) => path.dirname(f)))) return files.map(() => null);
  // fsync of each file reports a real I/O error against the file it concerns.
  return fsyncFiles(files);
}

/**
 * Makes renames in these folders durable: fsync of a folder commits the new
 * names in it (a file fsynced and renamed can otherwise lose its name on a
 * power cut). Folders are synced once each; file systems that cannot (Windows)
 * are skipped.
 */
async function fsyncDirs(dirs: Iterable<string>): Promise<void> {
  for (const dir of new Set(dirs)) {
    let handle: FileHandle | undefined;
    try {
      handle = await open(dir, "r");
      await handle.sync();
    } catch {
      // Not supported here (EISDIR/EPERM on some platforms): the rename itself is still atomic.
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}
