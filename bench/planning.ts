/**
 * Planning cost on a big catalog: `store.findWork` (the next download batch,
 * limit 50) and `jobsFor` on its result, 200 calls, p50/p95, and the RSS of
 * the process that did it. The catalog (N representations x 10 files, studio
 * OK everywhere, the local site QUEUED on 1% and OK on the rest) is inserted
 * straight into the store's SQLite schema; registerPublish's rate is measured
 * on a sample to show why. Each measurement runs in a fresh child process, so
 * its RSS is that of a process that only opened the store and planned.
 *
 *   node dist-bench/bench/planning.js [--sizes 10000,100000] [--calls 200] [--publish-sample 2000]
 *                                     [--queued-percent 1] [--keep] [--smoke]
 *
 * docs/benchmarks/README.md, "planning", has the method and the results.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { openContext, STORE_FILE } from "../lib/context.js";
import { jobsFor } from "../lib/engine/jobs.js";
import { closePair, resolvePair } from "../lib/engine/pair.js";
import { newId } from "../lib/store/ids.js";
import { SyncStatus } from "../lib/store/status.js";
import { benchArgs } from "./lib/args.js";
import { flushDisk } from "./lib/proc.js";
import { median, percentile, secondsSince, table } from "./lib/runs.js";
import { withTempDir } from "./lib/tmp.js";
import { openStudio, PROJECT, registerTree, SITE_ID, type SourceFile } from "./studio.js";

const FILES = 10;
const VERSIONS_PER_PRODUCT = 100;
const LIMIT = 50; // local_drive's batch limit

const args = benchArgs({
  sizes: "10000,100000",
  smoke: { sizes: [1000] },
  options: {
    calls: { type: "string" },
    "publish-sample": { type: "string" },
    "queued-percent": { type: "string" },
    measure: { type: "string" },
  },
});
const calls = args.smoke ? 20 : args.num("calls", 200);
/** Every n-th representation is QUEUED on the local site (1% by default). */
const queuedEvery = Math.round(100 / args.num("queued-percent", 1));

interface Measured {
  p50: number;
  p95: number;
  first: number;
  jobsP50: number;
  rssMb: number;
  items: number;
  jobs: number;
}

/** Child mode: open the home's store like any command does, plan `calls` times, print the numbers. */
async function measure(home: string): Promise<void> {
  const context = await openContext({ home, env: { AYON_SITE_ID: SITE_ID } });
  const project = await context.store.getProject(PROJECT);
  if (!project) throw new Error(`no project ${PROJECT} in ${home}`);
  const resolved = await resolvePair(project, context.settings, context.siteId, context.platform);
  if (!resolved.ok) throw new Error(`cannot plan: ${resolved.reason}`);
  const query = { localSite: SITE_ID, remoteSite: "studio", direction: "download" as const, limit: LIMIT };
  const find: number[] = [];
  const plan: number[] = [];
  let items = 0;
  let jobs = 0;
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const work = await context.store.findWork(PROJECT, query);
    const t1 = performance.now();
    const planned = jobsFor(resolved.pair, work, "download");
    find.push(t1 - t0);
    plan.push(performance.now() - t1);
    items = work.length;
    jobs = planned.length;
  }
  const result: Measured = {
    p50: median(find),
    p95: percentile(find, 95),
    first: find[0] as number,
    jobsP50: median(plan),
    rssMb: process.memoryUsage().rss / 2 ** 20,
    items,
    jobs,
  };
  await closePair(resolved.pair);
  await context.store.close();
  console.log(JSON.stringify(result));
}

/** A catalog of `count` representations inserted straight into the schema, in 10k-row transactions. */
function bulkInsert(file: string, count: number, folderId: string, taskId: string): void {
  const db = new Database(file);
  db.pragma("synchronous = OFF");
  const product = db.prepare(
    "INSERT INTO products (id, project, folder_id, name, product_type, product_base_type) VALUES (?, ?, ?, ?, 'render', 'render')",
  );
  const version = db.prepare(
    "INSERT INTO versions (id, project, product_id, version, task_id, author, created_at) VALUES (?, ?, ?, ?, ?, 'bench', ?)",
  );
  const representation = db.prepare(
    "INSERT INTO representations (id, project, version_id, name, context) VALUES (?, ?, ?, 'exr', ?)",
  );
  const fileRow = db.prepare(
    "INSERT INTO files (id, representation_id, position, name, path, size, hash, hash_type, sha256) VALUES (?, ?, ?, ?, ?, 16384, ?, 'op3', ?)",
  );
  const state = db.prepare(
    "INSERT INTO sync_state (project, representation_id, site, priority, status, files, updated_at) VALUES (?, ?, ?, 50, ?, ?, ?)",
  );
  const now = Math.floor(Date.now() / 1000);
  const fileState = (fileId: string, status: SyncStatus) => ({
    fileId,
    status,
    size: status === SyncStatus.OK ? 16384 : 0,
    timestamp: now,
    message: null,
    retries: 0,
    progress: status === SyncStatus.OK ? 1 : 0,
  });
  let productId = "";
  const insert = db.transaction((from: number, to: number) => {
    for (let r = from; r < to; r++) {
      const productName = `render${String(Math.floor(r / VERSIONS_PER_PRODUCT)).padStart(5, "0")}`;
      const v = (r % VERSIONS_PER_PRODUCT) + 1;
      if (v === 1) {
        productId = newId();
        product.run(productId, PROJECT, folderId, productName);
      }
      const versionId = newId();
      version.run(versionId, PROJECT, productId, v, taskId, new Date().toISOString());
      const representationId = newId();
      representation.run(representationId, PROJECT, versionId, JSON.stringify({ ext: "exr", version: v }));
      const dir = `{root[work]}/${PROJECT}/assets/characters/hero/publish/render/${productName}/v${String(v).padStart(3, "0")}`;
      const ids: string[] = [];
      for (let f = 0; f < FILES; f++) {
        const id = newId();
        const name = `BN_hero_${productName}_v${String(v).padStart(3, "0")}.${String(f + 1).padStart(4, "0")}.exr`;
        fileRow.run(id, representationId, f, name, `${dir}/${name}`, `${name}|${now}|16384`, randomHex());
        ids.push(id);
      }
      const local = r % queuedEvery === 0 ? SyncStatus.QUEUED : SyncStatus.OK;
      const json = (status: SyncStatus) => JSON.stringify(ids.map((id) => fileState(id, status)));
      state.run(PROJECT, representationId, "studio", SyncStatus.OK, json(SyncStatus.OK), now);
      state.run(PROJECT, representationId, SITE_ID, local, json(local), now);
    }
  });
  for (let from = 0; from < count; from += 10_000) insert(from, Math.min(count, from + 10_000));
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
}

