/**
 * Schema of the PostgreSQL store (docs/adding-a-store.md "PostgreSQL"),
 * versioned in `sitesync_schema`: each migration runs once, in order, in one
 * transaction with its version row, under a session advisory lock, so two
 * services starting at the same moment do not race: the second waits, then
 * finds the work done. A database whose version is newer than this package
 * knows is refused before anything is read or written.
 *
 * Ids are `COLLATE "C"`: keyset paging and id-prefix ranges compare bytes, as
 * SQLite does, whatever the database's default collation is.
 */
import type pg from "pg";
import { StoreError } from "../../errors.js";
import { STATUS_TABLES } from "./status-tables.js";

/** The advisory lock key migrations run under (any fixed bigint; "sitesync" in ASCII). */
export const MIGRATION_LOCK = 0x73697465_73796e63n;

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE projects (
    name TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    anatomy JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  );
  CREATE TABLE folders (
    id TEXT COLLATE "C" PRIMARY KEY,
    project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    parent_id TEXT COLLATE "C" REFERENCES folders(id),
    folder_type TEXT NOT NULL,
    UNIQUE (project, path)
  );
  CREATE TABLE tasks (
    id TEXT COLLATE "C" PRIMARY KEY,
    project TEXT NOT NULL,
    folder_id TEXT COLLATE "C" NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    task_type TEXT NOT NULL,
    UNIQUE (folder_id, name)
  );
  CREATE TABLE products (
    id TEXT COLLATE "C" PRIMARY KEY,
    project TEXT NOT NULL,
    folder_id TEXT COLLATE "C" NOT NULL REFERENCES folders(id),
    name TEXT NOT NULL,
    product_type TEXT NOT NULL,
    product_base_type TEXT NOT NULL,
    UNIQUE (folder_id, name)
  );
  CREATE TABLE versions (
    id TEXT COLLATE "C" PRIMARY KEY,
    project TEXT NOT NULL,
    product_id TEXT COLLATE "C" NOT NULL REFERENCES products(id),
    version INTEGER NOT NULL,
    task_id TEXT COLLATE "C",
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (product_id, version)
  );
  CREATE TABLE representations (
    id TEXT COLLATE "C" PRIMARY KEY,
    project TEXT NOT NULL,
    version_id TEXT COLLATE "C" NOT NULL REFERENCES versions(id),
    name TEXT NOT NULL,
    context JSONB NOT NULL,
    UNIQUE (version_id, name)
  );
  CREATE INDEX representations_by_project ON representations (project, id);
  CREATE TABLE files (
    id TEXT COLLATE "C" PRIMARY KEY,
    representation_id TEXT COLLATE "C" NOT NULL REFERENCES representations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    size BIGINT NOT NULL,
    hash TEXT NOT NULL,
    hash_type TEXT NOT NULL,
    sha256 TEXT
  );
  CREATE INDEX files_by_representation ON files (representation_id, position);
  CREATE TABLE version_links (
    project TEXT NOT NULL,
    input_version_id TEXT COLLATE "C" NOT NULL,
    output_version_id TEXT COLLATE "C" NOT NULL REFERENCES versions(id),
    link_type TEXT NOT NULL,
    PRIMARY KEY (output_version_id, input_version_id, link_type)
  );
  CREATE TABLE sync_state (
    project TEXT NOT NULL,
    representation_id TEXT COLLATE "C" NOT NULL REFERENCES representations(id) ON DELETE CASCADE,
    site TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 50,
    status INTEGER NOT NULL,
    files JSONB NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project, representation_id, site)
  );
  CREATE INDEX sync_state_work ON sync_state (project, site, status, priority DESC);
  CREATE INDEX sync_state_by_site ON sync_state (project, site, representation_id);
  CREATE TABLE claims (
    project TEXT NOT NULL,
    representation_id TEXT COLLATE "C" NOT NULL,
    site TEXT NOT NULL,
    file_id TEXT COLLATE "C" NOT NULL,
    owner TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (project, representation_id, site, file_id)
  );
  CREATE INDEX claims_by_owner ON claims (owner);
  CREATE TABLE pauses (
    kind TEXT NOT NULL,
    project TEXT NOT NULL DEFAULT '',
    representation_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    paused_at BIGINT NOT NULL,
    PRIMARY KEY (kind, project, representation_id)
  );
  `,
  // Counts per status and the folder order kept by triggers: the status page's first page reads a few
  // rows, not every representation (status-tables.ts; docs/adding-a-store.md "The status query's kept tables").
  STATUS_TABLES,
];

export interface MigrationReport {
  /** The schema version found before migrating (0: an empty database). */
  from: number;
  /** The version now (MIGRATIONS.length). */
  to: number;
}

/**
 * Brings the schema to this package's version. `where` names the database
 * in messages (never with credentials).
 */
export async function migrate(client: pg.ClientBase, where: string): Promise<MigrationReport> {
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK.toString()]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS sitesync_schema (
         version INTEGER PRIMARY KEY,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
         package_version TEXT NOT NULL
       )`,
    );
    const from = await schemaVersion(client);
    refuseNewer(from, where);
    for (let version = from; version < MIGRATIONS.length; version++) {
      await client.query("BEGIN");
      try {
        await client.query(MIGRATIONS[version] as string);
        await client.query("INSERT INTO sitesync_schema (version, package_version) VALUES ($1, $2)", [
          version + 1,
          PACKAGE_SCHEMA_TAG,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new StoreError(
          `${where}: migration ${version + 1} failed: ${(error as Error).message}; nothing of it was applied`,
          { cause: error },
        );
      }
    }
    return { from, to: MIGRATIONS.length };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK.toString()]).catch(() => undefined);
  }
}

/** The version of the schema in the database (0 when sitesync never ran there). */
export async function schemaVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query<{ present: boolean }>(
    "SELECT to_regclass('sitesync_schema') IS NOT NULL AS present",
  );
  if (!exists.rows[0]?.present) return 0;
  const { rows } = await client.query<{ v: number | null }>("SELECT MAX(version) AS v FROM sitesync_schema");
  return rows[0]?.v ?? 0;
}

export function refuseNewer(found: number, where: string): void {
  if (found > MIGRATIONS.length) {
    throw new StoreError(
      `${where} has schema version ${found}, newer than this sitesync knows (${MIGRATIONS.length}); upgrade sitesync on this machine`,
    );
  }
}

/** What `sitesync_schema.package_version` records: the schema version this build was written for. */
const PACKAGE_SCHEMA_TAG = `sitesync schema ${MIGRATIONS.length}`;
