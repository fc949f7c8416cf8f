/**
 * The stores the shared store suite runs against (docs/adding-a-store.md "Tests"): every test of the
 * `Store` contract is a `describe.each(STORES)`, so a new store joins every one of them with one entry
 * here. Each `open()` returns a fresh, empty store that the test closes.
 *
 * PostgreSQL: one throwaway cluster per test file (started on the first `open()`, stopped after the
 * file), one new database per `open()`.
 */
import path from "node:path";
import { afterAll } from "vitest";
import { openPostgresStore } from "../../lib/store/postgres/index.js";
import { openSqliteStore } from "../../lib/store/sqlite/index.js";
import type { Store } from "../../lib/store/types.js";
import { type PostgresServer, startPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/tmp.js";

export interface StoreUnderTest {
  /** Names the describe block: "SQLite store". */
  name: string;
  /** A fresh, empty store (the test closes it). */
  open(): Promise<Store>;
}

let server: Promise<PostgresServer> | undefined;
/** The file's cluster, started on first use. */
export function sharedPostgres(): Promise<PostgresServer> {
  server ??= startPostgres();
  return server;
}
afterAll(async () => {
  if (server) await (await server).stop();
  server = undefined;
});

export const STORES: readonly StoreUnderTest[] = [
  { name: "SQLite", open: async () => openSqliteStore(path.join(tempDir(), "sitesync.db")) },
  {
    name: "PostgreSQL",
    open: async () => {
      const url = await (await sharedPostgres()).newDatabase();
      return openPostgresStore({ url, source: "test" });
    },
  },
];
