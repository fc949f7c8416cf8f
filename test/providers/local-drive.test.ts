import { createHash, randomBytes } from "node:crypto";
import { truncateSync, writeFileSync } from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PathError, ProviderError } from "../../lib/errors.js";
import { checkCopiedSize } from "../../lib/fs/atomic-copy.js";
import { localDriveError, localDriveFactory } from "../../providers/local-drive.js";
import type { SiteProvider } from "../../providers/provider.js";

const MiB = 1024 * 1024;
let tmp: string;
let drive: SiteProvider;

beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sitesync-local-drive-"));
  drive = localDriveFactory.create({ siteName: "studio", config: {}, roots: { work: tmp } });
});

afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function writeRandom(file: string, size: number): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, randomBytes(size));
}

async function partials(dir: string): Promise<string[]> {
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith(".part"));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

describe("local_drive copy (upload and download)", () => {
  it("copies a 0-byte file and reports its completion once", async () => {
    const src = path.join(tmp, "empty.txt");
    await fsp.writeFile(src, "");
    const calls: Array<[number, number]> = [];
    const dst = path.join(tmp, "out", "empty.txt");
    await drive.download(src, dst, { onProgress: (t, n) => calls.push([t, n]) });
    expect((await fsp.stat(dst)).size).toBe(0);
    expect(calls).toEqual([[0, 0]]);
  });

  it("creates the target's missing parent folders", async () => {
    const src = path.join(tmp, "a.txt");
    await fsp.writeFile(src, "hello");
    const dst = path.join(tmp, "x", "y", "z", "a.txt");
    await drive.upload(src, dst);
    expect(await fsp.readFile(dst, "utf8")).toBe("hello");
  });

  it("keeps the source mtime on the copy (AYON's op3 hash is basename|mtime|size)", async () => {
    const src = path.join(tmp, "a.txt");
    await fsp.writeFile(src, "hello");
    await fsp.utimes(src, new Date("2021-03-04T05:06:07.123Z"), new Date("2020-01-02T03:04:05.678Z"));
    const dst = path.join(tmp, "b", "a.txt");
    await drive.upload(src, dst);
    const [a, b] = await Promise.all([fsp.stat(src, { bigint: true }), fsp.stat(dst, { bigint: true })]);
    // Node's utimes keeps microseconds.
    expect(b.mtimeNs / 1000n).toBe(a.mtimeNs / 1000n);
  });

  it("refuses at rename time when the target appears during the copy", async () => {
    const src = path.join(tmp, "a.bin");
    const dst = path.join(tmp, "out", "a.bin");
    await writeRandom(src, 4 * MiB);
    let planted = false;
    const error = await rejection(
      drive.upload(src, dst, {
        onProgress: () => {
          if (planted) return;
          planted = true;
          // Another writer creates the file while our copy is still streaming.
          writeFileSync(dst, "someone else");
        },
      }),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    expect(await fsp.readFile(dst, "utf8")).toBe("someone else");
    expect(await partials(path.dirname(dst))).toEqual([]);
  });

  it("fails permanently, naming the site and the path, when the source is missing", async () => {
    const src = path.join(tmp, "nope.ma");
    const error = await rejection(drive.download(src, path.join(tmp, "out", "nope.ma")));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as Error).message).toBe(`${src} is missing on site studio`);
    expect(await partials(path.join(tmp, "out"))).toEqual([]);
    const upload = await rejection(
      drive.upload(src, path.join(tmp, "out", "nope.ma"), { direct: true, sizeHint: 5 }),
    );
    expect((upload as ProviderError).retryable).toBe(false);
    expect((upload as Error).message).toBe(
      `${src} is missing on this machine, so it cannot be uploaded to site studio`,
    );
  });

  it("fails the size check and removes the temp file when the source shrinks during the copy", async () => {
    const src = path.join(tmp, "shrinking.bin");
    const dst = path.join(tmp, "out", "shrinking.bin");
    await writeRandom(src, 16 * MiB);
    let truncated = false;
    const error = await rejection(
      drive.upload(src, dst, {
        onProgress: () => {
          if (truncated) return;
          truncated = true;
          truncateSync(src, 8 * MiB);
        },
      }),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(/wrote \d+ bytes but the source has 16777216/);
    expect(await drive.stat(dst)).toBeNull();
    expect(await partials(path.join(tmp, "out"))).toEqual([]);
  });

  it("passes an error thrown by the progress callback through and cleans up", async () => {
    const src = path.join(tmp, "a.bin");
    await writeRandom(src, 2 * MiB);
    const boom = new Error("boom");
    const error = await rejection(
      drive.upload(src, path.join(tmp, "b.bin"), {
        onProgress: () => {
          throw boom;
        },
      }),
    );
    expect(error).toBe(boom);
    expect(await partials(tmp)).toEqual([]);
    expect(await drive.stat(path.join(tmp, "b.bin"))).toBeNull();
  });

  it("rejects relative paths instead of resolving them against the working directory", async () => {
    await expect(drive.upload("a.txt", path.join(tmp, "b.txt"))).rejects.toBeInstanceOf(PathError);
    await expect(drive.stat("relative/x")).rejects.toBeInstanceOf(PathError);
  });
});

