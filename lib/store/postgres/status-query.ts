import { type StateQueryRow, statusPage, toStateRow } from "../state-rows.js";
import type { SyncStatus } from "../status.js";
import type { FileState, StateCount, StatePage, StateQuery, StateSortKey } from "../types.js";
import type { Db } from "./db.js";
import { filesOf } from "./representations.js";

/** ORDER BY fragments from a fixed list: the user picks a key, never SQL text. */
const SORT_COLUMNS: Record<StateSortKey, string> = {
  folder: `f.path COLLATE "C"`,
  product: `p.name COLLATE "C"`,
  version: "v.version",
  representation: `r.name COLLATE "C"`,
  localStatus: "COALESCE(l.status, -1)",
  remoteStatus: "COALESCE(rm.status, -1)",
  priority: "GREATEST(COALESCE(l.priority, 0), COALESCE(rm.priority, 0))",
};

interface QueryRow extends StateQueryRow {
  l_files: FileState[] | null;
  r_files: FileState[] | null;
}

/** The FROM and WHERE of the status query, shared by the page and the counts so they never disagree. */
function stateFilter(project: string, query: StateQuery) {
  const where = `
    FROM representations r
    JOIN versions v ON v.id = r.version_id
    JOIN products p ON p.id = v.product_id
    JOIN folders f ON f.id = p.folder_id
    LEFT JOIN sync_state l ON l.project = r.project AND l.representation_id = r.id AND l.site = $2
    LEFT JOIN sync_state rm ON rm.project = r.project AND rm.representation_id = r.id AND rm.site = $3
    WHERE r.project = $1
      AND ($4::text[] IS NULL OR r.id = ANY($4::text[]))
      AND ($5::text IS NULL OR strpos(lower(f.path), lower($5)) > 0)
      AND ($6::text IS NULL OR strpos(lower(p.name), lower($6)) > 0)
      AND ($7::int IS NULL OR v.version = $7)
      AND ($8::text[] IS NULL OR r.name = ANY($8::text[]))
      AND ($9::int[] IS NULL OR COALESCE(l.status, -1) = ANY($9::int[]))
      AND ($10::int[] IS NULL OR COALESCE(rm.status, -1) = ANY($10::int[]))`;
  const params: unknown[] = [
    project,
    query.localSite,
    query.remoteSite,
    query.representationIds ?? null,
    query.folderFilter ?? null,
    query.productFilter ?? null,
    query.versionFilter ?? null,
    query.representationNames ?? null,
    query.localStatusFilter ?? null,
    query.remoteStatusFilter ?? null,
  ];
  return { where, params };
}

export async function queryState(db: Db, project: string, query: StateQuery): Promise<StatePage> {
  const { order, direction, limit, offset } = statusPage(query, SORT_COLUMNS);
  const { where, params } = stateFilter(project, query);
  const [count] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n ${where}`, params);
  const rows = await db.query<QueryRow>(
    `SELECT r.id, r.version_id, r.name, v.version, p.name AS product, f.path AS folder,
            l.status AS l_status, l.priority AS l_priority, l.files AS l_files,
            rm.status AS r_status, rm.priority AS r_priority, rm.files AS r_files
     ${where}
     ORDER BY ${order} ${direction}, r.id
     LIMIT $11 OFFSET $12`,
    [...params, limit, offset],
  );
  const files = await filesOf(
    db.query,
    rows.map((r) => r.id),
  );
  return {
    total: count?.n ?? 0,
    representations: rows.map((row) =>
      toStateRow(row, row.l_files ?? [], row.r_files ?? [], files.get(row.id) ?? []),
    ),
  };
}

export async function countState(db: Db, project: string, query: StateQuery): Promise<StateCount[]> {
  const { where, params } = stateFilter(project, query);
  const rows = await db.query<{ l: number; r: number; n: number }>(
    `SELECT COALESCE(l.status, -1) AS l, COALESCE(rm.status, -1) AS r, COUNT(*) AS n ${where}
     GROUP BY 1, 2 ORDER BY 1, 2`,
    params,
  );
  return rows.map((row) => ({
    localStatus: row.l as SyncStatus,
    remoteStatus: row.r as SyncStatus,
    count: row.n,
  }));
}
