/**
 * The status query of the PostgreSQL store. Without a filter on the catalog,
 * the counts come from the kept count deltas and a folder-sorted page's ids
 * from the folder index (status-tables.ts; docs/adding-a-store.md "The status
 * query's kept tables"): the first page reads a few rows whatever the
 * catalog's size. Otherwise one statement joins and filters what it asks.
 */
import { type StateQueryRow, statusPage, toStateRow } from "../state-rows.js";
import type { SyncStatus } from "../status.js";
import { countsFromKept, servedByKeptTables } from "../status-counts.js";
import type { FileState, StateCount, StatePage, StateQuery, StateSortKey } from "../types.js";
import type { Db } from "./db.js";
import { filesOf } from "./representations.js";
import { COMPACT_COUNTS } from "./status-tables.js";

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
  const kept = servedByKeptTables(query);
  const matching = stateFilter(project, query);
  // The page's ids first, sorted without the states' file lists; then the rows of those ids only.
  const ids =
    kept && (query.sortBy ?? "folder") === "folder"
      ? await folderSortedIds(db, project, query, { direction, limit, offset })
      : (
          await db.query<{ id: string }>(
            `SELECT r.id ${matching.where} ORDER BY ${order} ${direction}, r.id LIMIT $11 OFFSET $12`,
            [...matching.params, limit, offset],
          )
        ).map((r) => r.id);
  const { where, params } = stateFilter(project, { ...query, representationIds: ids });
  const rows = await db.query<QueryRow>(
    `SELECT r.id, r.version_id, r.name, v.version, p.name AS product, f.path AS folder,
            l.status AS l_status, l.priority AS l_priority, l.files AS l_files,
            rm.status AS r_status, rm.priority AS r_priority, rm.files AS r_files
     ${where}
     ORDER BY ${order} ${direction}, r.id`,
    params,
  );
  const total = kept
    ? (await keptCounts(db, project, query)).reduce((sum, c) => sum + c.count, 0)
    : ((await db.query<{ n: number }>(`SELECT COUNT(*) AS n ${matching.where}`, matching.params))[0]?.n ?? 0);
  const files = await filesOf(
    db.query,
    rows.map((r) => r.id),
  );
  return {
    total,
    representations: rows.map((row) =>
      toStateRow(row, row.l_files ?? [], row.r_files ?? [], files.get(row.id) ?? []),
    ),
  };
}

/**
 * The page's ids in folder order from `representation_folders_sorted`: an
 * ascending page reads offset + limit entries of the index (with a status
 * filter, until that many match).
 */
async function folderSortedIds(
  db: Db,
  project: string,
  query: StateQuery,
  window: { direction: "ASC" | "DESC"; limit: number; offset: number },
): Promise<string[]> {
  const filtered = query.localStatusFilter !== undefined || query.remoteStatusFilter !== undefined;
  const rows = await db.query<{ id: string }>(
    `SELECT rf.representation_id AS id FROM representation_folders rf
     ${
       filtered
         ? `LEFT JOIN sync_state l ON l.project = rf.project AND l.representation_id = rf.representation_id AND l.site = $2
     LEFT JOIN sync_state rm ON rm.project = rf.project AND rm.representation_id = rf.representation_id AND rm.site = $3`
         : ""
     }
     WHERE rf.project = $1
       ${filtered ? "AND ($4::int[] IS NULL OR COALESCE(l.status, -1) = ANY($4::int[])) AND ($5::int[] IS NULL OR COALESCE(rm.status, -1) = ANY($5::int[]))" : ""}
     ORDER BY rf.folder_path ${window.direction}, rf.representation_id LIMIT $${filtered ? 6 : 2} OFFSET $${filtered ? 7 : 3}`,
    filtered
      ? [
          project,
          query.localSite,
          query.remoteSite,
          query.localStatusFilter ?? null,
          query.remoteStatusFilter ?? null,
          window.limit,
          window.offset,
        ]
      : [project, window.limit, window.offset],
  );
  return rows.map((r) => r.id);
}

export async function countState(db: Db, project: string, query: StateQuery): Promise<StateCount[]> {
  if (servedByKeptTables(query)) return keptCounts(db, project, query);
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

/**
 * Deltas read beyond one per key before a read folds the project's deltas:
 * a fold is a write, so reads do it only when it pays.
 */
const FOLD_AFTER_ROWS = 1000;

/** The counts from the kept deltas (status-tables.ts), summed in one statement (one snapshot). */
async function keptCounts(db: Db, project: string, query: StateQuery): Promise<StateCount[]> {
  const rows = await db.query<{
    site: string;
    other: string;
    status: number;
    other_status: number;
    n: number;
    rows: number;
  }>(
    `SELECT site, other, status, other_status, SUM(n)::bigint AS n, COUNT(*)::int AS rows
     FROM status_count_deltas
     WHERE project = $1 AND ((site = '' AND other = '') OR (site = ANY($2::text[]) AND other = '')
       OR (site = $3 AND other = $4))
     GROUP BY site, other, status, other_status`,
    [project, [query.localSite, query.remoteSite], query.localSite, query.remoteSite],
  );
  if (rows.reduce((sum, r) => sum + r.rows - 1, 0) > FOLD_AFTER_ROWS)
    await db.query(COMPACT_COUNTS, [project]);
  const of = (site: string) =>
    rows.filter((r) => r.site === site && r.other === "").map((r) => ({ status: r.status, n: r.n }));
  return countsFromKept(
    {
      representations: rows.find((r) => r.site === "" && r.other === "")?.n ?? 0,
      local: of(query.localSite),
      remote: of(query.remoteSite),
      both: rows
        .filter((r) => r.site === query.localSite && r.other === query.remoteSite)
        .map((r) => ({ status: r.status, otherStatus: r.other_status, n: r.n })),
    },
    query,
  );
}
