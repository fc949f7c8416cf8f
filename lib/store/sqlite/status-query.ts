/**
 * The status query of the embedded store (`sitesync status`, the status
 * page): a page of representations with both sites' states, and the counts
 * per pair of statuses. Without a filter on the catalog, the counts come from
 * the tables the triggers keep and a folder-sorted page from the folder index
 * (status-tables.ts): the first page reads a few rows whatever the store's
 * size (README "Status page"). Otherwise a statement joins what it needs.
 */
import type { Database } from "better-sqlite3";
import { type StateQueryRow, statusPage, toStateRow } from "../state-rows.js";
import type { SyncStatus } from "../status.js";
import { countsFromKept, servedByKeptTables } from "../status-counts.js";
import type {
  FileState,
  RepresentationFile,
  StateCount,
  StatePage,
  StateQuery,
  StateRow,
  StateSortKey,
} from "../types.js";
import { filesOf } from "./representations.js";
import { jsonList, type NamedParams } from "./rows.js";

/** ORDER BY fragments from a fixed list: the user picks a key, never SQL text. */
const SORT_COLUMNS: Record<StateSortKey, string> = {
  folder: "f.path",
  product: "p.name",
  version: "v.version",
  representation: "r.name",
  localStatus: "COALESCE(l.status, -1)",
  remoteStatus: "COALESCE(rm.status, -1)",
  priority: "MAX(COALESCE(l.priority, 0), COALESCE(rm.priority, 0))",
};

/** A row of the status query with both sites' files (JSON), for the page's rows. */
interface QueryRow extends StateQueryRow {
  l_files: string | null;
  r_files: string | null;
}

/** Sort keys whose column comes from the catalog joins (the others from the sites' states). */
const CATALOG_SORT_KEYS: ReadonlySet<StateSortKey> = new Set(["folder", "product", "version"]);

/**
 * The FROM and WHERE of the status query, shared by the page and the counts
 * so they never disagree. A statement joins only what its filters and sort
 * need (`need`): the catalog's versions, products and folders, the two sites'
 * states. Each join is one row per representation (foreign keys and the
 * states' primary key), so leaving one out never changes which
 * representations match; on a catalog of 100,000 it is most of the cost.
 */
function stateFilter(project: string, query: StateQuery, need: { catalog?: boolean; states?: boolean }) {
  const params: NamedParams = { project };
  const conditions = ["r.project = @project"];
  const filter = (name: string, value: unknown, condition: string) => {
    if (value === null || value === undefined) return;
    params[name] = value as NamedParams[string];
    conditions.push(condition);
  };
  filter("ids", jsonList(query.representationIds), "r.id IN (SELECT value FROM json_each(@ids))");
  filter("folder", query.folderFilter, "instr(lower(f.path), lower(@folder)) > 0");
  filter("product", query.productFilter, "instr(lower(p.name), lower(@product)) > 0");
  filter("version", query.versionFilter, "v.version = @version");
  filter("names", jsonList(query.representationNames), "r.name IN (SELECT value FROM json_each(@names))");
  filter(
    "localStatus",
    jsonList(query.localStatusFilter),
    "COALESCE(l.status, -1) IN (SELECT value FROM json_each(@localStatus))",
  );
  filter(
    "remoteStatus",
    jsonList(query.remoteStatusFilter),
    "COALESCE(rm.status, -1) IN (SELECT value FROM json_each(@remoteStatus))",
  );
  const catalog = need.catalog || "folder" in params || "product" in params || "version" in params;
  const states = need.states || "localStatus" in params || "remoteStatus" in params;
  if (states) {
    params.localSite = query.localSite;
    params.remoteSite = query.remoteSite;
  }
  const where = `
    FROM representations r
    ${catalog ? "JOIN versions v ON v.id = r.version_id JOIN products p ON p.id = v.product_id JOIN folders f ON f.id = p.folder_id" : ""}
    ${
      states
        ? `LEFT JOIN sync_state l ON l.project = r.project AND l.representation_id = r.id AND l.site = @localSite
    LEFT JOIN sync_state rm ON rm.project = r.project AND rm.representation_id = r.id AND rm.site = @remoteSite`
        : ""
    }
    WHERE ${conditions.join(" AND ")}`;
  return { where, params };
}

/**
 * One page of the status query: the page's ids first, sorted with only the
 * joins the sort and filters need, then the rows of those ids with their
 * states (the sort never carries the states' file lists).
 */
export function queryState(db: Database, project: string, query: StateQuery): StatePage {
  return db.transaction(() => readPage(db, project, query))();
}

function readPage(db: Database, project: string, query: StateQuery): StatePage {
  const { order, direction, limit, offset } = statusPage(query, SORT_COLUMNS);
  const sortKey = query.sortBy ?? "folder";
  const kept = servedByKeptTables(query);
  const ids =
    kept && sortKey === "folder"
      ? folderSortedIds(db, project, query, { direction, limit, offset })
      : sortedIds(db, project, query, { order, direction, limit, offset });
  const page = stateFilter(project, { ...query, representationIds: ids }, { catalog: true, states: true });
  const byId = new Map(
    db
      .prepare<NamedParams, QueryRow>(
        `SELECT r.id, r.version_id, r.name, v.version, p.name AS product, f.path AS folder,
                l.status AS l_status, l.priority AS l_priority, l.files AS l_files,
                rm.status AS r_status, rm.priority AS r_priority, rm.files AS r_files
         ${page.where}`,
      )
      .all(page.params)
      .map((row) => [row.id, row]),
  );
  const rows = ids.flatMap((id) => byId.get(id) ?? []);
  const files = filesOf(db, ids);
  return {
    total: kept ? total(keptCounts(db, project, query)) : countMatches(db, project, query),
    representations: rows.map((row) => toSqliteStateRow(row, files.get(row.id) ?? [])),
  };
}

