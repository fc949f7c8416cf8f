import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PIECE_BYTES_PER_STREAM, sha256File, WorkerSha256, workersForTests } from "../../lib/fs/hasher.js";
import { PIECE_BYTES_PER_PROCESS, piecePoolBytes } from "../../lib/fs/piece-pool.js";
import { tempDir } from "../helpers/tmp.js";
import { blockHashWorker, signal } from "./hash-worker-blocker.js";

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Gives `data` to `hasher` in pieces taken from it, calling `after` once each piece is handed over. */
async function feed(
  hasher: WorkerSha256,
  data: Buffer,
  pieceSize: number,
  after?: () => void,
): Promise<void> {
  for (let at = 0; at < data.length; at += pieceSize) {
    const piece = await hasher.piece();
    hasher.update(piece, data.copy(piece, 0, at, Math.min(at + pieceSize, data.length)));
    after?.();
  }
}

describe("sha256 on a worker thread", () => {
  it("hashes pieces in the order given, in batches, and takes each piece's memory back", async () => {
    const data = randomBytes(9 * MiB + 5);
    const hasher = new WorkerSha256({ pieceSize: 256 * 1024, label: "scene.ma" });
    await feed(hasher, data, 256 * 1024);
    expect(await hasher.digest()).toBe(sha256(data));
    expect(hasher.inFlightBytes()).toBe(0);
  });

  it("refuses a piece it did not hand out, and digests nothing as the empty hash", async () => {
    const hasher = new WorkerSha256({ pieceSize: 1024, label: "scene.ma" });
    expect(() => hasher.update(Buffer.allocUnsafeSlow(1024))).toThrow(/piece\(\)/);
    expect(await hasher.digest()).toBe(sha256(Buffer.alloc(0)));
    // A second digest would be of a stream the worker has forgotten: the empty hash, wrongly.
    await expect(hasher.digest()).rejects.toThrow(/already digested/);
  });

  it("hashes a whole file, and names a missing one", async () => {
    const dir = tempDir();
    const data = randomBytes(3 * MiB + 1);
    writeFileSync(path.join(dir, "scene.ma"), data);
    expect(await sha256File(path.join(dir, "scene.ma"))).toBe(sha256(data));
    await expect(sha256File(path.join(dir, "gone.ma"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it.skipIf(process.platform === "win32")(
    "rejects a file's hash, naming the file, when its worker is terminated mid-hash; the next hash is right",
    async () => {
      const dir = tempDir();
      // A FIFO: the worker is provably mid-hash once it has read what the test wrote.
      const file = path.join(dir, "render.exr");
      execFileSync("mkfifo", [file]);
      const hashing = sha256File(file);
      const settled = hashing.then(
        () => "resolved",
        (error: Error) => error,
      );
      const writer = await open(file, "w");
      // More than a pipe holds: the write ends only once the worker has read most of it.
      await writer.write(randomBytes(4 * MiB));
      const [worker] = workersForTests();
      expect(worker).toBeDefined();
      const stopped = worker?.terminate();
      // The worker is blocked reading the FIFO; end of file lets it reach the termination.
      await writer.close();
      await stopped;
      const error = await settled;
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(
        new RegExp(`^hash worker stopped while hashing ${file}: it exited with code \\d+$`),
      );
      expect(error).toMatchObject({ code: "ERR_WORKER_STOPPED" });

      const data = randomBytes(2 * MiB);
      writeFileSync(path.join(dir, "next.exr"), data);
      expect(await sha256File(path.join(dir, "next.exr"))).toBe(sha256(data));
      expect(workersForTests()).not.toContain(worker);
    },
    10_000,
  );

  it("rejects the digest of a stream whose worker died, also when pieces come after the death", async () => {
    const data = randomBytes(12 * MiB);
    // Two full batches sent: the stream's hash state lives in the worker.
    const before = new WorkerSha256({ pieceSize: MiB, label: "/proj/sh010/render.exr" });
    await feed(before, data.subarray(0, 8 * MiB), MiB);
    const after = new WorkerSha256({ pieceSize: MiB, label: "/proj/sh020/render.exr" });
    await feed(after, data.subarray(0, 8 * MiB), MiB);
    // Nothing sent yet (under a batch): its state is not in the worker, so it may go on with the next one.
    const unsent = new WorkerSha256({ pieceSize: MiB, label: "/proj/sh030/render.exr" });
    await feed(unsent, data.subarray(0, MiB), MiB);

    const [worker] = workersForTests();
    await worker?.terminate();

    await expect(before.digest()).rejects.toThrow(
      /^hash worker stopped while hashing \/proj\/sh010\/render\.exr: it exited with code \d+$/,
    );
    // Hashing these on a fresh worker would digest only the pieces after the death.
    await feed(after, data.subarray(8 * MiB), MiB);
    await expect(after.digest()).rejects.toThrow(
      /hash worker stopped while hashing \/proj\/sh020\/render\.exr/,
    );
    await feed(unsent, data.subarray(MiB), MiB);
    expect(await unsent.digest()).toBe(sha256(data));

    const fresh = new WorkerSha256({ pieceSize: MiB, label: "fresh.exr" });
    await feed(fresh, data, MiB);
    expect(await fresh.digest()).toBe(sha256(data));
  }, 10_000);

  it.skipIf(process.platform === "win32")(
    "never has more than PIECE_BYTES_PER_STREAM in flight while pieces come faster than they are hashed",
    async () => {
      const blocker = blockHashWorker();
      const data = randomBytes(3 * PIECE_BYTES_PER_STREAM + 7);
      const hasher = new WorkerSha256({ pieceSize: MiB, label: "plate.exr" });
      let most = 0;
      const full = signal();
      const fed = feed(hasher, data, MiB, () => {
        most = Math.max(most, hasher.inFlightBytes());
        if (hasher.inFlightBytes() >= PIECE_BYTES_PER_STREAM) full.resolve();
      });
      // The worker hashes nothing yet: the reader must now be waiting for a piece to come back.
      await full.promise;
      expect(hasher.inFlightBytes()).toBe(PIECE_BYTES_PER_STREAM);
      await blocker.release();
      await fed;
      expect(await hasher.digest()).toBe(sha256(data));
      expect(most).toBe(PIECE_BYTES_PER_STREAM);
    },
    20_000,
  );

  it.skipIf(process.platform === "win32")(
    "keeps the pieces of all streams together under PIECE_BYTES_PER_PROCESS, each digest right",
    async () => {
      const blocker = blockHashWorker();
      const data = randomBytes(2 * PIECE_BYTES_PER_STREAM);
      const streams = Array.from(
        { length: PIECE_BYTES_PER_PROCESS / PIECE_BYTES_PER_STREAM + 2 },
        (_, i) => new WorkerSha256({ pieceSize: MiB, label: `plate.${i}.exr` }),
      );
      let most = 0;
      const full = signal();
      const fed = streams.map((stream) =>
        feed(stream, data, MiB, () => {
          most = Math.max(most, piecePoolBytes());
          if (piecePoolBytes() >= PIECE_BYTES_PER_PROCESS) full.resolve();
        }),
      );
      await full.promise;
      expect(piecePoolBytes()).toBe(PIECE_BYTES_PER_PROCESS);
      await blocker.release();
      await Promise.all(fed);
      const digests = await Promise.all(streams.map((stream) => stream.digest()));
      expect(digests).toEqual(streams.map(() => sha256(data)));
      expect(most).toBe(PIECE_BYTES_PER_PROCESS);
      expect(piecePoolBytes()).toBe(0);
    },
    30_000,
  );
});
