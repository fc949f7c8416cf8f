/**
 * The embedded store: one SQLite file in the home (WAL, so readers such as
 * `status` never block a running sync), schema versioned with migrations.
 * better-sqlite3 is synchronous; the async interface keeps the door open for
 * the PostgreSQL and AYON server stores. Every write transaction is
 * IMMEDIATE: it takes the write lock up front and waits for it (busy_timeout),
 * where a read that upgrades to a write would fail at once with "database is
 * locked" when a service writes at the same time.
 */
import Database from "better-sqlite3";
import { StoreError } from "../../errors.js";
import type { Store } from "../types.js";
import * as catalog from "./catalog.js";
import { MIGRATIONS } from "./migrations.js";
import * as representations from "./representations.js";
import * as state from "./state.js";
import * as work from "./work.js";

/**
 * How long a write waits for another process's write lock before it fails
 * with "database is locked": 10 s, or SITESYNC_SQLITE_BUSY_MS.
 */
function busyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.SITESYNC_SQLITE_BUSY_MS);
  return env.SITESYNC_SQLITE_BUSY_MS && Number.isInteger(value) && value >= 0 ? value : 10_000;
}

/** SQLite's own failures (locked, disk full, I/O) become StoreErrors that name the store. */
function storeFailure(error: unknown, file: string): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  return new StoreError(`the store ${file} failed: ${error.message} (${error.code})`, { cause: error });
}

export function openSqliteStore(file: string): Store {
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma(`busy_timeout = ${busyTimeoutMs()}`);
    // 64 MiB of page cache: the default 2 MiB thrashes on a 100k-representation project.
    db.pragma("cache_size = -65536");
    migrate(db, file);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot open the store ${file}: ${(error as Error).message}`, { cause: error });
  }
  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(storeFailure(error, file));
    }
  };
  return {
    location: file,
    listProjects: () => run(() => catalog.listProjects(db)),
    getProject: (name) => run(() => catalog.getProject(db, name)),
    importProject: (project) => run(() => catalog.importProject(db, project)),
    getFolderByPath: (project, path) => run(() => catalog.getFolderByPath(db, project, path)),
    getFolders: (project, ids) => run(() => catalog.getFolders(db, project, ids)),
    getTask: (project, folderId, name) => run(() => catalog.getTask(db, project, folderId, name)),
    getProducts: (project, filter) => run(() => catalog.getProducts(db, project, filter)),
    getVersions: (project, filter) => run(() => catalog.getVersions(db, project, filter)),
    getLastVersions: (project, ids) => run(() => catalog.getLastVersions(db, project, ids)),
    getRepresentations: (project, filter) =>
      run(() => representations.getRepresentations(db, project, filter)),
    listRepresentations: (project, page) => run(() => representations.listRepresentations(db, project, page)),
    findRepresentationIds: (project, prefix, limit) =>
      run(() => representations.findRepresentationIds(db, project, prefix, limit)),
    getVersionLinks: (project, ids, types) => run(() => catalog.getVersionLinks(db, project, ids, types)),
    registerPublish: (project, record) => run(() => catalog.registerPublish(db, project, record)),
    getSiteStates: (project, ids, sites) => run(() => state.getSiteStates(db, project, ids, sites)),
    setSiteState: (project, id, site, options) =>
      run(() => state.setSiteState(db, project, id, site, options)),
    removeSiteState: (project, id, site) => run(() => state.removeSiteState(db, project, id, site)),
    changeSiteStates: (project, changes) => run(() => state.changeSiteStates(db, project, changes)),
    listSiteStates: (project, filter, page) => run(() => state.listSiteStates(db, project, filter, page)),
    queryState: (project, query) => run(() => state.queryState(db, project, query)),
    countState: (project, query) => run(() => state.countState(db, project, query)),
    findWork: (project, query) => run(() => work.findWork(db, project, query)),
    claimFiles: (project, id, site, fileIds, owner, leaseMs) =>
      run(() => work.claimFiles(db, project, id, site, fileIds, owner, leaseMs)),
    renewClaims: (owner, leaseMs) => run(() => work.renewClaims(db, owner, leaseMs)),
    releaseClaims: (owner, target) => run(() => work.releaseClaims(db, owner, target)),
    getClaims: (project, id, site) => run(() => work.getClaims(db, project, id, site)),
    getClaimOwners: () => run(() => work.getClaimOwners(db)),
    setPaused: (target, paused) => run(() => work.setPaused(db, target, paused)),
    getPauses: () => run(() => work.getPauses(db)),
    close: () =>
      run(() => {
        db.close();
      }),
  };
}

/** Opens (creating when missing) and migrates a SQLite store; returns the schema versions before and after. */
export function migrateSqlite(file: string): { from: number; to: number } {
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (error) {
    throw new StoreError(`cannot open the store ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs()}`);
    const from = db.pragma("user_version", { simple: true }) as number;
    migrate(db, file);
    return { from, to: MIGRATIONS.length };
  } finally {
    db.close();
  }
}

function migrate(db: Database.Database, file: string): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StoreError(
      `${file} has schema version ${current}, newer than this sitesync knows (${MIGRATIONS.length}); upgrade sitesync`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
