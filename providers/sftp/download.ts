/**
 * Downloading one file over SFTP with many READ requests in flight, like
 * ssh2's fastGet (each piece read, then written at its place, pieces in
 * parallel), but the bytes are also hashed on the way, in file order, on a
 * worker thread, so verification needs no second read of the file. Piece
 * buffers are reused (after the write, or when the hasher hands them back),
 * so a GiB does not allocate a GiB.
 */
import type { EventEmitter } from "node:events";
import { type FileHandle, open } from "node:fs/promises";
import type { SFTPWrapper, Stats } from "ssh2";
import { WorkerSha256 } from "../../lib/fs/hasher.js";
import type { ProgressFn } from "../provider.js";

export interface GetOptions {
  concurrency: number;
  chunkSize: number;
  hash: boolean;
  onProgress?: ProgressFn;
  /**
   * Make the file durable before resolving (fdatasync). Either way the data
   * is pushed to disk every 64 MiB while the transfer runs, so the final
   * flush (here, or the caller's) has little left to write.
   */
  sync: boolean;
  /**
   * Emitters whose 'close', 'end' or 'error' means the connection is gone (the
   * ssh2 client, the SFTP channel): pending reads are not always answered then.
   */
  connection?: EventEmitter[];
}

/** Bytes written between two fdatasync calls that start the disk's writeback during the transfer. */
const EARLY_FLUSH_BYTES = 64 * 1024 * 1024;

