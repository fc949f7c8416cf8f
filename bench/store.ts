/**
 * The PostgreSQL store against the embedded SQLite store, in one run, on the
 * same catalog (issue 13): the next-batch query (`findWork(upload, limit 50)`
 * with and without `claimFor`) p50/p99, and single-file state writes per
 * second (`changeSiteStates` with one file, as the engine's recorder writes a
 * file's start and its result), sequential and with 16 callers (the engine's
 * 16 transfer slots).
 *
 * The catalog (N representations x 10 files; studio OK everywhere, the
 * backup site OK on most and QUEUED on a few percent with priorities 1-99) is
 * inserted straight into both schemas (SQLite: prepared inserts in one
 * transaction per chunk; PostgreSQL: multi-row `INSERT ... SELECT FROM
 * unnest(...)`), then everything measured goes through the Store interface.
 * PostgreSQL runs a throwaway cluster with its default durability (fsync,
 * synchronous_commit, full_page_writes on; bench/lib/postgres.ts); SQLite
 * runs as the store opens it (WAL, synchronous=NORMAL). State writes are also
 * measured on PostgreSQL with synchronous_commit off, the guarantee of
 * SQLite's WAL + NORMAL (consistent after a crash, the last commits may be
 * lost).
 *
 *   node dist-bench/bench/store.js [--sizes 10000,100000] [--calls 200] [--updates 1000]
 *                                  [--callers 16] [--queued-percent 3] [--keep] [--smoke]
 *
 * docs/benchmarks/store.md has the method and the results.
 */
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { loadDefaultAnatomy } from "../lib/anatomy/index.js";
import { newId } from "../lib/store/ids.js";
import { openPostgresStore } from "../lib/store/postgres/index.js";
import { openSqliteStore } from "../lib/store/sqlite/index.js";
import { SyncStatus } from "../lib/store/status.js";
import type { Store, WorkQuery } from "../lib/store/types.js";
import { benchArgs } from "./lib/args.js";
import { durability, type PostgresServer, startBenchPostgres } from "./lib/postgres.js";
import { flushDisk, machineInfo } from "./lib/proc.js";
import { median, percentile, secondsSince, table } from "./lib/runs.js";
import { withTempDir } from "./lib/tmp.js";

const PROJECT = "Bench";
const FOLDER = "/assets/characters/hero";
const FILES = 10;
const FILE_SIZE = 16384;
const VERSIONS_PER_PRODUCT = 100;
const LIMIT = 50; // local_drive's batch limit
const CHUNK = 5000; // representations per seeding transaction
const HAVE = "studio";
const WANT = "backup";
const WARMUP = 5;

const args = benchArgs({
  sizes: "10000,100000",
  smoke: { sizes: [1000] },
  options: {
    calls: { type: "string" },
    updates: { type: "string" },
    callers: { type: "string" },
    "queued-percent": { type: "string" },
  },
});
const calls = args.smoke ? 20 : args.num("calls", 200);
/** Files written per series (each file: one IN_PROGRESS write, then one OK write). */
const updateFiles = args.smoke ? 40 : args.num("updates", 1000) / 2;
const callers = args.num("callers", 16);
const queuedFraction = args.num("queued-percent", 3) / 100;

/** Small deterministic PRNG (mulberry32): every store and every run gets the same queue. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rows {
  products: Array<[string, string]>; // id, name
  versions: Array<[string, string, number]>; // id, product id, version
  representations: Array<[string, string, string]>; // id, version id, context
  files: Array<[string, string, number, string, string, string, string]>; // id, rep, position, name, path, hash, sha256
  states: Array<[string, string, number, number, string]>; // rep, site, priority, status, files json
}

/** Written-to later by the state-write series: representations OK on both sites (not in the queue). */
interface Sample {
  representationId: string;
  fileIds: string[];
}

