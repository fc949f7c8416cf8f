/**
 * What only the PostgreSQL store's kept status tables do (lib/store/postgres/status-tables.ts;
 * docs/adding-a-store.md "The status query's kept tables"): statements that change many records at
 * once (counted per statement), folding the count deltas while others write, and upgrading a
 * version 1 database in place. Each compares the kept counts and folder order with the statement
 * that walks every representation (a folder filter that every path matches takes it).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../lib/store/postgres/index.js";
import { COMPACT_COUNTS } from "../../lib/store/postgres/status-tables.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { Store } from "../../lib/store/types.js";
import { type PostgresServer, startPostgres } from "../helpers/postgres.js";
import { FOLDERS, P, type ProjectStore, publish, storeWithProject } from "../store/fixtures.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const PAIRS: Array<[string, string]> = [
  ["local", "studio"],
  ["studio", "local"],
  ["local", "sftp"],
  ["sftp", "sftp"],
];

async function expectKeptEqualsWalked(store: Store): Promise<void> {
  for (const [localSite, remoteSite] of PAIRS) {
    for (const filter of [{}, { localStatusFilter: [SyncStatus.QUEUED, SyncStatus.NA] }]) {
      const q = { localSite, remoteSite, ...filter };
      const walked = { ...q, folderFilter: "/" };
      expect(await store.countState(P, q)).toEqual(await store.countState(P, walked));
      for (const sortDesc of [false, true]) {
        const page = await store.queryState(P, { ...q, sortDesc, page: 2, pageLength: 3 });
        const walkedPage = await store.queryState(P, { ...walked, sortDesc, page: 2, pageLength: 3 });
        expect(page.total).toBe(walkedPage.total);
        expect(page.representations.map((r) => r.representationId)).toEqual(
          walkedPage.representations.map((r) => r.representationId),
        );
      }
    }
  }
}

async function projectWith(url: string, count: number): Promise<ProjectStore> {
  const ps = await storeWithProject(() => openPostgresStore({ url, source: "test" }));
  for (let i = 0; i < count; i++) {
    await publish(ps, {
      sites:
        i % 2
          ? { studio: SyncStatus.OK, local: SyncStatus.QUEUED }
          : { studio: SyncStatus.OK, sftp: SyncStatus.FAILED },
      folder: FOLDERS[i % 2],
    });
  }
  return ps;
}

describe("PostgreSQL store: kept status tables", () => {
  it("counts statements that add, change and remove many records of one representation at once", async () => {
    const url = await server.newDatabase();
    const ps = await projectWith(url, 8);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO sync_state (project, representation_id, site, priority, status, files, updated_at)
         SELECT project, representation_id, s.site, 50, 1, files, 0 FROM sync_state,
           (VALUES ('sftp'), ('local'), ('extra')) AS s(site)
         WHERE project = $1 AND sync_state.site = 'studio'
         ON CONFLICT DO NOTHING`,
        [P],
      );
      await expectKeptEqualsWalked(ps.store);
      await client.query("UPDATE sync_state SET status = status + 1 WHERE project = $1 AND status < 4", [P]);
      await expectKeptEqualsWalked(ps.store);
      await client.query("DELETE FROM sync_state WHERE project = $1 AND site IN ('studio', 'extra')", [P]);
      await expectKeptEqualsWalked(ps.store);
    } finally {
      await client.end();
      await ps.store.close();
    }
  });

  it("folds the count deltas while other connections write, losing and doubling nothing", async () => {
    const url = await server.newDatabase();
    const ps = await projectWith(url, 6);
    const other = await openPostgresStore({ url, source: "test" });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const states = await ps.store.getSiteStates(
        P,
        (await ps.store.listRepresentations(P, { limit: 100 })).map((r) => r.id),
      );
      const writes = states.flatMap((s, i) =>
        [SyncStatus.IN_PROGRESS, SyncStatus.OK, SyncStatus.QUEUED].map((status) => async () => {
          const store = i % 2 ? ps.store : other;
          await store.setSiteState(P, s.representationId, s.site, {
            files: s.files.map((f) => ({ fileId: f.fileId, status, size: 0 })),
          });
        }),
      );
      // Folds on connections of their own, at the same time as the writes and each other.
      const pool = new pg.Pool({ connectionString: url, max: 3 });
      const folds = Array.from({ length: 6 }, () => () => pool.query(COMPACT_COUNTS, [P]));
      await Promise.all([...writes, ...folds].map((run) => run())).finally(() => pool.end());
      await client.query(COMPACT_COUNTS, [P]);
      await expectKeptEqualsWalked(ps.store);
      const { rows } = await client.query<{ keys: string; rows: string }>(
        `SELECT COUNT(DISTINCT (site, other, status, other_status)) AS keys, COUNT(*) AS rows
         FROM status_count_deltas WHERE project = $1`,
        [P],
      );
      expect(Number(rows[0]?.rows)).toBe(Number(rows[0]?.keys));
    } finally {
      await client.end();
      await other.close();
      await ps.store.close();
    }
  });

  it("upgrades a version 1 database in place: the kept tables start from its rows", async () => {
    const url = await server.newDatabase();
    const ps = await projectWith(url, 7);
    await ps.store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`
        DROP TABLE status_count_deltas, representation_folders;
        DROP TRIGGER states_added ON sync_state; DROP TRIGGER states_removed ON sync_state;
        DROP TRIGGER states_changed ON sync_state; DROP TRIGGER representation_counted ON representations;
        DROP TRIGGER version_moved ON versions; DROP TRIGGER product_moved ON products;
        DROP TRIGGER folder_renamed ON folders;
        DROP FUNCTION sitesync_count_states, sitesync_states_added, sitesync_states_removed,
          sitesync_states_changed, sitesync_representation_counted, sitesync_catalog_moved;
        DELETE FROM sitesync_schema WHERE version > 1;`);
    } finally {
      await client.end();
    }
    const store = await openPostgresStore({ url, source: "test" });
    try {
      await expectKeptEqualsWalked(store);
      const first = (await store.listRepresentations(P, { limit: 1 }))[0];
      if (!first) throw new Error("a representation expected");
      await store.removeSiteState(P, first.id, "studio");
      await expectKeptEqualsWalked(store);
    } finally {
      await store.close();
    }
  });
});