function call<T>(start: (done: (error: Error | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}

function closeRemote(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  return call<undefined>((done) => sftp.close(handle, (error) => done(error ?? undefined, undefined)));
}

/**
 * Downloads `remote` to the new file `local` (created with `wx`) with the
 * remote file's times; resolves with the bytes written and their sha256.
 */
export async function pipelinedGet(
  sftp: SFTPWrapper,
  remote: string,
  local: string,
  options: GetOptions,
): Promise<{ size: number; hash?: string }> {
  const handle = await call<Buffer>((done) => sftp.open(remote, "r", done));
  let file: FileHandle | undefined;
  let download: Download | undefined;
  try {
    const { size, atime, mtime } = await call<Stats>((done) => sftp.fstat(handle, done));
    file = await open(local, "wx");
    download = new Download(sftp, handle, file, size, remote, options);
    const written = await download.run();
    // The server's times, whole seconds in SFTP: AYON's op3 hash (basename|mtime|size) of the copy
    // then agrees with the server's file. Before the caller renames it, so it appears with them.
    // A server may leave the times out of its answer (they are optional in SFTP's ATTRS).
    if (typeof atime === "number" && typeof mtime === "number") await file.utimes(atime, mtime);
    if (options.sync) await file.datasync();
    await closeRemote(sftp, handle);
    return { size: written, ...(download.hasher ? { hash: await download.hasher.digest() } : {}) };
  } catch (error) {
    download?.hasher?.drop();
    // Not awaited: on a lost connection the server never answers, and the handle goes with the session.
    void closeRemote(sftp, handle).catch(() => undefined);
    throw error;
  } finally {
    await file?.close().catch(() => undefined);
  }
}

class Download {
  readonly hasher: WorkerSha256 | undefined;
  private readonly spare: Buffer[] = [];
  private next = 0;
  private inFlight = 0;
  private written = 0;
  private hashedTo = 0;
  private flushedTo = 0;
  private flushing: Promise<void> | undefined;
  private ended = false;
  private failed = false;
  /** Written pieces waiting for the ones before them, so the hash sees the file in order. */
  private readonly unhashed = new Map<number, { piece: Buffer; length: number }>();
  private resolve: (written: number) => void = () => undefined;
  private reject: (error: unknown) => void = () => undefined;
  private readonly onLost = (error?: Error) =>
    this.fail(
      Object.assign(new Error(`connection lost during the download${error ? `: ${error.message}` : ""}`), {
        code: "ERR_NOT_CONNECTED",
      }),
    );

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly file: FileHandle,
    private readonly size: number,
    remote: string,
    private readonly options: GetOptions,
  ) {
    // Hashed pieces come back from the hasher and are read into again.
    this.hasher = options.hash
      ? new WorkerSha256({ pieceSize: options.chunkSize, label: remote })
      : undefined;
  }

  run(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.watch(true);
      this.fill();
      this.finishWhenDone();
    });
  }

  private watch(on: boolean): void {
    for (const emitter of this.options.connection ?? []) {
      for (const name of ["close", "end", "error"]) {
        if (on) emitter.on(name, this.onLost);
        else emitter.off(name, this.onLost);
      }
    }
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.watch(false);
    this.reject(error);
  }

  private finishWhenDone(): void {
    if (this.failed || this.inFlight > 0 || (this.next < this.size && !this.ended)) return;
    Promise.resolve(this.flushing).then(() => {
      this.watch(false);
      this.resolve(this.written);
    });
  }

  /** Starts writeback of what is written so far, one flush at a time; failures surface at the end. */
  private flushEarly(): void {
    if (this.flushing || this.written - this.flushedTo < EARLY_FLUSH_BYTES) return;
    this.flushedTo = this.written;
    this.flushing = this.file.datasync().then(
      () => {
        this.flushing = undefined;
      },
      (error: unknown) => this.fail(error),
    );
  }

  private fill(): void {
    while (!this.failed && !this.ended && this.inFlight < this.options.concurrency && this.next < this.size) {
      const position = this.next;
      const length = Math.min(this.options.chunkSize, this.size - this.next);
      this.inFlight += 1;
      this.next += length;
      // The hasher's pieces are bounded, so a piece may have to wait for the hash to catch up;
      // they are handed out in the order asked for, so the reads still go out in file order.
      this.takePiece().then(
        (piece) => this.read(position, length, piece),
        (error: unknown) => this.fail(error),
      );
    }
  }

  /** With a hash, from the hasher's bounded pool; without, reused after their write (at most `concurrency`). */
  private takePiece(): Promise<Buffer> {
    return (
      this.hasher?.piece() ??
      Promise.resolve(this.spare.pop() ?? Buffer.allocUnsafeSlow(this.options.chunkSize))
    );
  }

  private giveBack(piece: Buffer): void {
    if (this.hasher) this.hasher.recycle(piece);
    else this.spare.push(piece);
  }

  /**
   * One piece: read it, write it at its place (like fastGet, writes run in parallel), then hash or reuse it.
   * A short read (the server may answer with less) is completed into the same piece: a second piece for
   * the rest could wait on the hasher's bound for pieces held behind this one, which never come.
   */
  private read(position: number, length: number, piece: Buffer, filled = 0): void {
    if (this.failed) return;
    this.sftp.read(this.handle, piece, filled, length - filled, position + filled, (error, bytes) => {
      if (this.failed) return;
      if (error) return this.fail(error);
      const got = filled + bytes;
      if (bytes > 0 && got < length) return this.read(position, length, piece, got);
      // End of file before the size fstat gave: the file shrank; the caller's size check reports it.
      if (bytes === 0) this.ended = true;
      if (got === 0) {
        this.inFlight -= 1;
        this.giveBack(piece);
        return this.finishWhenDone();
      }
      this.file.write(piece, 0, got, position).then(
        () => {
          this.inFlight -= 1;
          this.written += got;
          this.options.onProgress?.(this.written, this.size);
          this.hashInOrder(position, piece, got);
          this.flushEarly();
          this.fill();
          this.finishWhenDone();
        },
        (writeError: unknown) => this.fail(writeError),
      );
    });
  }

  private hashInOrder(position: number, piece: Buffer, length: number): void {
    if (!this.hasher) {
      this.spare.push(piece);
      return;
    }
    this.unhashed.set(position, { piece, length });
    for (let ready = this.unhashed.get(this.hashedTo); ready; ready = this.unhashed.get(this.hashedTo)) {
      this.unhashed.delete(this.hashedTo);
      this.hasher.update(ready.piece, ready.length);
      this.hashedTo += ready.length;
    }
  }
}
