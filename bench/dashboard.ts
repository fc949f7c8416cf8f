/**
 * The status page on a big catalog (issue 17): the first page of 50 rows with
 * 100,000 representations in the store, served by `startDashboard` (the same
 * server `sitesync dashboard` and the service run), p50/p95 of the whole
 * request on loopback (page: GET /, fragment: GET /table, and the status query
 * behind them alone); and the browser's DOMContentLoaded for that page in
 * Debian's headless Chromium (playwright-core), read from the page's own
 * navigation timing.
 *
 * The catalog (N representations x 10 files; studio OK everywhere; the local
 * site OK on most, QUEUED on 1 in 50, FAILED with a message on 1 in 200) is
 * inserted straight into the SQLite schema in 10k-row transactions, as
 * bench/planning.ts does: registerPublish would take minutes.
 *
 *   node dist-bench/bench/dashboard.js [--sizes 100000] [--calls 50] [--loads 10] [--keep] [--smoke]
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { chromium } from "playwright-core";
import { openContext, STORE_FILE } from "../lib/context.js";
import { startDashboard } from "../lib/dashboard/server.js";
import { serviceToken } from "../lib/service/wake.js";
import { newId } from "../lib/store/ids.js";
import { SyncStatus } from "../lib/store/status.js";
import { benchArgs } from "./lib/args.js";
import { flushDisk, machineInfo } from "./lib/proc.js";
import { median, percentile, secondsSince, table } from "./lib/runs.js";
import { withTempDir } from "./lib/tmp.js";
import { openStudio, PROJECT, SITE_ID } from "./studio.js";

const FILES = 10;
const VERSIONS_PER_PRODUCT = 100;
const CHROMIUM = process.env.SITESYNC_CHROMIUM ?? "/usr/bin/chromium";

const args = benchArgs({
  sizes: "100000",
  smoke: { sizes: [1000] },
  options: { calls: { type: "string" }, loads: { type: "string" } },
});
const calls = args.smoke ? 5 : args.num("calls", 50);
const loads = args.smoke ? 2 : args.num("loads", 10);

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
    message: status === SyncStatus.FAILED ? "sftp: connection reset by peer (bench)" : null,
    retries: status === SyncStatus.FAILED ? 3 : 0,
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
        const hex = randomBytes(32).toString("hex");
        fileRow.run(id, representationId, f, name, `${dir}/${name}`, `${name}|${now}|16384`, hex);
        ids.push(id);
      }
      const local = r % 200 === 0 ? SyncStatus.FAILED : r % 50 === 0 ? SyncStatus.QUEUED : SyncStatus.OK;
      const json = (status: SyncStatus) => JSON.stringify(ids.map((id) => fileState(id, status)));
      state.run(PROJECT, representationId, "studio", SyncStatus.OK, json(SyncStatus.OK), now);
      state.run(PROJECT, representationId, SITE_ID, local, json(local), now);
    }
  });
  for (let from = 0; from < count; from += 10_000) insert(from, Math.min(count, from + 10_000));
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
}

async function timed(n: number, work: () => Promise<void>): Promise<number[]> {
  await work(); // warm: the first read pulls the pages into the cache
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await work();
    times.push(performance.now() - t0);
  }
  return times;
}

async function main(): Promise<void> {
  console.log(machineInfo());
  const rows: Array<Array<string | number>> = [];
  for (const size of args.sizes) {
    await withTempDir("bench-dashboard", args.keep, async (dir) => {
      const home = path.join(dir, "home");
      const seed = await openStudio(home, path.join(dir, "studio"), path.join(dir, "local"));
      const folder = await seed.store.getFolderByPath(PROJECT, "/assets/characters/hero");
      const task = folder && (await seed.store.getTask(PROJECT, folder.id, "lighting"));
      await seed.store.close();
      if (!folder || !task) throw new Error("bench project has no folder/task");
      const start = performance.now();
      bulkInsert(path.join(home, STORE_FILE), size, folder.id, task.id);
      console.error(`${size} representations inserted in ${secondsSince(start).toFixed(1)} s`);
      flushDisk();
      const context = await openContext({ home, env: { AYON_SITE_ID: SITE_ID } });
      const token = serviceToken(home);
      const dashboard = await startDashboard({ context, token, port: 0, wake: async () => undefined });
      const cookie = `sitesync_dashboard_${dashboard.port}=${token}`;
      try {
        const get = async (route: string) => {
          const response = await fetch(`${dashboard.origin}${route}`, { headers: { cookie } });
          const body = await response.text();
          if (response.status !== 200)
            throw new Error(`${route}: HTTP ${response.status}: ${body.slice(0, 500)}`);
          const shown = body.match(/<tr data-id=/g)?.length ?? 0;
          if (shown !== Math.min(50, size))
            throw new Error(`${route}: ${shown} rows, expected ${Math.min(50, size)}`);
        };
        const query = { localSite: SITE_ID, remoteSite: "studio" };
        const statusQuery = await timed(calls, async () => {
          await Promise.all([
            context.store.queryState(PROJECT, { ...query, sortBy: "folder", page: 1, pageLength: 50 }),
            context.store.countState(PROJECT, query),
          ]);
        });
        const pageTimes = await timed(calls, () => get(`/?project=${PROJECT}`));
        const fragmentTimes = await timed(calls, () => get(`/table?project=${PROJECT}`));
        const failedFirst = await timed(calls, () =>
          get(`/?project=${PROJECT}&sort=localStatus&desc=1&page=2`),
        );
        const dcl = existsSync(CHROMIUM) ? await browserLoads(dashboard.url, dashboard.origin) : undefined;
        if (!dcl) console.log(`no Chromium at ${CHROMIUM}: the browser's DOMContentLoaded is not measured`);
        const ms = (values: number[] | undefined, p: number) =>
          values ? (p === 50 ? median(values) : percentile(values, p)).toFixed(1) : "-";
        rows.push(
          [size, "status query (queryState + countState)", ms(statusQuery, 50), ms(statusQuery, 95)],
          [size, "GET / (page, 50 rows)", ms(pageTimes, 50), ms(pageTimes, 95)],
          [size, "GET /table (live refresh)", ms(fragmentTimes, 50), ms(fragmentTimes, 95)],
          [size, "GET / sorted by local status, page 2", ms(failedFirst, 50), ms(failedFirst, 95)],
          [size, "Chromium DOMContentLoaded", ms(dcl, 50), ms(dcl, 95)],
        );
      } finally {
        await dashboard.close();
        await context.store.close();
      }
    });
  }
  console.log(
    `\nthe status page's first page of 50 rows, ${calls} requests / ${loads} browser loads after one warm-up`,
  );
  console.log(table(["representations", "what", "p50 ms", "p95 ms"], rows));
  console.log("goals: GET / p50 <= 100 ms (server side); DOMContentLoaded p50 <= 1000 ms");
  if (args.smoke) console.log("dashboard smoke: OK (the page served its first 50 rows)");
}

/** DOMContentLoaded of the page, from the browser's navigation timing, `loads` times after a warm-up. */
async function browserLoads(url: string, origin: string): Promise<number[]> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto(url); // the token for the cookie, and a warm cache of the assets
    const times: number[] = [];
    for (let i = 0; i < loads; i++) {
      await page.goto(`${origin}/?project=${PROJECT}`, { waitUntil: "domcontentloaded" });
      const dcl = await page.evaluate(() => {
        const [nav] = performance.getEntriesByType("navigation") as PerformanceNavigationTiming[];
        return nav ? nav.domContentLoadedEventEnd - nav.startTime : Number.NaN;
      });
      times.push(dcl);
    }
    return times;
  } finally {
    await browser.close();
  }
}

await main();
