/**
 * sha256 on a worker thread, of a file or of bytes that arrive in pieces, so
 * the thread that moves them (an SFTP transfer encrypting or decrypting
 * packets) does not also spend ~0.9 s per GiB hashing. Pieces are handed over, not copied: a
 * piece's memory belongs to the hasher once given (the caller must be done
 * with it), and they travel in batches of a few MiB to keep messages rare.
 */
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const crypto = require("node:crypto");
const fs = require("node:fs");
const hashes = new Map();
function hashFile(file) {
  const hash = crypto.createHash("sha256");
  const chunk = Buffer.allocUnsafe(1 << 20);
  const fd = fs.openSync(file, "r");
  try {
    for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}
parentPort.on("message", ({ id, op, pieces, file }) => {
  if (op === "file") {
    try {
      parentPort.postMessage({ id, hex: hashFile(file) });
    } catch (error) {
      parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
    }
  } else if (op === "update") {
    let hash = hashes.get(id);
    if (!hash) hashes.set(id, (hash = crypto.createHash("sha256")));
    for (const { buffer, length } of pieces) hash.update(new Uint8Array(buffer, 0, length));
    // The memory goes back to its owner, who reuses it for the next pieces.
    const buffers = pieces.map((p) => p.buffer);
    parentPort.postMessage({ id, returned: buffers }, buffers);
  } else if (op === "digest") {
    const hash = hashes.get(id) ?? crypto.createHash("sha256");
    hashes.delete(id);
    parentPort.postMessage({ id, hex: hash.digest("hex") });
  } else if (op === "drop") {
    hashes.delete(id);
  }
});
`;

/** Pieces are sent once this many bytes are waiting. */
const BATCH_BYTES = 4 * 1024 * 1024;

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (hex: string) => void; reject: (error: Error) => void }>();
const owners = new Map<number, (buffer: ArrayBuffer) => void>();

interface Answer {
  id: number;
  hex?: string;
  returned?: ArrayBuffer[];
  error?: { message: string; code?: string };
}

function ask(request: Record<string, unknown>, id: number): Promise<string> {
  const target = hashWorker();
  target.ref();
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    target.postMessage({ ...request, id });
  });
}

/** sha256 of a whole file, read and hashed on the worker thread. */
export function sha256File(file: string): Promise<string> {
  return ask({ op: "file", file }, nextId++);
}

function hashWorker(): Worker {
  if (worker) return worker;
  const created = new Worker(WORKER_SOURCE, { eval: true });
  created.unref();
  created.on("message", (message: Answer) => {
    const { id, hex, returned, error } = message;
    if (returned) {
      const owner = owners.get(id);
      for (const buffer of owner ? returned : []) owner?.(buffer);
      return;
    }
    const waiter = waiting.get(id);
    waiting.delete(id);
    if (error) waiter?.reject(Object.assign(new Error(error.message), { code: error.code }));
    else waiter?.resolve(hex ?? "");
    owners.delete(id);
    // Idle: must not keep the process alive.
    if (waiting.size === 0) created.unref();
  });
  worker = created;
  return created;
}

export class WorkerSha256 {
  private readonly id = nextId++;
  private pieces: { buffer: ArrayBuffer; length: number }[] = [];
  private pending = 0;

  /** `onReturn` gets each piece's memory back once it is hashed, for reuse. */
  constructor(onReturn?: (buffer: ArrayBuffer) => void) {
    if (onReturn) owners.set(this.id, onReturn);
  }

  /**
   * Adds `length` bytes from the start of `piece`. The piece must own its
   * memory (Buffer.allocUnsafeSlow), and is unusable afterwards.
   */
  update(piece: Buffer, length = piece.length): void {
    // Handing over memory shared with other buffers (Node's pool) would break them.
    if (
      piece.byteOffset !== 0 ||
      piece.buffer.byteLength !== piece.length ||
      !(piece.buffer instanceof ArrayBuffer)
    )
      throw new Error("a hashed piece must own its memory (Buffer.allocUnsafeSlow)");
    this.pieces.push({ buffer: piece.buffer, length });
    this.pending += length;
    if (this.pending >= BATCH_BYTES) this.send();
  }

  digest(): Promise<string> {
    this.send();
    return ask({ op: "digest" }, this.id);
  }

  /** Forgets the bytes given so far (the transfer failed). */
  drop(): void {
    this.pieces = [];
    this.pending = 0;
    owners.delete(this.id);
    worker?.postMessage({ id: this.id, op: "drop" });
  }

  private send(): void {
    if (this.pieces.length === 0) return;
    const pieces = this.pieces;
    this.pieces = [];
    this.pending = 0;
    hashWorker().postMessage(
      { id: this.id, op: "update", pieces },
      pieces.map((p) => p.buffer),
    );
  }
}
