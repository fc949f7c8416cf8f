/**
 * The engine's batch uploads (docs/architecture.md "Batch uploads"), through
 * runJobs with real files and a provider whose batches stage into a folder
 * and place by rename: a representation's small uploads go in batches, large
 * ones alone; a file the batch could not stage or place goes alone and still
 * lands; a file that fails verification is never placed by the batch and
 * fails as it would alone; nothing is left staged.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BATCH_MAX_FILES, unitsOf } from "../../lib/engine/batch.js";
import { StateRecorder } from "../../lib/engine/recorder.js";
import { runJobs } from "../../lib/engine/runner.js";
import type { FileJob, FileOutcome } from "../../lib/engine/types.js";
import { ProviderError } from "../../lib/errors.js";
import type { ProjectSites } from "../../lib/settings/sites.js";
import type { Store } from "../../lib/store/types.js";
import { localDriveFactory } from "../../providers/local-drive.js";
import type { BatchFile, SiteProvider, StagedBatch } from "../../providers/provider.js";
import { tempDir } from "../helpers/tmp.js";

const store = { changeSiteStates: async () => ({ conflicts: [], written: 0 }) } as unknown as Store;
const sites = { sites: new Map([["vendor", { alternativeSites: [] }]]) } as unknown as ProjectSites;

interface Faults {
  /** Site paths the batch does not stage (as if rclone could not copy them). */
  notStaged?: Set<string>;
  /** Site paths whose staged copy is truncated by one byte. */
  truncated?: Set<string>;
  /** Site paths `place` does not move. */
  notPlaced?: Set<string>;
}

/** local_drive plus batches: staged under `<root>/.stage-N/`, placed by rename. */
function batchingSite(root: string, faults: Faults = {}) {
  const base = localDriveFactory.create({ siteName: "vendor", config: {}, roots: { work: root } });
  const calls = { batches: [] as number[], uploads: 0 };
  let n = 0;
  const site: SiteProvider = {
    kind: base.kind,
    siteName: base.siteName,
    capabilities: { ...base.capabilities, batchFilesBelow: 1000 },
    isActive: () => base.isActive(),
    rootPaths: () => base.rootPaths(),
    stat: (p) => base.stat(p),
    list: (d) => base.list(d),
    mkdirs: (d) => base.mkdirs(d),
    upload: (from, to, options) => {
      calls.uploads += 1;
      return base.upload(from, to, options);
    },
    download: (from, to, options) => base.download(from, to, options),
    rename: (from, to, options) => base.rename(from, to, options),
    remove: (p) => base.remove(p),
    uploadBatch: async (files: readonly BatchFile[]): Promise<StagedBatch> => {
      calls.batches.push(files.length);
      const stage = path.join(root, `.stage-${n++}`);
      const staged = files.map((file, i) => {
        if (faults.notStaged?.has(file.sitePath)) return { error: new ProviderError("not copied", true) };
        const copy = path.join(stage, String(i));
        mkdirSync(stage, { recursive: true });
        const bytes = readFileSync(file.localPath);
        writeFileSync(copy, faults.truncated?.has(file.sitePath) ? bytes.subarray(1) : bytes);
        const written = readFileSync(copy);
        return { size: written.length, hash: createHash("sha256").update(written).digest("hex") };
      });
      return {
        files: staged,
        place: async (indexes) => {
          const problems = indexes.map((i) => {
            const file = files[i] as BatchFile;
            if (faults.notPlaced?.has(file.sitePath)) return new ProviderError("not moved", true);
            mkdirSync(path.dirname(file.sitePath), { recursive: true });
            renameSync(path.join(stage, String(i)), file.sitePath);
            return null;
          });
          rmSync(stage, { recursive: true, force: true });
          return problems;
        },
        discard: async () => rmSync(stage, { recursive: true, force: true }),
      };
    },
  };
  return { site, calls };
}

/** Upload jobs of representation `rep`: files of `sizes` bytes, here and where they go. */
function uploads(here: string, there: string, rep: string, sizes: number[]): FileJob[] {
  return sizes.map((size, i) => {
    const name = `${rep}.${1001 + i}.exr`;
    const localPath = path.join(here, rep, name);
    mkdirSync(path.dirname(localPath), { recursive: true });
    const bytes = Buffer.alloc(size, i + 1);
    writeFileSync(localPath, bytes);
    return {
      project: "Proj",
      representationId: rep,
      file: {
        id: `${rep}-${i}`,
        name,
        path: `{root[work]}/${rep}/${name}`,
        size,
        hash: "h",
        hashType: "op3",
        sha256: createHash("sha256").update(bytes).digest("hex"),
      },
      direction: "upload",
      targetSite: "vendor",
      sourceSite: "artist",
      localPath,
      remotePath: path.join(there, rep, name),
      retries: 0,
    };
  });
}

