/**
 * One contract, one suite (rclone's `fstest/fstests`): the `SiteProvider`
 * contract of providers/provider.ts and providers/README.md ("Rules for a
 * provider"), checked the same way against every provider in `HARNESSES`
 * (test/providers/harnesses.ts). The tests use the provider's own methods to
 * look at the site, so they hold for a remote store as for a local folder.
 * What is a provider's own (host keys, pools, temporary names, precision of
 * times) stays in that provider's tests.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../lib/errors.js";
import type { SiteProvider, TransferOptions } from "../../providers/provider.js";
import { tempDir } from "../helpers/tmp.js";
import { HARNESSES } from "./harnesses.js";

const MiB = 1024 * 1024;

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

/**
 * The rejection of a transfer that was aborted: it must come promptly, so a
 * transfer that never settles fails here, saying so, instead of timing out.
 */
async function abortRejection(promise: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("the transfer did not settle within 10 s of the abort")),
      10_000,
    );
  });
  try {
    return await Promise.race([rejection(promise), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failure retrying cannot fix: a ProviderError with `retryable: false`, its message naming `mentions`. */
async function expectPermanent(promise: Promise<unknown>, mentions: string): Promise<ProviderError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ProviderError);
  expect((error as ProviderError).retryable).toBe(false);
  expect((error as Error).message).toContain(mentions);
  return error as ProviderError;
}

const NAMED = HARNESSES.map((harness) => ({
  ...harness,
  name: harness.variant ? `${harness.kind} (${harness.variant})` : harness.kind,
}));

describe.each(NAMED)("$name provider conformance", (harness) => {
  let site: SiteProvider;
  /** A fresh folder on the site for this test (not made yet). */
  let dir: string;
  /** A fresh folder on this machine for this test. */
  let here: string;
  /** Where files put on the site or read back from it through the provider stay on this machine. */
  let scratch: string;
  let count = 0;

  beforeAll(() => harness.start(), 60_000);
  afterAll(() => harness.stop());

  beforeEach(() => {
    site = harness.create();
    count += 1;
    dir = harness.join(harness.root(), `t${count}`);
    here = tempDir("sitesync-conformance-here-");
    scratch = tempDir("sitesync-conformance-scratch-");
  });

  afterEach(async () => {
    await site.close?.();
  });

  const at = (...parts: string[]) => harness.join(dir, ...parts);
  const local = (name: string) => path.join(here, name);
  /** A file on this machine with `size` random bytes. */
  function localFile(name: string, size: number): { file: string; data: Buffer } {
    const data = randomBytes(size);
    writeFileSync(local(name), data);
    return { file: local(name), data };
  }
  /** A file on the site, put there through the provider. */
  async function siteFile(name: string, data: Buffer | string): Promise<string> {
    const source = path.join(scratch, `seed-${name}`);
    writeFileSync(source, data);
    await site.mkdirs(dir);
    await site.upload(source, at(name));
    return at(name);
  }
  async function siteBytes(remote: string): Promise<Buffer> {
    const copy = path.join(scratch, `read-${randomBytes(4).toString("hex")}`);
    await site.download(remote, copy);
    return readFileSync(copy);
  }

  describe("stat, list, mkdirs, remove", () => {
    it("stats a file's size and time and a folder, and answers null for a missing path or one under a file", async () => {
      const before = Date.now();
      const file = await siteFile("f.txt", "12345");
      const found = await site.stat(file);
      expect(found).toMatchObject({ size: 5, isDirectory: false });
      expect(found?.mtimeMs).toBeTypeOf("number");
      expect(await site.stat(dir)).toMatchObject({ isDirectory: true });
      expect(await site.stat(at("missing"))).toBeNull();
      expect(await site.stat(at("missing", "deeper"))).toBeNull();
      expect(await site.stat(harness.join(file, "under-a-file"))).toBeNull();
      // The time of the upload's source, made just now.
      expect(Math.abs((found?.mtimeMs ?? 0) - before)).toBeLessThan(60_000);
    });

    it("lists the names (not paths) of a folder's entries, sorted, and [] for a missing folder", async () => {
      await siteFile("b.txt", "b");
      await site.mkdirs(at("a"));
      await siteFile("c.bin", "");
      expect(await site.list(dir)).toEqual(["a", "b.txt", "c.bin"]);
      expect(await site.list(at("a"))).toEqual([]);
      expect(await site.list(at("missing"))).toEqual([]);
      expect(await site.list(at("missing", "deeper"))).toEqual([]);
    });

    it("makes a folder and its parents, and accepts one that exists", async () => {
      const deep = at("a", "b", "c");
      await site.mkdirs(deep);
      await site.mkdirs(deep);
      await site.mkdirs(at("a"));
      expect(await site.stat(deep)).toMatchObject({ isDirectory: true });
      expect(await site.list(at("a"))).toEqual(["b"]);
    });

    it("refuses, permanently, to make a folder where a file is", async () => {
      const file = await siteFile("f.txt", "x");
      await expectPermanent(site.mkdirs(harness.join(file, "sub")), "f.txt");
      expect(await siteBytes(file)).toEqual(Buffer.from("x"));
    });

    it("removes a file, keeps its folder, and succeeds for a missing file", async () => {
      const file = await siteFile("f.txt", "x");
      await siteFile("g.txt", "y");
      await site.remove(file);
      expect(await site.stat(file)).toBeNull();
      expect(await site.list(dir)).toEqual(["g.txt"]);
      await expect(site.remove(file)).resolves.toBeUndefined();
      await expect(site.remove(at("never", "was.txt"))).resolves.toBeUndefined();
    });
  });

  describe("upload and download", () => {
    it("round-trips a file of several MiB byte for byte, reporting the size written", async () => {
      const { file, data } = localFile("big.bin", 3 * MiB + 17);
      await site.mkdirs(dir);
      const put = await site.upload(file, at("big.bin"));
      if (put.size !== undefined) expect(put.size).toBe(data.length);
      expect(await site.stat(at("big.bin"))).toMatchObject({ size: data.length, isDirectory: false });
      const got = await site.download(at("big.bin"), local("back.bin"));
      if (got.size !== undefined) expect(got.size).toBe(data.length);
      expect(readFileSync(local("back.bin")).equals(data)).toBe(true);
      expect(await site.list(dir)).toEqual(["big.bin"]);
      expect(readdirSync(here).sort()).toEqual(["back.bin", "big.bin"]);
    });

    it("copies a 0-byte file both ways", async () => {
      writeFileSync(local("empty"), "");
      await site.mkdirs(dir);
      await site.upload(local("empty"), at("empty"));
      expect(await site.stat(at("empty"))).toMatchObject({ size: 0, isDirectory: false });
      await site.download(at("empty"), local("empty-back"));
      expect(readFileSync(local("empty-back")).length).toBe(0);
    });

    it("computes each hash of `capabilities.hashes` of the bytes moved, when asked, both ways", async () => {
      const { file, data } = localFile("h.bin", 2 * MiB + 5);
      await site.mkdirs(dir);
      const expected = sha256(data);
      for (const algorithm of site.capabilities.hashes) {
        expect(algorithm).toBe("sha256"); // the only one these tests know how to check
        const put = await site.upload(file, at(`h-${algorithm}`), { hash: algorithm });
        expect(put.hash).toBe(expected);
        const got = await site.download(at(`h-${algorithm}`), local(`h-${algorithm}`), { hash: algorithm });
        expect(got.hash).toBe(expected);
        if (site.hash) expect(await site.hash(at(`h-${algorithm}`), algorithm)).toBe(expected);
      }
      // Not asked, not reported.
      expect((await site.upload(file, at("plain"))).hash).toBeUndefined();
    });

    it("gives the copy the source's modification time, to the second, both ways (AYON's op3 hash)", async () => {
      writeFileSync(local("t.txt"), "time");
      const then = new Date("2020-01-02T03:04:05.000Z");
      utimesSync(local("t.txt"), then, then);
      await site.mkdirs(dir);
      await site.upload(local("t.txt"), at("t.txt"));
      expect(Math.floor((await site.stat(at("t.txt")))?.mtimeMs ?? 0)).toBe(then.getTime());
      await site.download(at("t.txt"), local("t-back.txt"));
      expect(Math.floor(statSync(local("t-back.txt")).mtimeMs / 1000)).toBe(then.getTime() / 1000);
    });

    it("reports progress as bytes move, rising, against the source's size, ending at the whole file", async () => {
      const size = 3 * MiB + 17;
      const { file } = localFile("p.bin", size);
      await site.mkdirs(dir);
      for (const move of [
        (options: TransferOptions) => site.upload(file, at("p.bin"), options),
        (options: TransferOptions) => site.download(at("p.bin"), local("p-back.bin"), options),
      ]) {
        const calls: Array<[number, number]> = [];
        await move({ onProgress: (done, total) => calls.push([done, total]) });
        expect(calls.length).toBeGreaterThan(1);
        expect(calls.at(-1)).toEqual([size, size]);
        for (const [i, [done, total]] of calls.entries()) {
          expect(total).toBe(size);
          if (i > 0) expect(done).toBeGreaterThan(calls[i - 1]?.[0] ?? 0);
        }
      }
    });

    it("writes in place with `direct` (a fresh name in an existing folder, as the engine asks), small and large", async () => {
      await site.mkdirs(dir);
      const [algorithm] = site.capabilities.hashes;
      const sizes = [0, 1000, 3 * MiB + 17];
      for (const size of sizes) {
        const { file, data } = localFile(`d${size}`, size);
        const hash = algorithm ? { hash: algorithm } : {};
        const put = await site.upload(file, at(`.d${size}.part`), { direct: true, sizeHint: size, ...hash });
        if (put.size !== undefined) expect(put.size).toBe(size);
        if (algorithm) expect(put.hash).toBe(sha256(data));
        await site.rename(at(`.d${size}.part`), at(`d${size}`));
        const back = local(`.back${size}.part`);
        const got = await site.download(at(`d${size}`), back, {
          direct: true,
          deferSync: true,
          sizeHint: size,
          ...hash,
        });
        if (got.size !== undefined) expect(got.size).toBe(size);
        if (algorithm) expect(got.hash).toBe(sha256(data));
        expect(readFileSync(back).equals(data)).toBe(true);
      }
      expect(await site.list(dir)).toEqual(sizes.map((size) => `d${size}`).sort());
    });

    it("refuses an existing target without overwrite, permanently, naming it and leaving it as it was", async () => {
      const target = await siteFile("t.txt", "old on the site");
      writeFileSync(local("new.txt"), "new");
      await expectPermanent(site.upload(local("new.txt"), target), target);
      expect(await siteBytes(target)).toEqual(Buffer.from("old on the site"));
      expect(await site.list(dir)).toEqual(["t.txt"]);

      writeFileSync(local("here.txt"), "old here");
      const before = readdirSync(here).sort();
      await expectPermanent(site.download(target, local("here.txt")), local("here.txt"));
      expect(readFileSync(local("here.txt"), "utf8")).toBe("old here");
      expect(readdirSync(here).sort()).toEqual(before);
    });

    it("replaces an existing (longer) target with overwrite, both ways", async () => {
      const target = await siteFile("t.txt", "older and longer on the site");
      writeFileSync(local("new.txt"), "new");
      await site.upload(local("new.txt"), target, { overwrite: true });
      expect(await siteBytes(target)).toEqual(Buffer.from("new"));
      expect(await site.list(dir)).toEqual(["t.txt"]);

      writeFileSync(local("here.txt"), "older and longer here");
      await site.download(target, local("here.txt"), { overwrite: true });
      expect(readFileSync(local("here.txt"), "utf8")).toBe("new");
    });

    it("fails permanently for a missing source, naming the path and the site, and writes nothing", async () => {
      await site.mkdirs(dir);
      const gone = local("gone.ma");
      const up = await expectPermanent(site.upload(gone, at("gone.ma")), gone);
      expect(up.message).toContain(site.siteName);
      expect(await site.list(dir)).toEqual([]);

      const down = await expectPermanent(site.download(at("gone.ma"), local("got.ma")), at("gone.ma"));
      expect(down.message).toContain(site.siteName);
      expect(readdirSync(here)).toEqual([]);
    });

    it("does not start with an already aborted signal, and writes nothing", async () => {
      const { file } = localFile("a.bin", 1000);
      const target = await siteFile("there.bin", "x");
      await site.remove(target);
      for (const error of [
        await rejection(site.upload(file, at("a.bin"), { signal: AbortSignal.abort() })),
        await rejection(site.download(at("there.bin"), local("b.bin"), { signal: AbortSignal.abort() })),
      ]) {
        expect((error as Error).name).toBe("AbortError");
      }
      expect(await site.list(dir)).toEqual([]);
      expect(readdirSync(here)).toEqual(["a.bin"]);
    });

    it("stops an upload promptly on abort, rethrowing the abort, and leaves nothing behind on the site", async () => {
      const size = 32 * MiB;
      const { file, data } = localFile("huge.bin", size);
      await site.mkdirs(dir);
      const controller = new AbortController();
      let last = 0;
      const error = await abortRejection(
        site.upload(file, at("huge.bin"), {
          signal: controller.signal,
          onProgress: (done) => {
            last = done;
            controller.abort();
          },
        }),
      );
      expect((error as Error).name).toBe("AbortError");
      expect(last).toBeLessThan(size);
      expect(await site.list(dir)).toEqual([]);
      // The provider still works after an abort.
      await site.upload(file, at("huge.bin"));
      expect((await site.stat(at("huge.bin")))?.size).toBe(data.length);
    });

    it("stops a download promptly on abort, rethrowing the abort, and leaves nothing behind here", async () => {
      const size = 32 * MiB;
      const { file } = localFile("huge.bin", size);
      await site.mkdirs(dir);
      await site.upload(file, at("huge.bin"));
      const controller = new AbortController();
      let last = 0;
      const error = await abortRejection(
        site.download(at("huge.bin"), local("got.bin"), {
          signal: controller.signal,
          onProgress: (done) => {
            last = done;
            controller.abort();
          },
        }),
      );
      expect((error as Error).name).toBe("AbortError");
      expect(last).toBeLessThan(size);
      expect(readdirSync(here)).toEqual(["huge.bin"]);
      // The provider still works after an abort.
      await site.download(at("huge.bin"), local("got.bin"));
      expect(readFileSync(local("got.bin")).length).toBe(size);
    });
  });

  describe("rename", () => {
    it("moves a file within the site", async () => {
      const from = await siteFile("a.txt", "A");
      await site.mkdirs(at("sub"));
      await site.rename(from, at("sub", "b.txt"));
      expect(await site.stat(from)).toBeNull();
      expect(await siteBytes(at("sub", "b.txt"))).toEqual(Buffer.from("A"));
      expect(await site.list(dir)).toEqual(["sub"]);
    });

    it("refuses an existing target without overwrite, permanently, naming it; replaces it with overwrite", async () => {
      const from = await siteFile("a.txt", "new");
      const to = await siteFile("b.txt", "old and longer");
      await expectPermanent(site.rename(from, to), to);
      expect(await siteBytes(to)).toEqual(Buffer.from("old and longer"));
      expect(await siteBytes(from)).toEqual(Buffer.from("new"));

      await site.rename(from, to, { overwrite: true });
      expect(await siteBytes(to)).toEqual(Buffer.from("new"));
      expect(await site.list(dir)).toEqual(["b.txt"]);
    });

    it("fails with a ProviderError naming a missing source", async () => {
      await site.mkdirs(dir);
      const error = await rejection(site.rename(at("ghost"), at("x")));
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as Error).message).toContain(at("ghost"));
      expect(await site.list(dir)).toEqual([]);
    });
  });

  // Only a store this suite can take down (a server) has an outage to test: no skipped test elsewhere.
  const outageTests = harness.outage ? describe : () => undefined;
  outageTests("errors", () => {
    it("fails retryably while its store is unreachable, says why from isActive, and works again after", async () => {
      const outage = harness.outage as NonNullable<typeof harness.outage>;
      const file = await siteFile("f.txt", "before");
      writeFileSync(local("up.txt"), "up");
      await outage.begin();
      try {
        // Each awaited at once: a provider may fail them in any order, and an unawaited rejection is a test error.
        const failures = [
          site.stat(file),
          site.list(dir),
          site.upload(local("up.txt"), at("up.txt")),
          site.download(file, local("down.txt")),
        ].map((attempt) => rejection(attempt));
        for (const error of await Promise.all(failures)) {
          expect(error).toBeInstanceOf(ProviderError);
          expect((error as ProviderError).retryable).toBe(true);
        }
        const check = await site.isActive();
        expect(check.active).toBe(false);
        if (!check.active) expect(check.reason).not.toBe("");
      } finally {
        await outage.end();
      }
      expect(await site.isActive()).toEqual({ active: true });
      expect(await siteBytes(file)).toEqual(Buffer.from("before"));
      expect(readdirSync(here)).toEqual(["up.txt"]);
    });
  });

  describe("the site", () => {
    it("answers isActive, and returns its roots", async () => {
      expect(await site.isActive()).toEqual({ active: true });
      expect(site.rootPaths()).toEqual({ work: harness.root() });
      expect(site.siteName).toBe("conformance");
      expect(site.kind).toBe(harness.kind);
    });
  });
});