function randomHex(): string {
  return randomBytes(32).toString("hex");
}

/** Publishes per second through store.registerPublish (10 files each, studio OK / local QUEUED). */
async function registerPublishRate(sample: number): Promise<number> {
  return withTempDir("bench-publish", false, async (dir) => {
    const context = await openStudio(path.join(dir, "home"), "/nonexistent/studio", "/nonexistent/local");
    const tree: SourceFile[][] = Array.from({ length: sample }, (_, r) =>
      Array.from({ length: FILES }, (_, f) => ({
        relPath: `${PROJECT}/assets/characters/hero/publish/render/render${r}/v001/f${f}.exr`,
        size: 16384,
        sha256: randomHex(),
        hash: `f${f}.exr|0|16384`,
      })),
    );
    const start = performance.now();
    await registerTree(context, tree);
    const rate = sample / secondsSince(start);
    await context.store.close();
    return rate;
  });
}

async function main(): Promise<void> {
  const sample = args.smoke ? 100 : args.num("publish-sample", 2000);
  const rate = await registerPublishRate(sample);
  console.log(
    `registerPublish: ${rate.toFixed(0)} publishes/s (${sample} x ${FILES} files), ` +
      `so 100k representations would take ${(100_000 / rate).toFixed(0)} s; bulk SQL insert used instead`,
  );
  const rows: Array<Array<string | number>> = [];
  for (const size of args.sizes) {
    await withTempDir("bench-plan", args.keep, async (dir) => {
      const home = path.join(dir, "home");
      const context = await openStudio(home, path.join(dir, "studio"), path.join(dir, "local"));
      const folder = await context.store.getFolderByPath(PROJECT, "/assets/characters/hero");
      const task = folder && (await context.store.getTask(PROJECT, folder.id, "lighting"));
      await context.store.close();
      if (!folder || !task) throw new Error("bench project has no folder/task");
      const start = performance.now();
      bulkInsert(path.join(home, STORE_FILE), size, folder.id, task.id);
      const built = secondsSince(start);
      flushDisk(); // the measurement should not share the disk with the writeback of the new store
      const script = fileURLToPath(import.meta.url);
      const out = execFileSync(process.execPath, [script, "--measure", home, "--calls", String(calls)], {
        encoding: "utf8",
      });
      const m = JSON.parse(out) as Measured;
      const queued = Math.ceil(size / queuedEvery);
      const wanted = Math.min(LIMIT, queued);
      if (m.items !== wanted || m.jobs !== wanted * FILES)
        throw new Error(
          `findWork returned ${m.items} items / ${m.jobs} jobs, expected ${wanted} / ${wanted * FILES}`,
        );
      const mb = statSync(path.join(home, STORE_FILE)).size / 2 ** 20;
      rows.push([
        size,
        size * FILES,
        queued,
        mb.toFixed(0),
        built.toFixed(1),
        m.first.toFixed(1),
        m.p50.toFixed(2),
        m.p95.toFixed(2),
        m.jobsP50.toFixed(2),
        m.rssMb.toFixed(0),
      ]);
      console.error(
        `${size} representations: findWork p50 ${m.p50.toFixed(2)} ms, RSS ${m.rssMb.toFixed(0)} MB`,
      );
    });
  }
  console.log(`\nfindWork(download, limit ${LIMIT}) + jobsFor, ${calls} calls in a fresh process per size`);
  console.log(
    table(
      [
        "representations",
        "files",
        "queued",
        "store MB",
        "insert s",
        "1st findWork ms",
        "findWork p50 ms",
        "findWork p95 ms",
        "jobsFor p50 ms",
        "RSS MB",
      ],
      rows,
    ),
  );
  console.log("goals: findWork p50 <= 20 ms, RSS <= 300 MB");
  if (args.smoke) console.log("planning smoke: OK (findWork and jobsFor planned the queued work)");
}

const measureHome = args.text("measure");
if (measureHome) await measure(measureHome);
else await main();
