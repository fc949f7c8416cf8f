/**
 * The status page benchmark's catalog (bench/dashboard.ts): N representations
 * x 10 files in one folder, studio OK everywhere, the artist's site OK on
 * most, QUEUED on 1 in 50 and FAILED with a message on 1 in 200, inserted
 * straight into a store's schema in chunks of 10,000 representations
 * (registerPublish would take minutes): SQLite with prepared inserts, one
 * transaction per chunk; PostgreSQL with multi-row `INSERT ... SELECT FROM
 * unnest(...)`, as bench/store.ts seeds it. Both schemas' triggers keep the
 * status query's tables as the rows go in.
 */
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import { newId } from "../../lib/store/ids.js";
import { SyncStatus } from "../../lib/store/status.js";

const FILES = 10;
const FILE_SIZE = 16384;
const VERSIONS_PER_PRODUCT = 100;
const CHUNK = 10_000;

interface Chunk {
  products: Array<[string, string]>;
  versions: Array<[string, string, number]>;
  representations: Array<[string, string, string]>;
  files: Array<[string, string, number, string, string, string, string]>;
  states: Array<[string, string, number, string]>;
}

function* chunks(count: number, project: string, site: string): Generator<Chunk> {
  const now = Math.floor(Date.now() / 1000);
  const fileState = (fileId: string, status: SyncStatus) => ({
    fileId,
    status,
    size: status === SyncStatus.OK ? FILE_SIZE : 0,
    timestamp: now,
    message: status === SyncStatus.FAILED ? "sftp: connection reset by peer (bench)" : null,
    retries: status === SyncStatus.FAILED ? 3 : 0,
    progress: status === SyncStatus.OK ? 1 : 0,
  });
  let productId = "";
  for (let from = 0; from < count; from += CHUNK) {
    const chunk: Chunk = { products: [], versions: [], representations: [], files: [], states: [] };
    for (let r = from; r < Math.min(count, from + CHUNK); r++) {
      const productName = `render${String(Math.floor(r / VERSIONS_PER_PRODUCT)).padStart(5, "0")}`;
      const v = (r % VERSIONS_PER_PRODUCT) + 1;
      if (v === 1) {
        productId = newId();
        chunk.products.push([productId, productName]);
      }
      const versionId = newId();
      chunk.versions.push([versionId, productId, v]);
      const representationId = newId();
      chunk.representations.push([representationId, versionId, JSON.stringify({ ext: "exr", version: v })]);
      const dir = `{root[work]}/${project}/assets/characters/hero/publish/render/${productName}/v${String(v).padStart(3, "0")}`;
      const ids: string[] = [];
      for (let f = 0; f < FILES; f++) {
        const id = newId();
        const name = `BN_hero_${productName}_v${String(v).padStart(3, "0")}.${String(f + 1).padStart(4, "0")}.exr`;
        const hash = `${name}|${now}|${FILE_SIZE}`;
        chunk.files.push([
          id,
          representationId,
          f,
          name,
          `${dir}/${name}`,
          hash,
          randomBytes(32).toString("hex"),
        ]);
        ids.push(id);
      }
      const local = r % 200 === 0 ? SyncStatus.FAILED : r % 50 === 0 ? SyncStatus.QUEUED : SyncStatus.OK;
      const json = (status: SyncStatus) => JSON.stringify(ids.map((id) => fileState(id, status)));
      chunk.states.push([representationId, "studio", SyncStatus.OK, json(SyncStatus.OK)]);
      chunk.states.push([representationId, site, local, json(local)]);
    }
    yield chunk;
  }
}

export interface CatalogPlace {
  project: string;
  /** The artist's site (the page's local site). */
  site: string;
  folderId: string;
  taskId: string;
}

export function seedSqlite(file: string, count: number, at: CatalogPlace): void {
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
    `INSERT INTO files (id, representation_id, position, name, path, size, hash, hash_type, sha256)
     VALUES (?, ?, ?, ?, ?, ${FILE_SIZE}, ?, 'op3', ?)`,
  );
  const state = db.prepare(
    "INSERT INTO sync_state (project, representation_id, site, priority, status, files, updated_at) VALUES (?, ?, ?, 50, ?, ?, ?)",
  );
  const created = new Date().toISOString();
  const now = Math.floor(Date.now() / 1000);
  const insert = db.transaction((chunk: Chunk) => {
    for (const [id, name] of chunk.products) product.run(id, at.project, at.folderId, name);
    for (const [id, productId, v] of chunk.versions)
      version.run(id, at.project, productId, v, at.taskId, created);
    for (const [id, versionId, context] of chunk.representations)
      representation.run(id, at.project, versionId, context);
    for (const row of chunk.files) fileRow.run(...row);
    for (const [rep, site, status, files] of chunk.states)
      state.run(at.project, rep, site, status, files, now);
  });
  for (const chunk of chunks(count, at.project, at.site)) insert(chunk);
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
}

export async function seedPostgres(url: string, count: number, at: CatalogPlace): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const col = <T>(rows: T[][], i: number) => rows.map((r) => r[i]);
  const created = new Date().toISOString();
  const now = Math.floor(Date.now() / 1000);
  try {
    for (const chunk of chunks(count, at.project, at.site)) {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO products (id, project, folder_id, name, product_type, product_base_type)
         SELECT id, $1, $2, name, 'render', 'render' FROM unnest($3::text[], $4::text[]) AS t(id, name)`,
        [at.project, at.folderId, col(chunk.products, 0), col(chunk.products, 1)],
      );
      await client.query(
        `INSERT INTO versions (id, project, product_id, version, task_id, author, created_at)
         SELECT id, $1, product_id, v, $2, 'bench', $3 FROM unnest($4::text[], $5::text[], $6::int[]) AS t(id, product_id, v)`,
        [at.project, at.taskId, created, ...[0, 1, 2].map((i) => col(chunk.versions, i))],
      );
      await client.query(
        `INSERT INTO representations (id, project, version_id, name, context)
         SELECT id, $1, version_id, 'exr', context::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) AS t(id, version_id, context)`,
        [at.project, ...[0, 1, 2].map((i) => col(chunk.representations, i))],
      );
      await client.query(
        `INSERT INTO files (id, representation_id, position, name, path, size, hash, hash_type, sha256)
         SELECT id, rep, pos, name, path, ${FILE_SIZE}, hash, 'op3', sha
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS t(id, rep, pos, name, path, hash, sha)`,
        [0, 1, 2, 3, 4, 5, 6].map((i) => col(chunk.files, i)),
      );
      await client.query(
        `INSERT INTO sync_state (project, representation_id, site, priority, status, files, updated_at)
         SELECT $1, rep, site, 50, status, files::jsonb, $2 FROM unnest($3::text[], $4::text[], $5::int[], $6::text[])
           AS t(rep, site, status, files)`,
        [at.project, now, ...[0, 1, 2, 3].map((i) => col(chunk.states, i))],
      );
      await client.query("COMMIT");
    }
    await client.query("VACUUM ANALYZE");
  } finally {
    await client.end();
  }
}
