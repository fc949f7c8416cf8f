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
 * inserted straight into the store's schema (bench/lib/status-catalog.ts).
 * `--store postgres` runs the same on a throwaway PostgreSQL cluster with its
 * default durability (bench/lib/postgres.ts), the page's store then chosen by
 * SITESYNC_STORE_URL as a studio's would be.
 *
 *   node dist-bench/bench/dashboard.js [--sizes 100000] [--calls 50] [--loads 10] [--store sqlite|postgres]
 *                                      [--keep] [--smoke]
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { loadDefaultAnatomy } from "../lib/anatomy/defaults.js";
import { type Context, openContext, STORE_FILE } from "../lib/context.js";
import { startDashboard } from "../lib/dashboard/server.js";
import { serviceToken } from "../lib/service/wake.js";
import type { Store } from "../lib/store/types.js";
import { benchArgs } from "./lib/args.js";
import { type PostgresServer, startBenchPostgres } from "./lib/postgres.js";
import { flushDisk, machineInfo } from "./lib/proc.js";
import { median, percentile, secondsSince, table } from "./lib/runs.js";
import { type CatalogPlace, seedPostgres, seedSqlite } from "./lib/status-catalog.js";
import { withTempDir } from "./lib/tmp.js";
import { openStudio, PROJECT, SITE_ID } from "./studio.js";

const CHROMIUM = process.env.SITESYNC_CHROMIUM ?? "/usr/bin/chromium";

const args = benchArgs({
  sizes: "100000",
  smoke: { sizes: [1000] },
  options: { calls: { type: "string" }, loads: { type: "string" }, store: { type: "string" } },
});
const storeKind = args.text("store", "sqlite");
if (storeKind !== "sqlite" && storeKind !== "postgres") {
  console.error(`--store: "${storeKind}" is not a store this benchmark runs on (sqlite or postgres)`);
  process.exit(2);
}
const calls = args.smoke ? 5 : args.num("calls", 50);
const loads = args.smoke ? 2 : args.num("loads", 10);

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

/** Where the seeded rows go: the bench project's folder and task in `store`. */
async function placeIn(store: Store): Promise<CatalogPlace> {
  const folder = await store.getFolderByPath(PROJECT, "/assets/characters/hero");
  const task = folder && (await store.getTask(PROJECT, folder.id, "lighting"));
  if (!folder || !task) throw new Error("bench project has no folder/task");
  return { project: PROJECT, site: SITE_ID, folderId: folder.id, taskId: task.id };
}

/**
 * The bench home with `size` representations in its store: the home's SQLite
 * file, or (--store postgres) a throwaway cluster that SITESYNC_STORE_URL
 * chooses, the bench project imported there as openStudio imports it.
 */
async function seededHome(
  dir: string,
  size: number,
): Promise<{ home: string; context: Context; server?: PostgresServer }> {
  const home = path.join(dir, "home");
  const seed = await openStudio(home, path.join(dir, "studio"), path.join(dir, "local"));
  const start = performance.now();
  const done = () => {
    console.error(`${size} representations inserted (${storeKind}) in ${secondsSince(start).toFixed(1)} s`);
    flushDisk();
  };
  if (storeKind === "sqlite") {
    const at = await placeIn(seed.store);
    await seed.store.close();
    seedSqlite(path.join(home, STORE_FILE), size, at);
    done();
    return { home, context: await openContext({ home, env: { AYON_SITE_ID: SITE_ID } }) };
  }
  await seed.store.close();
  const server = await startBenchPostgres();
  try {
    const context = await openContext({
      home,
      env: { AYON_SITE_ID: SITE_ID, SITESYNC_STORE_URL: server.url },
    });
    await context.store.importProject({
      name: PROJECT,
      code: "BN",
      anatomy: loadDefaultAnatomy(),
      folders: [{ path: "/assets/characters/hero", tasks: [{ name: "lighting", type: "Lighting" }] }],
    });
    await seedPostgres(server.url, size, await placeIn(context.store));
    done();
    return { home, context, server };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function main(): Promise<void> {
  console.log(machineInfo());
  const rows: Array<Array<string | number>> = [];
  for (const size of args.sizes) {
    await withTempDir("bench-dashboard", args.keep, async (dir) => {
      const { home, context, server } = await seededHome(dir, size);
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
        await server?.stop();
      }
    });
  }
  console.log(
    `\nthe status page's first page of 50 rows (${storeKind} store), ${calls} requests / ${loads} browser loads after one warm-up`,
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
