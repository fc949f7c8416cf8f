/**
 * sha256 on a worker thread, of a file or of bytes that arrive in pieces, so
 * the thread that moves them (an SFTP transfer encrypting or decrypting
 * packets) does not also spend ~0.9 s per GiB hashing. Pieces are handed over, not copied: a
 * piece's memory belongs to the hasher once given (the caller must be done
 * with it), and they travel in batches of a few MiB to keep messages rare.
 */
import type { Worker } from "node:worker_threads";
import { type JobWorker, WorkerPool } from "./job-worker.js";
import { PiecePool } from "./piece-pool.js";

const MiB = 1024 * 1024;

/** Pieces are sent once this many bytes are waiting. */
const BATCH_BYTES = 4 * MiB;

/**
 * The piece memory of one stream: being read into, waiting for a batch, or
 * with the worker. Four batches: the worker always has the next one queued.
 * All streams together are bounded too (PIECE_BYTES_PER_PROCESS, 128 MiB).
 */
export const PIECE_BYTES_PER_STREAM = 4 * BATCH_BYTES;

/** One worker (its code: workers/hash-worker.mjs); after it stops, the next request starts a fresh one. */
const pool = new WorkerPool(new URL("./workers/hash-worker.mjs", import.meta.url), "hash worker", 1);
let nextStream = 0;

function hashWorker(): JobWorker {
  return pool.pick();
}

/** For tests only: the live hash worker thread, to terminate it. */
export function workersForTests(): Worker[] {
  return pool.threads();
}

/**
 * sha256 of a whole file's content, read and hashed on the worker thread:
 * the one sha256 of a file in sitesync (publishing, local_drive and sftp).
 */
export function sha256File(file: string): Promise<string> {
  return hashWorker().run<string>({ op: "file", file }, `hashing ${file}`);
}

/**
 * sha256 of bytes given in order, in pieces taken from piece(). A stream
 * holds at most PIECE_BYTES_PER_STREAM of them: piece() waits while that
 * many are out, which is the backpressure on a reader faster than the hash.
 * End it with digest() or drop(): that frees its memory for other transfers.
 */
export class WorkerSha256 {
  private readonly stream = nextStream++;
  private readonly label: string;
  private readonly pool: PiecePool;
  private batch: { buffer: ArrayBuffer; length: number }[] = [];
  private batchLength = 0;
  private inFlight = 0;
  /** The worker that holds this stream's hash state, once a batch went to it. */
  private home: JobWorker | undefined;
  private failure: Error | undefined;
  /** digest() or drop() was called: the worker forgot the stream, so later pieces are ignored, not hashed anew. */
  private ended = false;

  /** `label` names the bytes (a path) in errors; `pieceSize` is the size of each piece(). */
  constructor(options: { pieceSize: number; label: string }) {
    this.label = options.label;
    // Sending a partial batch when a reader waits is what brings pieces back.
    this.pool = new PiecePool(options.pieceSize, PIECE_BYTES_PER_STREAM, () => this.send());
  }

  /** Memory to read the next piece into; waits while the stream (or the process) has its bound out. */
  piece(): Promise<Buffer> {
    return this.pool.take();
  }

  /** Gives back a piece from piece() that holds nothing to hash (the read found the end of the file). */
  recycle(piece: Buffer): void {
    this.pool.give(piece);
  }

  /** Adds the first `length` bytes of `piece`, which must come from piece() and is unusable afterwards. */
  update(piece: Buffer, length = piece.length): void {
    // A failed transfer's last writes may still land after drop(): their bytes are not wanted.
    if (this.ended) return;
    // Anything else may share memory (Node's pool) that handing over would take from its other users.
    if (!this.pool.handOver(piece)) throw new Error("a hashed piece must come from this hasher's piece()");
    this.batch.push({ buffer: piece.buffer as ArrayBuffer, length });
    this.batchLength += length;
    this.inFlight += piece.buffer.byteLength;
    if (this.batchLength >= BATCH_BYTES) this.send();
  }

  /** Read-only, for tests: the bytes given to update() that the worker has not given back yet. */
  inFlightBytes(): number {
    return this.inFlight;
  }

  async digest(): Promise<string> {
    if (this.ended) throw new Error(`the hash of ${this.label} was already digested or dropped`);
    this.send();
    this.ended = true;
    try {
      if (this.failure) throw this.failure;
      const target = this.home ?? hashWorker();
      if (target.stopped !== undefined) throw target.stoppedError(`hashing ${this.label}`);
      return await target.run<string>({ op: "digest", stream: this.stream }, `hashing ${this.label}`);
    } finally {
      this.pool.close();
    }
  }

  /** Forgets the bytes given so far (the transfer failed). */
  drop(): void {
    this.ended = true;
    this.batch = [];
    this.batchLength = 0;
    this.home?.tell({ op: "drop", stream: this.stream });
    this.pool.close();
  }

  private send(): void {
    if (this.batch.length === 0) return;
    const pieces = this.batch;
    const buffers = pieces.map((p) => p.buffer);
    const bytes = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    this.batch = [];
    this.batchLength = 0;
    const target = this.home ?? hashWorker();
    if (this.failure || target.stopped !== undefined) {
      // The hash state died with the worker: a fresh one would digest only the bytes after the death.
      this.failure ??= target.stoppedError(`hashing ${this.label}`);
      this.inFlight -= bytes;
      for (const buffer of buffers) this.pool.comeBack(buffer);
      return;
    }
    this.home = target;
    target
      .run<ArrayBuffer[]>({ op: "update", stream: this.stream, pieces }, `hashing ${this.label}`, buffers)
      .then(
        (returned) => {
          this.inFlight -= bytes;
          for (const buffer of returned) this.pool.comeBack(buffer);
        },
        (error: Error) => {
          // The worker died with the pieces: digest() reports it, never a hash of part of the bytes.
          this.inFlight -= bytes;
          this.failure ??= error;
          this.pool.lose(bytes);
        },
      );
  }
}
