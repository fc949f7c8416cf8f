/**
 * Memory for the pieces a transfer reads and hands to the hash worker
 * (hasher.ts), reused as pieces come back. It is bounded twice: each pool
 * (one per hashed transfer) to the limit its owner gives (WorkerSha256: 16 MiB),
 * and all pools of the process together to PIECE_BYTES_PER_PROCESS. A reader
 * that outruns the one hash worker then waits for a piece to come back
 * instead of allocating another, so it slows to the hash's pace rather than
 * queueing the file in memory.
 *
 * The bound counts the pieces of open pools. A pool is closed when its
 * transfer ends (digest or drop); a piece still out then (a read the lost
 * connection never answers) is left to the garbage collector and no longer counted.
 */

const MiB = 1024 * 1024;

/**
 * Eight transfers at their full 16 MiB. The one hash worker hashes about
 * 1 GiB/s, so this is over 100 ms of work queued for it: more would hold
 * memory without hashing any faster.
 */
export const PIECE_BYTES_PER_PROCESS = 128 * MiB;

/** Bytes held by all open pools: handed out, waiting for reuse, or with the worker. */
let processBytes = 0;
const openPools = new Set<PiecePool>();

/** Read-only, for tests: the bytes all open pools hold. */
export function piecePoolBytes(): number {
  return processBytes;
}

interface Taker {
  resolve: (piece: Buffer) => void;
  reject: (error: Error) => void;
}

export class PiecePool {
  private bytes = 0;
  private free: Buffer[] = [];
  /** Pieces handed out by take() and not yet given back or handed over. */
  private readonly out = new Set<ArrayBufferLike>();
  private readonly takers: Taker[] = [];
  private closed = false;

  /**
   * `onStarve` is called when a taker has to wait: its owner should send
   * what it holds back (a partial batch) so that pieces come back.
   */
  constructor(
    readonly pieceSize: number,
    private readonly limit: number,
    private readonly onStarve: () => void,
  ) {
    // A piece over either bound could never be allocated: its taker would wait forever.
    const bound = Math.min(limit, PIECE_BYTES_PER_PROCESS);
    if (pieceSize > bound)
      throw new RangeError(`a piece of ${pieceSize} bytes is over its pool's bound of ${bound}`);
    openPools.add(this);
  }

  /** A piece of own memory (not a slice of Node's shared pool), so it can be handed to a worker without a copy. */
  take(): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error("the transfer ended; its piece pool is closed"));
    // Takers are served in order: a download's reads then go out in file order.
    const piece = this.takers.length === 0 ? this.tryTake() : undefined;
    if (piece) return Promise.resolve(piece);
    const waiting = new Promise<Buffer>((resolve, reject) => this.takers.push({ resolve, reject }));
    this.onStarve();
    if (this.waitsForProcess()) {
      // Other transfers' idle pieces and partial batches can serve this one.
      for (const pool of openPools) {
        if (pool === this) continue;
        pool.releaseFree();
        pool.onStarve();
      }
    }
    PiecePool.serveAll();
    return waiting;
  }

  /** Gives back a piece from take() that was not handed over after all. */
  give(piece: Buffer): void {
    if (!this.out.delete(piece.buffer) || this.closed) return;
    this.store(piece);
  }

  /** Marks a piece from take() as handed to the worker; false if it did not come from take(). */
  handOver(piece: Buffer): boolean {
    return this.out.delete(piece.buffer);
  }

  /** A handed-over piece's memory, back from the worker. */
  comeBack(memory: ArrayBuffer): void {
    if (!this.closed) this.store(Buffer.from(memory));
  }

  /** Handed-over pieces that will not come back (their worker died): no longer counted. */
  lose(bytes: number): void {
    if (this.closed) return;
    this.bytes -= bytes;
    processBytes -= bytes;
    PiecePool.serveAll();
  }

  /** The transfer ended: its bytes no longer count, and anyone still waiting for a piece is refused. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    openPools.delete(this);
    processBytes -= this.bytes;
    this.bytes = 0;
    this.free = [];
    for (const taker of this.takers.splice(0))
      taker.reject(new Error("the transfer ended while waiting for memory"));
    PiecePool.serveAll();
  }

  private tryTake(): Buffer | undefined {
    let piece = this.free.pop();
    if (!piece && this.bytes + this.pieceSize <= this.limit && this.fitsProcess()) {
      piece = Buffer.allocUnsafeSlow(this.pieceSize);
      this.bytes += this.pieceSize;
      processBytes += this.pieceSize;
    }
    if (piece) this.out.add(piece.buffer);
    return piece;
  }

  private store(piece: Buffer): void {
    this.free.push(piece);
    this.serve();
    // Idle here while another transfer waits on the process bound: the memory serves that one.
    if (this.free.length > 0 && [...openPools].some((pool) => pool.waitsForProcess())) {
      this.releaseFree();
      PiecePool.serveAll();
    }
  }

  /** Oldest transfers first: they are nearest to finishing and giving all their memory back. */
  private static serveAll(): void {
    for (const pool of openPools) pool.serve();
  }

  private serve(): void {
    while (this.takers.length > 0) {
      const piece = this.tryTake();
      if (!piece) return;
      this.takers.shift()?.resolve(piece);
    }
  }

  private fitsProcess(): boolean {
    return processBytes + this.pieceSize <= PIECE_BYTES_PER_PROCESS;
  }

  /** Waiting, with room under its own limit: only the process bound holds it back. */
  private waitsForProcess(): boolean {
    return this.takers.length > 0 && this.free.length === 0 && this.bytes + this.pieceSize <= this.limit;
  }

  private releaseFree(): void {
    const bytes = this.free.length * this.pieceSize;
    this.free = [];
    this.bytes -= bytes;
    processBytes -= bytes;
  }
}
