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
import type { Store } from "../../lib/store/types.js";
import { tempDir } from "../helpers/tmp.js";

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
});
