/** Sync state of the embedded store: per (representation, site) records and the status query. */
import type { Database } from "better-sqlite3";
import { InputError } from "../../errors.js";
import { mergeFileStates } from "../merge.js";
import { statusPage, toStateRow } from "../state-rows.js";
import type { SyncStatus } from "../status.js";
import type {
  FileState,
  PageQuery,
  RepresentationFile,
  SetSiteStateOptions,
  SiteState,
  SiteStateChange,
  StateConflict,
  StateCount,
  StatePage,
  StateQuery,
  StateRow,
  StateSortKey,
} from "../types.js";
import { filesOf } from "./representations.js";
import { jsonList, type NamedParams, nowSeconds, writeSiteState } from "./rows.js";

interface StateRecordRow {
  representation_id: string;
  site: string;
  priority: number;
  status: number;
  files: string;
}

const toSiteState = (r: StateRecordRow): SiteState => ({
  representationId: r.representation_id,
  site: r.site,
  priority: r.priority,
  status: r.status as SyncStatus,
  files: JSON.parse(r.files) as FileState[],
});

export function getSiteStates(
  db: Database,
  project: string,
  representationIds: string[],
  sites?: string[],
): SiteState[] {
  return db
    .prepare<NamedParams, StateRecordRow>(
      `SELECT representation_id, site, priority, status, files FROM sync_state
       WHERE project = @p1 AND representation_id IN (SELECT value FROM json_each(@p2))
         AND (@p3 IS NULL OR site IN (SELECT value FROM json_each(@p3)))
       ORDER BY representation_id, site`,
    )
    .all({ p1: project, p2: JSON.stringify(representationIds), p3: jsonList(sites) })
    .map(toSiteState);
}

export function setSiteState(
  db: Database,
  project: string,
  representationId: string,
  site: string,
  options: SetSiteStateOptions,
): void {
  db.transaction(() => applySet(db, project, representationId, site, options)).immediate();
}

export function changeSiteStates(
  db: Database,
  project: string,
  changes: SiteStateChange[],
): { conflicts: StateConflict[]; written: number; records: number } {
  return db
    .transaction(() => {
      const conflicts = changes.flatMap((change) => conflictsOf(db, project, change));
      if (conflicts.length > 0) return { conflicts, written: 0, records: 0 };
      let written = 0;
      let records = 0;
      for (const change of changes) {
        if (change.op === "remove") {
          removeSiteState(db, project, change.representationId, change.site);
          records += 1;
          continue;
        }
        if (change.onlyIfAbsent && recordExists(db, project, change.representationId, change.site)) continue;
        let { options } = change;
        const claimed = new Set(
          change.skipClaimed ? liveClaims(db, project, change.representationId, change.site) : [],
        );
        const stored =
          change.onlyWhile === undefined
            ? undefined
            : new Map(
                getSiteStates(db, project, [change.representationId], [change.site])[0]?.files.map((f) => [
                  f.fileId,
                  f.status,
                ]),
              );
        if (claimed.size > 0 || stored) {
          const files = options.files.filter(
            (f) => !claimed.has(f.fileId) && (!stored || stored.get(f.fileId) === change.onlyWhile),
          );
          if (files.length === 0) continue;
          options = { ...options, files };
        }
        applySet(db, project, change.representationId, change.site, options);
        written += options.files.length;
        records += 1;
      }
      return { conflicts: [], written, records };
    })
    .immediate();
}

function conflictsOf(db: Database, project: string, change: SiteStateChange): StateConflict[] {
  const { representationId, site } = change;
  const present = recordExists(db, project, representationId, site);
  if (change.expect === "present" && !present)
    return [{ representationId, site, reason: "absent", fileIds: [] }];
  if (change.expect === "absent" && present)
    return [{ representationId, site, reason: "present", fileIds: [] }];
  if (change.op === "remove" && change.refuseClaimed) {
    const fileIds = liveClaims(db, project, representationId, site);
    if (fileIds.length > 0) return [{ representationId, site, reason: "claimed", fileIds }];
  }
  return [];
}

function recordExists(db: Database, project: string, representationId: string, site: string): boolean {
  return (
    db
      .prepare<[string, string, string], { n: number }>(
        "SELECT 1 AS n FROM sync_state WHERE project = ? AND representation_id = ? AND site = ?",
      )
      .get(project, representationId, site) !== undefined
  );
}

