/**
 * The stores the shared store suite runs against (docs/adding-a-store.md "Tests"): every test of the
 * `Store` contract is a `describe.each(STORES)`, so a new store joins every one of them with one entry
 * here. Each `open()` returns a fresh, empty store that the test closes.
 */
import path from "node:path";
import { openSqliteStore } from "../../lib/store/sqlite/index.js";
import type { Store } from "../../lib/store/types.js";
import { tempDir } from "../helpers/tmp.js";

export interface StoreUnderTest {
  /** Names the describe block: "SQLite store". */
  name: string;
  /** A fresh, empty store (the test closes it). */
  open(): Promise<Store>;
}

export const STORES: readonly StoreUnderTest[] = [
  { name: "SQLite", open: async () => openSqliteStore(path.join(tempDir(), "sitesync.db")) },
];
