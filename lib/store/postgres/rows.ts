/** Small helpers shared by the PostgreSQL catalog and state modules. */
import type { SyncStatus } from "../status.js";
import type { FileState, SiteState } from "../types.js";
import type { Query } from "./db.js";

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A state record as the queries select it (`files` is JSONB, parsed by the driver). */
export interface StateRecordRow {
  representation_id: string;
  site: string;
  priority: number;
  status: number;
  files: FileState[];
}

export const STATE_COLUMNS = "representation_id, site, priority, status, files";

export const toSiteState = (r: StateRecordRow): SiteState => ({
  representationId: r.representation_id,
  site: r.site,
  priority: r.priority,
  status: r.status as SyncStatus,
  files: r.files,
});

export async function writeSiteState(
  q: Query,
  project: string,
  representationId: string,
  site: string,
  state: { files: FileState[]; status: SyncStatus },
  priority: number,
  now: number,
): Promise<void> {
  await q(
    `INSERT INTO sync_state (project, representation_id, site, priority, status, files, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (project, representation_id, site) DO UPDATE SET
       priority = excluded.priority, status = excluded.status, files = excluded.files, updated_at = excluded.updated_at`,
    [project, representationId, site, priority, state.status, JSON.stringify(state.files), now],
  );
}

/** The server clock in epoch milliseconds: claims compare leases on one clock, whatever the machines' clocks say. */
export const SERVER_NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
