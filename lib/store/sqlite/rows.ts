/** Small helpers shared by the SQLite catalog and state modules. */
import type { Database } from "better-sqlite3";
import type { SyncStatus } from "../status.js";
import type { FileState } from "../types.js";

/** A list filter as one bound JSON parameter (read with json_each), or NULL for "no filter". */
/** Named parameters of a statement (better-sqlite3 binds `@name` from an object). */
export type NamedParams = Record<string, string | number | null>;

export function jsonList(values: readonly unknown[] | undefined): string | null {
  return values === undefined ? null : JSON.stringify(values);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function writeSiteState(
  db: Database,
  project: string,
  representationId: string,
  site: string,
  state: { files: FileState[]; status: SyncStatus },
  priority: number,
  now: number,
): void {
  db.prepare(
    `INSERT INTO sync_state (project, representation_id, site, priority, status, files, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (project, representation_id, site) DO UPDATE SET
       priority = excluded.priority, status = excluded.status, files = excluded.files, updated_at = excluded.updated_at`,
  ).run(project, representationId, site, priority, state.status, JSON.stringify(state.files), now);
}
