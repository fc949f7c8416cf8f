import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tempDir } from "../helpers/tmp.js";

/**
 * `sync` on PATH is replaced by a wrapper that logs its arguments and then
 * runs the real one (or fails, to test the fallback). The module keeps
 * whether syncfs works, so each test imports a fresh copy.
 */
function wrapSync(fail: boolean): { log: string } {
  const bin = tempDir("sitesync-bin-");
  const log = path.join(bin, "calls.log");
  const real = "/bin/sync";
  writeFileSync(
    path.join(bin, "sync"),
    `#!/bin/sh\necho "$@" >> "${log}"\n${fail ? "exit 1" : `exec ${real} "$@"`}\n`,
  );
  chmodSync(path.join(bin, "sync"), 0o755);
  vi.stubEnv("PATH", `${bin}:${process.env.PATH ?? ""}`);
  return { log };
}

async function freshDurable() {
  vi.resetModules();
  return import("../../lib/fs/durable.js");
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe.runIf(process.platform === "linux")("flushing written files to disk", () => {
  it("flushes with one syncfs per file system, shared by callers that arrive together", async () => {
    const { log } = wrapSync(false);
    const { flushFiles } = await freshDurable();
    const dir = tempDir();
    const files = Array.from({ length: 40 }, (_, i) => path.join(dir, `f${i}`));
    for (const file of files) writeFileSync(file, "x");
    const results = await Promise.all(files.map((file) => flushFiles([file])));
    expect(results.flat()).toEqual(files.map(() => null));
    const calls = readFileSync(log, "utf8").trim().split("\n");
    // The first caller starts a flush; everyone arriving during it shares the next one.
    expect(calls.length).toBeLessThanOrEqual(2);
    expect(calls[0]).toBe(`-f -- ${dir}`);
  });

  it("makes new names durable with the same shared syncfs, once per file system", async () => {
    const { log } = wrapSync(false);
    const { flushFolders } = await freshDurable();
    const dir = tempDir();
    mkdirSync(path.join(dir, "a"));
    mkdirSync(path.join(dir, "b"));
    await flushFolders([path.join(dir, "a"), path.join(dir, "b"), path.join(dir, "a")]);
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual([`-f -- ${path.join(dir, "a")}`]);
    await flushFolders([]);
    expect(readFileSync(log, "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("falls back to fsync per file when sync -f fails, reporting each file's own error", async () => {
    const { log } = wrapSync(true);
    const { flushFiles, flushFolders } = await freshDurable();
    const dir = tempDir();
    writeFileSync(path.join(dir, "here"), "x");
    const results = await flushFiles([path.join(dir, "here"), path.join(dir, "gone")]);
    expect(results[0]).toBeNull();
    expect(results[1]).toMatchObject({ code: "ENOENT" });
    expect(readFileSync(log, "utf8").trim().split("\n")).toHaveLength(1);
    // Not tried again once it failed; folders are then fsynced one by one.
    await flushFiles([path.join(dir, "here")]);
    await expect(flushFolders([dir])).resolves.toBeUndefined();
    expect(readFileSync(log, "utf8").trim().split("\n")).toHaveLength(1);
  });
});

describe("putting verified downloads in place", () => {
  it("renames flushed temporary files to their final paths and removes those that cannot be placed", async () => {
    const { placeDownloads } = await import("../../lib/engine/transfer.js");
    const dir = tempDir();
    const gone = path.join(dir, "gone");
    writeFileSync(path.join(dir, ".a.part"), "A");
    writeFileSync(path.join(dir, ".b.part"), "B");
    const problems = await placeDownloads([
      { temp: path.join(dir, ".a.part"), final: path.join(dir, "a.ma") },
      { temp: path.join(dir, ".b.part"), final: path.join(gone, "b.ma") },
    ]);
    expect(problems[0]).toBeNull();
    expect(problems[1]).toContain(`cannot put ${path.join(gone, "b.ma")} in place`);
    expect(readFileSync(path.join(dir, "a.ma"), "utf8")).toBe("A");
    expect(existsSync(gone)).toBe(false);
    expect(readdirSync(dir)).toEqual(["a.ma"]);
  });
});