const total = (counts: StateCount[]) => counts.reduce((sum, c) => sum + c.count, 0);

function countMatches(db: Database, project: string, query: StateQuery): number {
  const counted = stateFilter(project, query, {});
  return (
    db.prepare<NamedParams, { n: number }>(`SELECT COUNT(*) AS n ${counted.where}`).get(counted.params)?.n ??
    0
  );
}

interface PageWindow {
  direction: "ASC" | "DESC";
  limit: number;
  offset: number;
}

/** The page's ids, sorted with only the joins the sort and filters need. */
function sortedIds(
  db: Database,
  project: string,
  query: StateQuery,
  window: PageWindow & { order: string },
): string[] {
  const sortKey = query.sortBy ?? "folder";
  const sorted = stateFilter(project, query, {
    catalog: CATALOG_SORT_KEYS.has(sortKey),
    states: !CATALOG_SORT_KEYS.has(sortKey) && sortKey !== "representation",
  });
  return db
    .prepare<NamedParams, { id: string }>(
      `SELECT r.id ${sorted.where} ORDER BY ${window.order} ${window.direction}, r.id LIMIT @limit OFFSET @offset`,
    )
    .all({ ...sorted.params, limit: window.limit, offset: window.offset })
    .map((row) => row.id);
}

/**
 * The page's ids in folder order from `representation_folders_sorted`: the
 * index is the order, so an ascending page stops after offset + limit rows
 * (with a status filter, after that many matches). Only for queries without
 * a catalog filter (servedByKeptTables).
 */
function folderSortedIds(db: Database, project: string, query: StateQuery, window: PageWindow): string[] {
  const params: NamedParams = { project, limit: window.limit, offset: window.offset };
  const conditions = ["rf.project = @project"];
  let joins = "";
  if (query.localStatusFilter !== undefined || query.remoteStatusFilter !== undefined) {
    joins = `LEFT JOIN sync_state l ON l.project = rf.project AND l.representation_id = rf.representation_id AND l.site = @localSite
      LEFT JOIN sync_state rm ON rm.project = rf.project AND rm.representation_id = rf.representation_id AND rm.site = @remoteSite`;
    params.localSite = query.localSite;
    params.remoteSite = query.remoteSite;
    for (const [name, alias, filter] of [
      ["localStatus", "l", query.localStatusFilter],
      ["remoteStatus", "rm", query.remoteStatusFilter],
    ] as const) {
      if (filter === undefined) continue;
      params[name] = JSON.stringify(filter);
      conditions.push(`COALESCE(${alias}.status, -1) IN (SELECT value FROM json_each(@${name}))`);
    }
  }
  return db
    .prepare<NamedParams, { id: string }>(
      `SELECT rf.representation_id AS id FROM representation_folders rf ${joins}
       WHERE ${conditions.join(" AND ")}
       ORDER BY rf.folder_path ${window.direction}, rf.representation_id LIMIT @limit OFFSET @offset`,
    )
    .all(params)
    .map((row) => row.id);
}

export function countState(db: Database, project: string, query: StateQuery): StateCount[] {
  if (servedByKeptTables(query)) return db.transaction(() => keptCounts(db, project, query))();
  const { where, params } = stateFilter(project, query, { states: true });
  return db
    .prepare<NamedParams, { l: number; r: number; n: number }>(
      `SELECT COALESCE(l.status, -1) AS l, COALESCE(rm.status, -1) AS r, COUNT(*) AS n ${where}
       GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    .all(params)
    .map((row) => ({ localStatus: row.l as SyncStatus, remoteStatus: row.r as SyncStatus, count: row.n }));
}

/** The counts from the kept tables (status-tables.ts): a few rows of each, in the caller's read transaction. */
function keptCounts(db: Database, project: string, query: StateQuery): StateCount[] {
  const site = db.prepare<[string, string], { status: number; n: number }>(
    "SELECT status, n FROM state_site_counts WHERE project = ? AND site = ? AND n <> 0",
  );
  const representations =
    db.prepare<[string], { n: number }>("SELECT n FROM representation_counts WHERE project = ?").get(project)
      ?.n ?? 0;
  const both = db
    .prepare<[string, string, string], { status: number; otherStatus: number; n: number }>(
      `SELECT status, other_status AS otherStatus, n FROM state_pair_counts
       WHERE project = ? AND site = ? AND other = ? AND n <> 0`,
    )
    .all(project, query.localSite, query.remoteSite);
  return countsFromKept(
    {
      representations,
      local: site.all(project, query.localSite),
      remote: site.all(project, query.remoteSite),
      both,
    },
    query,
  );
}

function toSqliteStateRow(row: QueryRow, files: RepresentationFile[]): StateRow {
  const parse = (text: string | null) => (text ? (JSON.parse(text) as FileState[]) : []);
  return toStateRow(row, parse(row.l_files), parse(row.r_files), files);
}
