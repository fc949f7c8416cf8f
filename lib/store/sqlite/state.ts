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

/** The FROM and WHERE of the status query, shared by the page and the counts so they never disagree. */
function stateFilter(project: string, query: StateQuery) {
  const where = `
    FROM representations r
    JOIN versions v ON v.id = r.version_id
    JOIN products p ON p.id = v.product_id
    JOIN folders f ON f.id = p.folder_id
    LEFT JOIN sync_state l ON l.project = r.project AND l.representation_id = r.id AND l.site = @localSite
    LEFT JOIN sync_state rm ON rm.project = r.project AND rm.representation_id = r.id AND rm.site = @remoteSite
    WHERE r.project = @project
      AND (@ids IS NULL OR r.id IN (SELECT value FROM json_each(@ids)))
      AND (@folder IS NULL OR instr(lower(f.path), lower(@folder)) > 0)
      AND (@product IS NULL OR instr(lower(p.name), lower(@product)) > 0)
      AND (@version IS NULL OR v.version = @version)
      AND (@names IS NULL OR r.name IN (SELECT value FROM json_each(@names)))
      AND (@localStatus IS NULL OR COALESCE(l.status, -1) IN (SELECT value FROM json_each(@localStatus)))
      AND (@remoteStatus IS NULL OR COALESCE(rm.status, -1) IN (SELECT value FROM json_each(@remoteStatus)))`;
  const params = {
    project,
    localSite: query.localSite,
    remoteSite: query.remoteSite,
    ids: jsonList(query.representationIds),
    folder: query.folderFilter ?? null,
    product: query.productFilter ?? null,
    version: query.versionFilter ?? null,
    names: jsonList(query.representationNames),
    localStatus: jsonList(query.localStatusFilter),
    remoteStatus: jsonList(query.remoteStatusFilter),
  };
  return { where, params };
}

export function queryState(db: Database, project: string, query: StateQuery): StatePage {
  const { order, direction, limit, offset } = statusPage(query, SORT_COLUMNS);
  const { where, params } = stateFilter(project, query);
  const total = db.prepare<typeof params, { n: number }>(`SELECT COUNT(*) AS n ${where}`).get(params)?.n ?? 0;
  const rows = db
    .prepare<typeof params & { limit: number; offset: number }, QueryRow>(
      `SELECT r.id, r.version_id, r.name, v.version, p.name AS product, f.path AS folder,
              l.status AS l_status, l.priority AS l_priority, l.files AS l_files,
              rm.status AS r_status, rm.priority AS r_priority, rm.files AS r_files
       ${where}
       ORDER BY ${order} ${direction}, r.id
       LIMIT @limit OFFSET @offset`,
    )
    .all({ ...params, limit, offset });
  const files = filesOf(
    db,
    rows.map((r) => r.id),
  );
  return { total, representations: rows.map((row) => toSqliteStateRow(row, files.get(row.id) ?? [])) };
}

export function countState(db: Database, project: string, query: StateQuery): StateCount[] {
  const { where, params } = stateFilter(project, query);
  return db
    .prepare<typeof params, { l: number; r: number; n: number }>(
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
