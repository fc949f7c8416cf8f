/**
 * Schema of the embedded store, versioned with SQLite's `user_version`: each
 * migration runs once, in order, in one transaction with the version bump.
 */
import { STATUS_TABLES } from "./status-tables.js";

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE projects (
    name TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    anatomy TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE folders (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    parent_id TEXT REFERENCES folders(id),
    folder_type TEXT NOT NULL,
    UNIQUE (project, path)
  );
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    folder_id TEXT NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    task_type TEXT NOT NULL,
    UNIQUE (folder_id, name)
  );
  CREATE TABLE products (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    folder_id TEXT NOT NULL REFERENCES folders(id),
    name TEXT NOT NULL,
    product_type TEXT NOT NULL,
    product_base_type TEXT NOT NULL,
    UNIQUE (folder_id, name)
  );
  CREATE TABLE versions (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products(id),
    version INTEGER NOT NULL,
    task_id TEXT,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (product_id, version)
  );
  CREATE TABLE representations (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    version_id TEXT NOT NULL REFERENCES versions(id),
    name TEXT NOT NULL,
    context TEXT NOT NULL,
    UNIQUE (version_id, name)
  );
  CREATE TABLE files (
    id TEXT PRIMARY KEY,
    representation_id TEXT NOT NULL REFERENCES representations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    hash TEXT NOT NULL,
    hash_type TEXT NOT NULL,
    sha256 TEXT
  );
  CREATE INDEX files_by_representation ON files (representation_id, position);
  CREATE TABLE version_links (
    project TEXT NOT NULL,
    input_version_id TEXT NOT NULL,
    output_version_id TEXT NOT NULL REFERENCES versions(id),
    link_type TEXT NOT NULL,
    PRIMARY KEY (output_version_id, input_version_id, link_type)
  );
  CREATE TABLE sync_state (
    project TEXT NOT NULL,
    representation_id TEXT NOT NULL REFERENCES representations(id) ON DELETE CASCADE,
    site TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 50,
    status INTEGER NOT NULL,
    files TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (project, representation_id, site)
  );
  CREATE INDEX sync_state_work ON sync_state (project, site, status, priority DESC);
  `,
  `
  CREATE TABLE claims (
    project TEXT NOT NULL,
    representation_id TEXT NOT NULL,
    site TEXT NOT NULL,
    file_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (project, representation_id, site, file_id)
  );
  CREATE INDEX claims_by_owner ON claims (owner);
  CREATE TABLE pauses (
    kind TEXT NOT NULL,
    project TEXT NOT NULL DEFAULT '',
    representation_id TEXT NOT NULL DEFAULT '',
    paused_at INTEGER NOT NULL,
    PRIMARY KEY (kind, project, representation_id)
  );
  `,
  // The status query's counts and sorts read a state's status and priority for every representation;
  // from this index, not from rows whose files JSON spills into overflow pages (README "Status page").
  `
  CREATE INDEX sync_state_status ON sync_state (project, representation_id, site, status, priority);
  `,
  // Counts per status and the folder order kept by triggers: the status page's first page reads a few
  // rows, not every representation (status-tables.ts; README "Status page").
  STATUS_TABLES,
];
