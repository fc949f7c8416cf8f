/**
 * Issue 11 item 8: a transfer keeps the source's modification time, so AYON's
 * op3 hash (`basename|mtime|size`, lib/publish/hash.ts) of the copy agrees
 * with the source's. Between two local_drive sites, through every way a file
 * is copied here: the small-file worker, the chunked copy, and the hook's
 * clones into the work area.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { cloneFilesAtomic, copyFileAtomic } from "../../lib/fs/atomic-copy.js";
import { op3Hash } from "../../lib/publish/hash.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { tempDir } from "../helpers/tmp.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

/**
 * A modification time whose microseconds `mtimeMs / 1000` (what the copies
 * handed utimes before) does not carry: the copy landed a microsecond early.
 */
const AWKWARD_MTIME = "@1700000000.123457";

/** Sets an exact mtime: `touch` takes nanoseconds, where Node's utimes goes through a double. */
function touchMtime(file: string, when = AWKWARD_MTIME): void {
  execFileSync("touch", ["-m", "-d", when, file]);
}

function op3(file: string): string {
  const s = statSync(file);
  return op3Hash(file, s.mtimeMs, s.size);
}

function expectSameTimes(copy: string, source: string): void {
  expect(statSync(copy, { bigint: true }).mtimeNs).toBe(statSync(source, { bigint: true }).mtimeNs);
  expect(op3(copy)).toBe(op3(source));
}

/** A small file (copied on a worker) and one over 1 MiB (copied in chunks). */
const FILES = { "scene.ma": Buffer.alloc(1536 * 1024, 3), "res/tex/a.png": "small texture" };

describe("transfers keep the source's modification time", () => {
  it("downloads from a local_drive site with the source's mtime and op3 hash", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const { paths } = await studio.publishFiles(FILES);
    const sources = paths.map((p) => fillRootless(p, { work: studio?.studioRoot ?? "" }));
    for (const source of sources) touchMtime(source);
    const report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => [o.job.direction, o.status])).toEqual([
      ["download", "ok"],
      ["download", "ok"],
    ]);
    paths.forEach((p, i) => {
      expectSameTimes(fillRootless(p, { work: studio?.localRoot ?? "" }), sources[i] as string);
    });
  });

  it("uploads to a local_drive site with the source's mtime and op3 hash", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const { paths } = await studio.publishFiles(FILES, { site: "local" });
    const sources = paths.map((p) => fillRootless(p, { work: studio?.localRoot ?? "" }));
    for (const source of sources) touchMtime(source);
    const report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => [o.job.direction, o.status])).toEqual([
      ["upload", "ok"],
      ["upload", "ok"],
    ]);
    paths.forEach((p, i) => {
      expectSameTimes(fillRootless(p, { work: studio?.studioRoot ?? "" }), sources[i] as string);
    });
  });

  it("keeps it in the copies to a temporary name and the clones into the work area", async () => {
    const dir = tempDir();
    const small = path.join(dir, "small.ma");
    const big = path.join(dir, "big.ma");
    writeFileSync(small, "small");
    writeFileSync(big, Buffer.alloc(1536 * 1024, 1));
    touchMtime(small);
    touchMtime(big, "@1700000000.629630");
    mkdirSync(path.join(dir, "out"));
    for (const source of [small, big]) {
      const target = path.join(dir, "out", path.basename(source));
      await copyFileAtomic(source, target);
      expectSameTimes(target, source);
    }
    const clones = [small, big].map((source) => ({
      source,
      target: path.join(dir, "work", path.basename(source)),
    }));
    await cloneFilesAtomic([clones]);
    for (const { source, target } of clones) expectSameTimes(target, source);
  });
});