/** Files of a record someone holds an unexpired claim on. */
function liveClaims(db: Database, project: string, representationId: string, site: string): string[] {
  return db
    .prepare<[string, string, string, number], { file_id: string }>(
      "SELECT file_id FROM claims WHERE project = ? AND representation_id = ? AND site = ? AND expires_at > ?",
    )
    .all(project, representationId, site, Date.now())
    .map((r) => r.file_id);
}

function applySet(
  db: Database,
  project: string,
  representationId: string,
  site: string,
  options: SetSiteStateOptions,
): void {
  const exists = db
    .prepare<[string, string], { id: string }>("SELECT id FROM representations WHERE project = ? AND id = ?")
    .get(project, representationId);
  if (!exists)
    throw new InputError(`representation ${representationId} does not exist in project "${project}"`);
  const stored = db
    .prepare<[string, string, string], StateRecordRow>(
      "SELECT representation_id, site, priority, status, files FROM sync_state WHERE project = ? AND representation_id = ? AND site = ?",
    )
    .get(project, representationId, site);
  const files: RepresentationFile[] = filesOf(db, [representationId]).get(representationId) ?? [];
  const now = nowSeconds();
  const merged = mergeFileStates(
    stored && toSiteState(stored).files,
    files,
    options.files,
    options.reset ?? false,
    now,
  );
  writeSiteState(
    db,
    project,
    representationId,
    site,
    merged,
    options.priority ?? stored?.priority ?? 50,
    now,
  );
}

export function removeSiteState(db: Database, project: string, representationId: string, site: string): void {
  db.prepare("DELETE FROM sync_state WHERE project = ? AND representation_id = ? AND site = ?").run(
    project,
    representationId,
    site,
  );
}

/** Keyset on the primary key (project, representation_id, site): each page is a range scan, never a sort. */
export function listSiteStates(
  db: Database,
  project: string,
  filter: { site: string; statuses?: SyncStatus[] },
  page: PageQuery,
): SiteState[] {
  return db
    .prepare<NamedParams, StateRecordRow>(
      `SELECT representation_id, site, priority, status, files FROM sync_state
       WHERE project = @project AND representation_id > @after AND site = @site
         AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
       ORDER BY representation_id LIMIT @limit`,
    )
    .all({
      project,
      site: filter.site,
      statuses: jsonList(filter.statuses),
      after: page.after ?? "",
      limit: page.limit,
    })
    .map(toSiteState);
}

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

interface QueryRow {
  id: string;
  version_id: string;
  name: string;
  version: number;
  product: string;
  folder: string;
  l_status: number | null;
  l_priority: number | null;
  l_files: string | null;
  r_status: number | null;
  r_priority: number | null;
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
  const { order, direction, limit, offset } = statusPage(query, SORT_COLUMNS);
  const sortKey = query.sortBy ?? "folder";
  const counted = stateFilter(project, query, {});
  const total =
    db.prepare<NamedParams, { n: number }>(`SELECT COUNT(*) AS n ${counted.where}`).get(counted.params)?.n ??
    0;
  const sorted = stateFilter(project, query, {
    catalog: CATALOG_SORT_KEYS.has(sortKey),
    states: !CATALOG_SORT_KEYS.has(sortKey) && sortKey !== "representation",
  });
  const ids = db
    .prepare<NamedParams, { id: string }>(
      `SELECT r.id ${sorted.where} ORDER BY ${order} ${direction}, r.id LIMIT @limit OFFSET @offset`,
    )
    .all({ ...sorted.params, limit, offset })
    .map((row) => row.id);
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
  return { total, representations: rows.map((row) => toSqliteStateRow(row, files.get(row.id) ?? [])) };
}

export function countState(db: Database, project: string, query: StateQuery): StateCount[] {
  const { where, params } = stateFilter(project, query, { states: true });
  return db
    .prepare<NamedParams, { l: number; r: number; n: number }>(
      `SELECT COALESCE(l.status, -1) AS l, COALESCE(rm.status, -1) AS r, COUNT(*) AS n ${where}
       GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    .all(params)
    .map((row) => ({ localStatus: row.l as SyncStatus, remoteStatus: row.r as SyncStatus, count: row.n }));
}

function toSqliteStateRow(row: QueryRow, files: RepresentationFile[]): StateRow {
  const parse = (text: string | null) => (text ? (JSON.parse(text) as FileState[]) : []);
  return toStateRow(row, parse(row.l_files), parse(row.r_files), files);
}
