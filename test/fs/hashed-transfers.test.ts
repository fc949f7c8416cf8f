/**
 * The two transfers that feed WorkerSha256 pieces from its bounded pool: a
 * local copy (lib/fs/atomic-copy.ts) and an SFTP download
 * (providers/sftp/download.ts, against a fake session, so no server is needed).
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SFTPWrapper } from "ssh2";
import { describe, expect, it } from "vitest";
import { copyFileAtomic } from "../../lib/fs/atomic-copy.js";
import { PIECE_BYTES_PER_STREAM } from "../../lib/fs/hasher.js";
import { piecePoolBytes } from "../../lib/fs/piece-pool.js";
import { pipelinedGet } from "../../providers/sftp/download.js";
import { tempDir } from "../helpers/tmp.js";
import { blockHashWorker, signal } from "./hash-worker-blocker.js";

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

type ReadDone = (error: Error | undefined, bytes: number) => void;

/**
 * An SFTP session serving `data`: every third answer is short (a server may
 * send less than asked), and answers come back in a scrambled order, as
 * parallel writes can finish in any order.
 */
function fakeSession(data: Buffer, onRead: () => void): SFTPWrapper {
  let answers = 0;
  let queued: (() => void)[] = [];
  const answerSome = () => {
    const batch = queued;
    queued = [];
    // Newest first: the piece the hash waits for is answered last.
    for (const answer of batch.reverse()) answer();
  };
  const session = {
    open: (_path: string, _flags: string, done: (error: undefined, handle: Buffer) => void) =>
      done(undefined, Buffer.from("handle")),
    fstat: (_handle: Buffer, done: (error: undefined, stats: { size: number }) => void) =>
      done(undefined, { size: data.length }),
    close: (_handle: Buffer, done: (error: undefined) => void) => done(undefined),
    read: (
      _handle: Buffer,
      into: Buffer,
      offset: number,
      length: number,
      position: number,
      done: ReadDone,
    ) => {
      onRead();
      answers += 1;
      const wanted = answers % 3 === 0 ? Math.ceil(length / 3) : length;
      const bytes = data.copy(into, offset, position, Math.min(position + wanted, data.length));
      if (queued.push(() => done(undefined, bytes)) === 1) setImmediate(answerSome);
    },
  };
  // The fake has only the methods pipelinedGet calls.
  return session as unknown as SFTPWrapper;
}

describe("transfers hashed on the worker with bounded pieces", () => {
  it.skipIf(process.platform === "win32")(
    "downloads and hashes a file read in scrambled, short answers, waiting at the stream's bound",
    async () => {
      const data = randomBytes(40 * MiB + 123);
      const local = path.join(tempDir(), "plate.exr");
      const chunkSize = 261120;
      // Behind a stalled hash the pieces fill the stream's bound: short reads must still complete.
      const blocker = blockHashWorker();
      const full = signal();
      let most = 0;
      const session = fakeSession(data, () => {
        most = Math.max(most, piecePoolBytes());
        if (piecePoolBytes() + chunkSize > PIECE_BYTES_PER_STREAM) full.resolve();
      });
      const getting = pipelinedGet(session, "/studio/plate.exr", local, {
        concurrency: 16,
        chunkSize,
        hash: true,
        sync: false,
      });
      await full.promise;
      await blocker.release();
      expect(await getting).toEqual({ size: data.length, hash: sha256(data) });
      expect(readFileSync(local).equals(data)).toBe(true);
      expect(most).toBeLessThanOrEqual(PIECE_BYTES_PER_STREAM);
      expect(piecePoolBytes()).toBe(0);
    },
    20_000,
  );

  it("copies a file of many chunks with its sha256, and frees the pieces", async () => {
    const dir = tempDir();
    const data = randomBytes(30 * MiB + 7);
    writeFileSync(path.join(dir, "cache.abc"), data);
    const copied = await copyFileAtomic(path.join(dir, "cache.abc"), path.join(dir, "copy.abc"), {
      hash: "sha256",
    });
    expect(copied).toEqual({ size: data.length, hash: sha256(data) });
    expect(readFileSync(path.join(dir, "copy.abc")).equals(data)).toBe(true);
    expect(piecePoolBytes()).toBe(0);
  });
});
