/** Sync state of the embedded store: per (representation, site) records; the status query is in status-query.ts. */
import type { Database } from "better-sqlite3";
import { InputError } from "../../errors.js";
import { mergeFileStates } from "../merge.js";
import type { SyncStatus } from "../status.js";
import type {
  FileState,
  PageQuery,
  RepresentationFile,
  SetSiteStateOptions,
  SiteState,
  SiteStateChange,
  StateConflict,
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

export { countState, queryState } from "./status-query.js";