async function run(jobs: FileJob[], site: SiteProvider): Promise<FileOutcome[]> {
  return runJobs(jobs, {
    recorder: new StateRecorder(store, sites),
    remoteProvider: site,
    retryCnt: 2,
    retryBaseMs: 1,
    concurrency: 4,
    leaseMs: 30_000,
    claimsShared: false,
    signal: new AbortController().signal,
    emit: () => undefined,
  });
}

describe("batch uploads through the engine", () => {
  it("sends each representation's small files in batches and large ones alone", async () => {
    const here = tempDir();
    const there = tempDir();
    const jobs = [...uploads(here, there, "a", [10, 20, 30, 5000]), ...uploads(here, there, "b", [1, 2])];
    const { site, calls } = batchingSite(there);
    const outcomes = await run(jobs, site);
    expect(outcomes.map((o) => o.status)).toEqual(jobs.map(() => "ok"));
    expect(calls.batches.sort()).toEqual([2, 3]);
    expect(calls.uploads).toBe(1);
    for (const job of jobs)
      expect(readFileSync(job.remotePath).equals(readFileSync(job.localPath))).toBe(true);
    expect(readdirSync(there).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("sends a file the batch could not stage or place alone, and it lands", async () => {
    const here = tempDir();
    const there = tempDir();
    const jobs = uploads(here, there, "a", [10, 20, 30, 40]);
    const { site, calls } = batchingSite(there, {
      notStaged: new Set([jobs[1]?.remotePath as string]),
      notPlaced: new Set([jobs[2]?.remotePath as string]),
    });
    const outcomes = await run(jobs, site);
    expect(outcomes.map((o) => o.status)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(calls.batches).toEqual([4]);
    expect(calls.uploads).toBe(2);
    for (const job of jobs)
      expect(readFileSync(job.remotePath).equals(readFileSync(job.localPath))).toBe(true);
  });

  it("never places a copy that fails verification; that file fails as it would alone", async () => {
    const here = tempDir();
    const there = tempDir();
    const jobs = uploads(here, there, "a", [10, 20]);
    // The source changed since the publish: the batch's copy and the file's own attempt both differ.
    writeFileSync(jobs[1]?.localPath as string, "changed since the publish");
    const { site } = batchingSite(there);
    const outcomes = await run(jobs, site);
    expect(outcomes[0]?.status).toBe("ok");
    expect(outcomes[1]).toMatchObject({ status: "failed" });
    expect((outcomes[1] as { message: string }).message).toContain("differs from the publish");
    expect(existsSync(jobs[1]?.remotePath as string)).toBe(false);

    const truncated = uploads(tempDir(), there, "c", [10, 20]);
    const faulty = batchingSite(there, { truncated: new Set([truncated[0]?.remotePath as string]) });
    const again = await run(truncated, faulty.site);
    // The truncated staged copy was not placed; the file's own upload then moved it whole.
    expect(again.map((o) => o.status)).toEqual(["ok", "ok"]);
    expect(faulty.calls.uploads).toBe(1);
    expect(readFileSync(truncated[0]?.remotePath as string).length).toBe(10);
  });

  it("cuts a representation's batches at BATCH_MAX_FILES, and never batches downloads or resumed uploads", () => {
    const { site } = batchingSite(tempDir());
    const many = Array.from({ length: BATCH_MAX_FILES + 1 }, (_, i) => ({
      representationId: "a",
      direction: "upload",
      file: { size: 1 },
      n: i,
    })) as unknown as FileJob[];
    expect(unitsOf(many, site).map((u) => u.length)).toEqual([BATCH_MAX_FILES, 1]);
    const mixed = [
      { representationId: "a", direction: "download", file: { size: 1 } },
      { representationId: "a", direction: "upload", file: { size: 1 }, resume: { temp: "t", token: "x" } },
      { representationId: "a", direction: "upload", file: { size: 1 } },
    ] as unknown as FileJob[];
    expect(unitsOf(mixed, site)).toEqual([[0], [1], [2]]);
  });
});
