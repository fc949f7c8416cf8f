import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { copySmallFile, fsyncFiles, renameFiles, workersForTests } from "../../lib/fs/copy-workers.js";
import { tempDir } from "../helpers/tmp.js";

describe("small-file copies on worker threads", () => {
  it("copies the bytes, keeps the source mtime and returns the size and sha256", async () => {
    const dir = tempDir();
    const source = path.join(dir, "a.png");
    writeFileSync(source, "texture bytes");
    utimesSync(source, 1_700_000_000, 1_700_000_000);
    const result = await copySmallFile(source, path.join(dir, "b.png"), { hash: true, sync: true });
    expect(result).toEqual({ size: 13, hash: createHash("sha256").update("texture bytes").digest("hex") });
    expect(readFileSync(path.join(dir, "b.png"), "utf8")).toBe("texture bytes");
    expect(statSync(path.join(dir, "b.png")).mtimeMs).toBe(1_700_000_000_000);
  });

  it("refuses an existing target and leaves it untouched; a missing source leaves nothing behind", async () => {
    const dir = tempDir();
    const source = path.join(dir, "a.png");
    const target = path.join(dir, "taken.png");
    writeFileSync(source, "new");
    writeFileSync(target, "someone else's");
    await expect(copySmallFile(source, target, { hash: false, sync: true })).rejects.toMatchObject({
      code: "EEXIST",
    });
    expect(readFileSync(target, "utf8")).toBe("someone else's");
    await expect(
      copySmallFile(path.join(dir, "gone.png"), path.join(dir, "out.png"), { hash: false, sync: true }),
    ).rejects.toMatchObject({
      code: "ENOENT",
    });
    expect(() => statSync(path.join(dir, "out.png"))).toThrow();
  });

  it("runs many copies at once", async () => {
    const dir = tempDir();
    const copies = Array.from({ length: 100 }, (_, i) => {
      const source = path.join(dir, `s${i}`);
      writeFileSync(source, `file ${i}`);
      return copySmallFile(source, path.join(dir, `t${i}`), { hash: false, sync: i % 2 === 0 });
    });
    const results = await Promise.all(copies);
    expect(results.map((r) => r.size)).toEqual(Array.from({ length: 100 }, (_, i) => `file ${i}`.length));
    expect(readFileSync(path.join(dir, "t42"), "utf8")).toBe("file 42");
  });

  it("copies files of any size one after another, the worker's read buffer grown and reused", async () => {
    const dir = tempDir();
    // One at a time, so the same worker copies them: larger after smaller, smaller after larger,
    // a size the buffer holds exactly, and one over the small-file limit (a size out of date).
    const sizes = [100 * 1024, 10, 64 * 1024, 1024 * 1024, 3, 1024 * 1024 + 5, 0, 200 * 1024];
    for (const [i, size] of sizes.entries()) {
      const bytes = randomBytes(size);
      const source = path.join(dir, `s${i}`);
      writeFileSync(source, bytes);
      const result = await copySmallFile(source, path.join(dir, `t${i}`), { hash: true, sync: false });
      expect(result).toEqual({ size, hash: createHash("sha256").update(bytes).digest("hex") });
      expect(readFileSync(path.join(dir, `t${i}`)).equals(bytes)).toBe(true);
    }
  });

  it.skipIf(process.platform === "win32")(
    "refuses a source that has more bytes than its size said, leaving no target",
    async () => {
      const dir = tempDir();
      // A FIFO's size is 0 whatever is written to it: a file that grew while it was read.
      const source = path.join(dir, "growing.exr");
      const target = path.join(dir, "copy.exr");
      execFileSync("mkfifo", [source]);
      // Caught now: it may fail before the writer's close resolves.
      const failed = copySmallFile(source, target, { hash: true, sync: true }).then(
        () => undefined,
        (error: Error) => error,
      );
      const writer = await open(source, "w");
      await writer.write(randomBytes(200 * 1024));
      await writer.close();
      expect(await failed).toMatchObject({ code: "ESIZE", message: "the source changed while it was read" });
      expect(existsSync(target)).toBe(false);
    },
  );

  it("fsyncs and renames batches, reporting each item's error in its place", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "a"), "a");
    writeFileSync(path.join(dir, "b"), "b");
    const synced = await fsyncFiles([path.join(dir, "a"), path.join(dir, "missing"), path.join(dir, "b")]);
    expect(synced[0]).toBeNull();
    expect(synced[1]).toMatchObject({ code: "ENOENT" });
    expect(synced[2]).toBeNull();
    const renamed = await renameFiles([
      { from: path.join(dir, "a"), to: path.join(dir, "A") },
      { from: path.join(dir, "nope"), to: path.join(dir, "N") },
      { from: path.join(dir, "b"), to: path.join(dir, "B") },
    ]);
    expect(renamed.map((e) => e?.code ?? null)).toEqual([null, "ENOENT", null]);
    expect(readFileSync(path.join(dir, "A"), "utf8")).toBe("a");
    expect(readFileSync(path.join(dir, "B"), "utf8")).toBe("b");
    expect(await fsyncFiles([])).toEqual([]);
  });

  it.skipIf(process.platform === "win32")(
    "rejects a copy, naming source and target, when its worker is terminated mid-copy; the next copy works",
    async () => {
      const dir = tempDir();
      // A FIFO as the source: the worker is provably mid-copy once it has read what the test wrote.
      const source = path.join(dir, "plate.exr");
      const target = path.join(dir, "copy.exr");
      execFileSync("mkfifo", [source]);
      const copying = copySmallFile(source, target, { hash: true, sync: true });
      const settled = copying.then(
        () => "resolved",
        (error: Error) => error,
      );
      const writer = await open(source, "w");
      // More than a pipe holds: the write ends only once the worker has read most of it.
      await writer.write(randomBytes(1024 * 1024));
      const workers = workersForTests();
      expect(workers.length).toBeGreaterThan(0);
      const stopped = Promise.all(workers.map((worker) => worker.terminate()));
      // The copying worker is blocked reading the FIFO; end of file lets it reach the termination.
      await writer.close();
      await stopped;
      const error = await settled;
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(
        new RegExp(`^copy worker stopped while copying ${source} to ${target}: it exited with code \\d+$`),
      );
      expect(error).toMatchObject({ code: "ERR_WORKER_STOPPED" });
      expect(existsSync(target)).toBe(false);

      writeFileSync(path.join(dir, "next.png"), "next");
      await expect(
        copySmallFile(path.join(dir, "next.png"), path.join(dir, "next-copy.png"), {
          hash: false,
          sync: true,
        }),
      ).resolves.toEqual({ size: 4 });
      expect(readFileSync(path.join(dir, "next-copy.png"), "utf8")).toBe("next");
      expect(workersForTests().some((worker) => workers.includes(worker))).toBe(false);
    },
    10_000,
  );
});
