/**
 * Small-file copies on worker threads. A 16 KiB copy through fs/promises is
 * about a dozen separate trips to libuv's thread pool (stat, open, read,
 * write, futimes, fsync, close...), and for small files those trips, not the
 * bytes, are the cost. A worker does the whole copy with synchronous calls in
 * one go (read, write, keep mtime, fsync, hash) and answers once. The code
 * runs as an eval'd worker so it works from the sources and the build alike.
 */
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const crypto = require("node:crypto");
parentPort.on("message", ({ id, source, target, hash }) => {
  let fd;
  try {
    const stat = fs.statSync(source);
    const data = fs.readFileSync(source);
    if (data.length !== stat.size) throw Object.assign(new Error("the source changed while it was read"), { code: "ESIZE" });
    fd = fs.openSync(target, "wx");
    let offset = 0;
    while (offset < data.length) offset += fs.writeSync(fd, data, offset);
    fs.futimesSync(fd, stat.atimeMs / 1000, stat.mtimeMs / 1000);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    const digest = hash ? crypto.createHash("sha256").update(data).digest("hex") : undefined;
    parentPort.postMessage({ id, size: data.length, hash: digest });
  } catch (error) {
    if (fd !== undefined) { try { fs.closeSync(fd); } catch {} }
    if (error && error.code !== "EEXIST") { try { fs.unlinkSync(target); } catch {} }
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Task {
  resolve: (result: { size: number; hash?: string }) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

/**
 * Workers spend most of their time waiting in fsync, not on a core, so there
 * are more of them than cores: their waits overlap.
 */
const WORKERS = 8;

const slots: Slot[] = [];
const tasks = new Map<number, Task>();
let nextId = 0;

function slot(): Slot {
  if (slots.length < WORKERS) {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const created: Slot = { worker, busy: 0 };
    worker.unref();
    worker.on(
      "message",
      (message: { id: number; size?: number; hash?: string; error?: { message: string; code?: string } }) => {
        created.busy -= 1;
        // Idle workers must not keep the process alive.
        if (created.busy === 0) worker.unref();
        const task = tasks.get(message.id);
        tasks.delete(message.id);
        if (!task) return;
        if (message.error)
          task.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
        else task.resolve({ size: message.size ?? 0, ...(message.hash ? { hash: message.hash } : {}) });
      },
    );
    slots.push(created);
    return created;
  }
  return slots.reduce((a, b) => (b.busy < a.busy ? b : a));
}

/** Copies a small file to a fresh path (`wx`), fsynced with the source mtime; optionally hashes it. */
export function copySmallFile(
  source: string,
  target: string,
  hash: boolean,
): Promise<{ size: number; hash?: string }> {
  const chosen = slot();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    tasks.set(id, { resolve, reject });
    chosen.busy += 1;
    chosen.worker.ref();
    chosen.worker.postMessage({ id, source, target, hash });
  });
}