/** The catalog, a chunk of representations at a time, the same for both stores. */
function* catalog(count: number, sampleSize: number, sample: Sample[]): Generator<Rows> {
  const random = prng(13);
  const now = Math.floor(Date.now() / 1000);
  const fileState = (fileId: string, status: SyncStatus) => ({
    fileId,
    status,
    size: status === SyncStatus.OK ? FILE_SIZE : 0,
    timestamp: now,
    message: null,
    retries: 0,
    progress: status === SyncStatus.OK ? 1 : 0,
  });
  let productId = "";
  for (let from = 0; from < count; from += CHUNK) {
    const rows: Rows = { products: [], versions: [], representations: [], files: [], states: [] };
    for (let r = from; r < Math.min(count, from + CHUNK); r++) {
      const productName = `render${String(Math.floor(r / VERSIONS_PER_PRODUCT)).padStart(5, "0")}`;
      const v = (r % VERSIONS_PER_PRODUCT) + 1;
      if (v === 1) {
        productId = newId();
        rows.products.push([productId, productName]);
      }
      const versionId = newId();
      rows.versions.push([versionId, productId, v]);
      const representationId = newId();
      rows.representations.push([representationId, versionId, JSON.stringify({ ext: "exr", version: v })]);
      const dir = `{root[work]}/${PROJECT}/assets/characters/hero/publish/render/${productName}/v${String(v).padStart(3, "0")}`;
      const ids: string[] = [];
      for (let f = 0; f < FILES; f++) {
        const id = newId();
        const name = `BN_hero_${productName}_v${String(v).padStart(3, "0")}.${String(f + 1).padStart(4, "0")}.exr`;
        rows.files.push([
          id,
          representationId,
          f,
          name,
          `${dir}/${name}`,
          `${name}|${now}|${FILE_SIZE}`,
          randomBytes(32).toString("hex"),
        ]);
        ids.push(id);
      }
      const queued = random() < queuedFraction;
      const priority = queued ? 1 + Math.floor(random() * 99) : 50;
      const json = (status: SyncStatus) => JSON.stringify(ids.map((id) => fileState(id, status)));
      rows.states.push([representationId, HAVE, 50, SyncStatus.OK, json(SyncStatus.OK)]);
      const want = queued ? SyncStatus.QUEUED : SyncStatus.OK;
      rows.states.push([representationId, WANT, priority, want, json(want)]);
      if (!queued && sample.length < sampleSize) sample.push({ representationId, fileIds: ids });
    }
    yield rows;
  }
}

/** Prepared inserts into the SQLite schema, one transaction per chunk (synchronous off while seeding). */
function sqliteSeeder(file: string, folderId: string, taskId: string) {
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
    `INSERT INTO files (id, representation_id, position, name, path, size, hash, hash_type, sha256) VALUES (?, ?, ?, ?, ?, ${FILE_SIZE}, ?, 'op3', ?)`,
  );
  const state = db.prepare(
    "INSERT INTO sync_state (project, representation_id, site, priority, status, files, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const now = Math.floor(Date.now() / 1000);
  const created = new Date().toISOString();
  const insert = db.transaction((rows: Rows) => {
    for (const [id, name] of rows.products) product.run(id, PROJECT, folderId, name);
    for (const [id, productId, v] of rows.versions) version.run(id, PROJECT, productId, v, taskId, created);
    for (const [id, versionId, context] of rows.representations)
      representation.run(id, PROJECT, versionId, context);
    for (const f of rows.files) fileRow.run(...f);
    for (const [rep, site, priority, status, files] of rows.states)
      state.run(PROJECT, rep, site, priority, status, files, now);
  });
  return {
    insert: (rows: Rows) => insert(rows),
    close: () => {
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
    },
  };
}

