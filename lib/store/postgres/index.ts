/**
 * The PostgreSQL store (docs/adding-a-store.md "PostgreSQL"): one database
 * shared by a studio's services and workstations, behind the same interface
 * as the embedded SQLite store. Opening connects once (a wrong URL, an
 * unreachable server or a refused login fails here, within the connect
 * timeout, with exit 2), then migrates the schema under an advisory lock,
 * or refuses a database migrated by a newer sitesync.
 */
import net from "node:net";
import pg from "pg";
import type { Store } from "../types.js";
import * as catalog from "./catalog.js";
import { connectError, type PostgresOptions, poolConfig, type Target, targetOf } from "./connection.js";
import { type Db, makeDb } from "./db.js";
import { MIGRATIONS, type MigrationReport, migrate, refuseNewer, schemaVersion } from "./migrations.js";
import * as representations from "./representations.js";
import * as state from "./state.js";
import { makeWakeups } from "./wakeups.js";
import * as work from "./work.js";

export type { PostgresOptions, SslMode } from "./connection.js";
export { redactUrl } from "./connection.js";

/** int8 (COUNT, BIGINT sizes and leases) as numbers: every value sitesync keeps fits in 2^53. */
const INT8_AS_NUMBER = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

export interface OpenedPool {
  pool: pg.Pool;
  target: Target;
  config: pg.PoolConfig;
}

/**
 * A pool, made once a first connection (a client of its own) succeeded; `use`
 * runs on that connection (migrations, checks) before it is closed. The
 * first connection's socket is ours (`stream`), so a refused login closes it
 * at once: node-postgres leaves a socket whose authentication failed open
 * until the server's own timeout, which kept a failed command alive.
 */
export async function connectPool<T>(
  options: PostgresOptions,
  use: (client: pg.ClientBase, opened: OpenedPool) => Promise<T>,
): Promise<OpenedPool & { result: T }> {
  const target = targetOf(options.url, options.source, options.env);
  const config: pg.PoolConfig = { ...poolConfig(options, target), types: INT8_AS_NUMBER };
  let socket: net.Socket | undefined;
  const first = new pg.Client({
    ...config,
    stream: () => {
      socket = new net.Socket();
      return socket;
    },
  });
  first.on("error", () => undefined);
  try {
    await first.connect();
  } catch (error) {
    socket?.destroy();
    throw connectError(target, options.source, error);
  }
  const pool = new pg.Pool(config);
  // An idle connection that breaks (a server restart) is dropped by the pool; without a
  // listener its error event would end the process.
  pool.on("error", () => undefined);
  try {
    const result = await use(first, { pool, target, config });
    return { pool, target, config, result };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  } finally {
    await first.end().catch(() => socket?.destroy());
  }
}

/** Runs the migrations this package has and the database lacks (`sitesync store migrate`). */
export async function migratePostgres(
  options: PostgresOptions,
): Promise<MigrationReport & { where: string }> {
  const { pool, target, result } = await connectPool(options, (client, opened) =>
    migrate(client, opened.target.where),
  );
  await pool.end();
  return { ...result, where: target.where };
}

export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  const { pool, target, config } = await connectPool(options, async (client, opened) => {
    const found = await schemaVersion(client);
    refuseNewer(found, opened.target.where);
    // The lock is taken only when there is something to do: most opens find the schema current.
    if (found < MIGRATIONS.length) await migrate(client, opened.target.where);
  });
  return storeOn(makeDb(pool, target.where), config);
}

function storeOn(db: Db, config: pg.PoolConfig): Store {
  return {
    location: db.where,
    wakeups: makeWakeups(db.pool, config),
    claimsShared: true,
    configureRetries: (policy) => {
      db.policy.windowMs = policy.windowMs;
      if (policy.onRetry) db.policy.onRetry = policy.onRetry;
      else delete db.policy.onRetry;
      if (policy.signal) db.policy.signal = policy.signal;
      else delete db.policy.signal;
    },
    listProjects: () => catalog.listProjects(db),
    getProject: (name) => catalog.getProject(db, name),
    importProject: (project) => catalog.importProject(db, project),
    getFolderByPath: (project, path) => catalog.getFolderByPath(db, project, path),
    getFolders: (project, ids) => catalog.getFolders(db, project, ids),
    getTask: (project, folderId, name) => catalog.getTask(db, project, folderId, name),
    getProducts: (project, filter) => catalog.getProducts(db, project, filter),
    getVersions: (project, filter) => catalog.getVersions(db, project, filter),
    getLastVersions: (project, ids) => catalog.getLastVersions(db, project, ids),
    getRepresentations: (project, filter) => representations.getRepresentations(db, project, filter),
    listRepresentations: (project, page) => representations.listRepresentations(db, project, page),
    findRepresentationIds: (project, prefix, limit) =>
      representations.findRepresentationIds(db, project, prefix, limit),
    getVersionLinks: (project, ids, types) => catalog.getVersionLinks(db, project, ids, types),
    registerPublish: (project, record) => catalog.registerPublish(db, project, record),
    getSiteStates: (project, ids, sites) => state.getSiteStates(db, project, ids, sites),
    setSiteState: (project, id, site, options) => state.setSiteState(db, project, id, site, options),
    removeSiteState: (project, id, site) => state.removeSiteState(db, project, id, site),
    changeSiteStates: (project, changes) => state.changeSiteStates(db, project, changes),
    listSiteStates: (project, filter, page) => state.listSiteStates(db, project, filter, page),
    queryState: (project, query) => state.queryState(db, project, query),
    countState: (project, query) => state.countState(db, project, query),
    findWork: (project, query) => work.findWork(db, project, query),
    claimFiles: (project, id, site, fileIds, owner, leaseMs) =>
      work.claimFiles(db, project, id, site, fileIds, owner, leaseMs),
    renewClaims: (owner, leaseMs) => work.renewClaims(db, owner, leaseMs),
    releaseClaims: (owner, target) => work.releaseClaims(db, owner, target),
    getClaims: (project, id, site) => work.getClaims(db, project, id, site),
    getClaimOwners: () => work.getClaimOwners(db),
    setPaused: (target, paused) => work.setPaused(db, target, paused),
    getPauses: () => work.getPauses(db),
    close: () => db.pool.end(),
  };
}
