/**
 * What only the SQLite store does: its schema migrations (user_version) and WAL. The store contract
 * it shares with every store is tested in contract.test.ts (STORES in stores.ts).
 */
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { loadDefaultAnatomy } from "../../lib/anatomy/defaults.js";
import { openSqliteStore } from "../../lib/store/sqlite/index.js";
import { MIGRATIONS } from "../../lib/store/sqlite/migrations.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { Store } from "../../lib/store/types.js";
import { tempDir } from "../helpers/tmp.js";
import { FOLDERS, storeWithProject as projectStore, publish } from "./fixtures.js";

const P = "Proj";

async function storeWithProject(): Promise<{ store: Store; file: string }> {
  const file = path.join(tempDir(), "sitesync.db");
  const store = openSqliteStore(file);
  await store.importProject({
    name: P,
    code: "PR",
    anatomy: loadDefaultAnatomy(),
    folders: [{ path: "/assets/characters/hero", tasks: [{ name: "modeling", type: "Modeling" }] }],
  });
  return { store, file };
}

describe("SQLite store", () => {
  it("migrates a new file to the latest schema version and reopens it", async () => {
    const { store, file } = await storeWithProject();
    await store.close();
    const db = new Database(file);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    const again = openSqliteStore(file);
    expect((await again.getProject(P))?.code).toBe("PR");
    await again.close();
  });

  it("refuses a store written by a newer schema", async () => {
    const { store, file } = await storeWithProject();
    await store.close();
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    expect(() => openSqliteStore(file)).toThrow(/newer than this sitesync knows/);
  });

  it("upgrades a version 3 store in place: the kept counts and folder order start from its rows", async () => {
    const file = path.join(tempDir(), "sitesync.db");
    const ps = await projectStore(async () => openSqliteStore(file));
    for (let i = 0; i < 6; i++) {
      await publish(ps, {
        sites: i % 2 ? { studio: SyncStatus.OK, local: SyncStatus.QUEUED } : { studio: SyncStatus.OK },
        folder: FOLDERS[i % 2],
      });
    }
    await ps.store.close();
    const db = new Database(file);
    for (const trigger of ["representation_added", "representation_removed", "representation_moved"])
      db.exec(`DROP TRIGGER ${trigger}`);
    for (const trigger of ["version_moved", "product_moved", "folder_renamed"])
      db.exec(`DROP TRIGGER ${trigger}`);
    for (const trigger of ["state_added", "state_removed", "state_changed"])
      db.exec(`DROP TRIGGER ${trigger}`);
    for (const table of [
      "representation_counts",
      "state_site_counts",
      "state_pair_counts",
      "representation_folders",
    ])
      db.exec(`DROP TABLE ${table}`);
    db.pragma("user_version = 3");
    db.close();

    const store = openSqliteStore(file);
    const db4 = new Database(file);
    expect(db4.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    db4.close();
    const query = { localSite: "local", remoteSite: "studio" };
    // A folder filter that every path matches takes the statement that joins and counts every representation.
    const walked = { ...query, folderFilter: "/" };
    expect(await store.countState(P, query)).toEqual(await store.countState(P, walked));
    const page = await store.queryState(P, { ...query, pageLength: 4, page: 2 });
    const walkedPage = await store.queryState(P, { ...walked, pageLength: 4, page: 2 });
    expect(page.total).toBe(6);
    expect(page.representations.map((r) => r.representationId)).toEqual(
      walkedPage.representations.map((r) => r.representationId),
    );
    await store.close();
  });
});