/** Multi-row inserts into the PostgreSQL schema (unnest of one array per column), one transaction per chunk. */
function postgresSeeder(url: string, folderId: string, taskId: string) {
  const client = new pg.Client({ connectionString: url });
  const connected = client.connect();
  const now = Math.floor(Date.now() / 1000);
  const created = new Date().toISOString();
  const col = <T>(rows: T[][], i: number) => rows.map((r) => r[i]);
  return {
    async insert(rows: Rows): Promise<void> {
      await connected;
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO products (id, project, folder_id, name, product_type, product_base_type)
         SELECT id, $1, $2, name, 'render', 'render' FROM unnest($3::text[], $4::text[]) AS t(id, name)`,
        [PROJECT, folderId, col(rows.products, 0), col(rows.products, 1)],
      );
      await client.query(
        `INSERT INTO versions (id, project, product_id, version, task_id, author, created_at)
         SELECT id, $1, product_id, v, $2, 'bench', $3
         FROM unnest($4::text[], $5::text[], $6::int[]) AS t(id, product_id, v)`,
        [PROJECT, taskId, created, col(rows.versions, 0), col(rows.versions, 1), col(rows.versions, 2)],
      );
      await client.query(
        `INSERT INTO representations (id, project, version_id, name, context)
         SELECT id, $1, version_id, 'exr', context::jsonb
         FROM unnest($2::text[], $3::text[], $4::text[]) AS t(id, version_id, context)`,
        [PROJECT, col(rows.representations, 0), col(rows.representations, 1), col(rows.representations, 2)],
      );
      await client.query(
        `INSERT INTO files (id, representation_id, position, name, path, size, hash, hash_type, sha256)
         SELECT id, rep, pos, name, path, ${FILE_SIZE}, hash, 'op3', sha
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS t(id, rep, pos, name, path, hash, sha)`,
        [0, 1, 2, 3, 4, 5, 6].map((i) => col(rows.files, i)),
      );
      await client.query(
        `INSERT INTO sync_state (project, representation_id, site, priority, status, files, updated_at)
         SELECT $1, rep, site, priority, status, files::jsonb, $2
         FROM unnest($3::text[], $4::text[], $5::int[], $6::int[], $7::text[])
           AS t(rep, site, priority, status, files)`,
        [PROJECT, now, ...[0, 1, 2, 3, 4].map((i) => col(rows.states, i))],
      );
      await client.query("COMMIT");
    },
    /** VACUUM ANALYZE (what autovacuum does to a table this size soon after), then the database's size. */
    async close(): Promise<number> {
      await connected;
      await client.query("VACUUM ANALYZE");
      const { rows } = await client.query<{ bytes: string }>(
        "SELECT pg_database_size(current_database()) AS bytes",
      );
      await client.end();
      return Number(rows[0]?.bytes ?? 0);
    },
  };
}

async function importBenchProject(store: Store): Promise<{ folderId: string; taskId: string }> {
  await store.importProject({
    name: PROJECT,
    code: "BN",
    anatomy: loadDefaultAnatomy(),
    folders: [{ path: FOLDER, tasks: [{ name: "lighting", type: "Lighting" }] }],
  });
  const folder = await store.getFolderByPath(PROJECT, FOLDER);
  const task = folder && (await store.getTask(PROJECT, folder.id, "lighting"));
  if (!folder || !task) throw new Error("bench project has no folder/task");
  return { folderId: folder.id, taskId: task.id };
}

interface Stores {
  sqlite: Store;
  postgres: Store;
  sqliteFile: string;
  pgUrl: string;
  queued: number;
  sample: Sample[];
  seedSeconds: { sqlite: number; postgres: number };
  mb: { sqlite: number; postgres: number };
}

/** Both stores with the same catalog of `size` representations. */
async function seed(server: PostgresServer, dir: string, size: number): Promise<Stores> {
  const sqliteFile = path.join(dir, "sitesync.db");
  const pgUrl = await server.newDatabase();
  const lite = openSqliteStore(sqliteFile);
  const liteIds = await importBenchProject(lite);
  await lite.close();
  const pgStore = await openPostgresStore({ url: pgUrl, source: "bench" });
  const pgIds = await importBenchProject(pgStore);
  await pgStore.close();

  const sample: Sample[] = [];
  const liteSeed = sqliteSeeder(sqliteFile, liteIds.folderId, liteIds.taskId);
  const pgSeed = postgresSeeder(pgUrl, pgIds.folderId, pgIds.taskId);
  let queued = 0;
  const seconds = { sqlite: 0, postgres: 0 };
  for (const rows of catalog(size, Math.ceil((updateFiles * 6) / FILES) + 1, sample)) {
    queued += rows.states.filter(
      ([, site, , status]) => site === WANT && status === SyncStatus.QUEUED,
    ).length;
    let start = performance.now();
    liteSeed.insert(rows);
    seconds.sqlite += secondsSince(start);
    start = performance.now();
    await pgSeed.insert(rows);
    seconds.postgres += secondsSince(start);
  }
  let start = performance.now();
  liteSeed.close();
  seconds.sqlite += secondsSince(start);
  start = performance.now();
  const pgBytes = await pgSeed.close();
  seconds.postgres += secondsSince(start);
  flushDisk(); // the measurements should not share the disk with the seeding's writeback
  const liteBytes = ["", "-wal"]
    .map((s) => `${sqliteFile}${s}`)
    .filter((f) => existsSync(f))
    .reduce((sum, f) => sum + statSync(f).size, 0);
  return {
    sqlite: openSqliteStore(sqliteFile),
    postgres: await openPostgresStore({ url: pgUrl, source: "bench" }),
    sqliteFile,
    pgUrl,
    queued,
    sample,
    seedSeconds: seconds,
    mb: { sqlite: liteBytes / 2 ** 20, postgres: pgBytes / 2 ** 20 },
  };
}

type Series = Record<string, number[]>;

/**
 * `calls` next-batch queries per store and kind (with and without claimFor),
 * interleaved in a rotating order; the claims a call takes are released
 * (untimed) before the next, so every call sees the same queue.
 */
async function nextBatch(stores: Stores): Promise<Series> {
  const query: WorkQuery = { localSite: HAVE, remoteSite: WANT, direction: "upload", limit: LIMIT };
  const wanted = Math.min(LIMIT, stores.queued);
  const contenders: Record<string, (i: number) => Promise<number>> = {};
  for (const [name, store] of [
    ["postgres", stores.postgres],
    ["sqlite", stores.sqlite],
  ] as const) {
    contenders[`${name} claimFor`] = async (i) => {
      const owner = `bench-${name}-${i}`;
      const start = performance.now();
      const items = await store.findWork(PROJECT, { ...query, claimFor: { owner, leaseMs: 60_000 } });
      const ms = performance.now() - start;
      const claimed = items.reduce((sum, item) => sum + (item.claimed?.length ?? 0), 0);
      if (items.length !== wanted || claimed !== wanted * FILES)
        throw new Error(`${name}: findWork returned ${items.length} items, ${claimed} files claimed`);
      await store.releaseClaims(owner);
      return ms;
    };
    contenders[`${name} plain`] = async () => {
      const start = performance.now();
      const items = await store.findWork(PROJECT, query);
      const ms = performance.now() - start;
      if (items.length !== wanted) throw new Error(`${name}: findWork returned ${items.length} items`);
      return ms;
    };
  }
  const names = Object.keys(contenders);
  const series: Series = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = -WARMUP; i < calls; i++) {
    const shift = ((i % names.length) + names.length) % names.length;
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
      const ms = await (contenders[name] as (i: number) => Promise<number>)(i);
      if (i >= 0) series[name]?.push(ms);
    }
  }
  return series;
}

interface UpdateResult {
  store: string;
  durability: string;
  callers: number;
  updates: number;
  seconds: number;
}

/**
 * Each file of `files` written twice through `changeSiteStates`, one file per
 * call, as the recorder writes a transfer's start (IN_PROGRESS) and its
 * result (OK, size, progress 1); `parallel` callers take files in order from
 * one list, representation by representation, as the engine's slots take jobs.
 */
async function stateWrites(store: Store, files: Array<[string, string]>, parallel: number): Promise<number> {
  let next = 0;
  const write = (representationId: string, fileId: string, status: SyncStatus) =>
    store.changeSiteStates(PROJECT, [
      {
        op: "set",
        representationId,
        site: WANT,
        options: {
          files: [
            status === SyncStatus.OK
              ? { fileId, status, size: FILE_SIZE, progress: 1 }
              : { fileId, status, size: 0, retries: 0, progress: 0 },
          ],
        },
      },
    ]);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < files.length) {
        const [rep, file] = files[next++] as [string, string];
        await write(rep, file, SyncStatus.IN_PROGRESS);
        await write(rep, file, SyncStatus.OK);
      }
    }),
  );
  return secondsSince(start);
}

async function updates(stores: Stores): Promise<UpdateResult[]> {
  const all = stores.sample.flatMap((s) => s.fileIds.map((f): [string, string] => [s.representationId, f]));
  let taken = 0;
  const take = () => {
    const files = all.slice(taken, taken + updateFiles);
    taken += updateFiles;
    if (files.length < updateFiles) throw new Error("not enough sample files for the state writes");
    return files;
  };
  // The same database with synchronous_commit off for the sessions of a second store (SQLite
  // WAL + NORMAL's guarantee): set in the startup packet, so the first store's sessions keep it on.
  const asyncUrl = `${stores.pgUrl}?options=${encodeURIComponent("-c synchronous_commit=off")}`;
  const pgAsync = await openPostgresStore({ url: asyncUrl, source: "bench" });
  if ((await durability(asyncUrl)).synchronous_commit !== "off")
    throw new Error("synchronous_commit is not off");
  if ((await durability(stores.pgUrl)).synchronous_commit !== "on")
    throw new Error("synchronous_commit is not on");
  const contenders: Array<[string, string, Store]> = [
    ["sqlite", "WAL, synchronous=NORMAL", stores.sqlite],
    ["postgres", "fsync on, synchronous_commit on", stores.postgres],
    ["postgres", "fsync on, synchronous_commit off", pgAsync],
  ];
  const out: UpdateResult[] = [];
  try {
    for (const parallel of [1, callers]) {
      for (const [name, how, store] of contenders) {
        const files = take();
        const seconds = await stateWrites(store, files, parallel);
        out.push({ store: name, durability: how, callers: parallel, updates: files.length * 2, seconds });
        console.error(
          `  ${name} (${how}), ${parallel} caller(s): ${((files.length * 2) / seconds).toFixed(0)} writes/s`,
        );
      }
    }
  } finally {
    await pgAsync.close();
  }
  // Check a written record: every sampled file the series wrote is OK.
  const [first] = stores.sample;
  if (first) {
    for (const store of [stores.sqlite, stores.postgres]) {
      const [state] = await store.getSiteStates(PROJECT, [first.representationId], [WANT]);
      if (state?.status !== SyncStatus.OK) throw new Error("a written record is not OK");
    }
  }
  return out;
}

async function main(): Promise<void> {
  console.log(`machine: ${machineInfo()}`);
  const server = await startBenchPostgres();
  const batchRows: Array<Array<string | number>> = [];
  const updateRows: Array<Array<string | number>> = [];
  const seedRows: Array<Array<string | number>> = [];
  try {
    const settings = await durability(server.url);
    console.log(
      `PostgreSQL ${settings.server_version} on 127.0.0.1 (TCP): fsync=${settings.fsync}, ` +
        `synchronous_commit=${settings.synchronous_commit}, full_page_writes=${settings.full_page_writes}, ` +
        `shared_buffers=${settings.shared_buffers}; SQLite: WAL, synchronous=NORMAL, 64 MiB page cache`,
    );
    for (const size of args.sizes) {
      await withTempDir("bench-store", args.keep, async (dir) => {
        console.error(`${size} representations: seeding both stores`);
        const stores = await seed(server, dir, size);
        try {
          seedRows.push([
            size,
            size * FILES,
            stores.queued,
            stores.seedSeconds.sqlite.toFixed(1),
            stores.mb.sqlite.toFixed(0),
            stores.seedSeconds.postgres.toFixed(1),
            stores.mb.postgres.toFixed(0),
          ]);
          console.error(
            `  seeded: SQLite ${stores.seedSeconds.sqlite.toFixed(1)} s, PostgreSQL ${stores.seedSeconds.postgres.toFixed(1)} s; ${stores.queued} queued`,
          );
          const series = await nextBatch(stores);
          for (const [name, values] of Object.entries(series)) {
            batchRows.push([
              size,
              stores.queued,
              name,
              values.length,
              median(values).toFixed(2),
              percentile(values, 99).toFixed(2),
              Math.max(...values).toFixed(2),
            ]);
            console.error(
              `  findWork ${name}: p50 ${median(values).toFixed(2)} ms, p99 ${percentile(values, 99).toFixed(2)} ms`,
            );
          }
          for (const u of await updates(stores)) {
            updateRows.push([
              size,
              u.store,
              u.durability,
              u.callers,
              u.updates,
              u.seconds.toFixed(2),
              (u.updates / u.seconds).toFixed(0),
            ]);
          }
        } finally {
          await stores.sqlite.close();
          await stores.postgres.close();
        }
      });
    }
  } finally {
    await server.stop();
  }
  console.log(`\nseeding (bulk inserts, not through the Store interface), ${FILES} files per representation`);
  console.log(
    table(
      ["representations", "files", "queued", "SQLite s", "SQLite MB", "PostgreSQL s", "PostgreSQL MB"],
      seedRows,
    ),
  );
  console.log(
    `\nnext batch: findWork(upload, limit ${LIMIT}), ${calls} calls per store and kind, interleaved (${WARMUP} warm-up rounds dropped)`,
  );
  console.log(
    table(["representations", "queued", "store, kind", "calls", "p50 ms", "p99 ms", "max ms"], batchRows),
  );
  console.log("\nstate writes: changeSiteStates of one file per call (IN_PROGRESS, then OK)");
  console.log(
    table(["representations", "store", "durability", "callers", "writes", "s", "writes/s"], updateRows),
  );
  console.log("goal: next batch p50 <= 20 ms");
  if (args.smoke)
    console.log("store smoke: OK (both stores seeded, batches claimed and released, states written)");
}

await main();