describe("checkCopiedSize", () => {
  it("accepts equal sizes and throws a retryable ProviderError naming both paths otherwise", () => {
    expect(() => checkCopiedSize(10, 10, "/a", "/b")).not.toThrow();
    // lib/fs throws a Node-style error (code ESIZE); local_drive reports it as this ProviderError.
    const error = (() => {
      try {
        checkCopiedSize(9, 10, "/src/a", "/dst/b");
      } catch (e) {
        return localDriveError(e);
      }
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(true);
    expect((error as Error).message).toContain("/src/a");
    expect((error as Error).message).toContain("/dst/b");
  });
});

describe("local_drive file operations", () => {
  it("renames into a folder that does not exist yet, making it", async () => {
    const a = path.join(tmp, "a.txt");
    const b = path.join(tmp, "sub", "b.txt");
    await fsp.writeFile(a, "A");
    await drive.rename(a, b);
    expect(await fsp.readFile(b, "utf8")).toBe("A");
    expect(await drive.stat(a)).toBeNull();
  });

  it("returns the sha256 of the bytes it wrote when asked, computed during the copy", async () => {
    const src = path.join(tmp, "h-src.bin");
    await fsp.writeFile(src, "abc");
    expect(await drive.upload(src, path.join(tmp, "h-dst.bin"), { hash: "sha256" })).toEqual({
      size: 3,
      hash: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    });
    expect(await drive.upload(src, path.join(tmp, "h-dst2.bin"))).toEqual({ size: 3 });
  });

  it("hashes a file of several chunks on the way, with and without a temporary name of its own", async () => {
    const src = path.join(tmp, "big-src.bin");
    const data = randomBytes(3 * 1024 * 1024 + 123);
    await fsp.writeFile(src, data);
    const expected = createHash("sha256").update(data).digest("hex");
    for (const [name, options] of [
      ["big-a.bin", {}],
      ["big-b.bin", { direct: true, deferSync: true, sizeHint: data.length }],
    ] as const) {
      const progress: number[] = [];
      const result = await drive.download(src, path.join(tmp, name), {
        ...options,
        hash: "sha256",
        onProgress: (done) => progress.push(done),
      });
      expect(result).toEqual({ size: data.length, hash: expected });
      expect((await fsp.readFile(path.join(tmp, name))).equals(data)).toBe(true);
      expect(progress.length).toBeGreaterThanOrEqual(4);
      expect(progress.at(-1)).toBe(data.length);
    }
  });

  it("hashes with sha256 only, and fails for a missing file", async () => {
    const file = path.join(tmp, "h.txt");
    await fsp.writeFile(file, "abc");
    expect(await drive.hash?.(file, "sha256")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(await drive.hash?.(file, "md5")).toBeNull();
    await expect(drive.hash?.(path.join(tmp, "none"), "sha256")).rejects.toThrow(ProviderError);
  });
});

describe("local_drive site", () => {
  it("declares the upstream batch limit, sha256 and paths on this machine", () => {
    expect(drive.kind).toBe("local_drive");
    expect(drive.capabilities).toEqual({ hashes: ["sha256"], onThisMachine: true });
    expect(localDriveFactory.batchLimit).toBe(50);
  });

  it("is inactive, naming the root, when a root value is empty", async () => {
    const site = localDriveFactory.create({
      siteName: "local",
      config: {},
      roots: { work: tmp, render: " " },
    });
    const check = await site.isActive();
    expect(check.active).toBe(false);
    if (!check.active) expect(check.reason).toContain('"render"');
  });

  it("is inactive when the site has no roots at all", async () => {
    const site = localDriveFactory.create({ siteName: "local", config: {}, roots: {} });
    expect(await site.isActive()).toEqual({ active: false, reason: 'site "local" has no roots set' });
  });
});
