import path from "node:path";
import Database from "better-sqlite3";

const TABLES = [
  "projects",
  "folders",
  "tasks",
  "products",
  "versions",
  "representations",
  "files",
  "version_links",
  "sync_state",
];

/** Row counts of every table of a home's store, to prove a failed command wrote nothing. */
export function rowCounts(home: string): Record<string, number> {
  const db = new Database(path.join(home, "sitesync.db"), { readonly: true });
  try {
    return Object.fromEntries(
      TABLES.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]),
    );
  } finally {
    db.close();
  }
}
