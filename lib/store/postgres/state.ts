/**
 * Sync state of the PostgreSQL store: per (representation, site) records and
 * the status query. A write reads, merges and writes a record while holding
 * its representation's row lock (`FOR NO KEY UPDATE`, which foreign keys do
 * not wait on), so two machines writing the same record one after the other
 * never lose each other's files; a multi-record change takes its locks in id
 * order, so two of them cannot deadlock.
 */
import { InputError } from "../../errors.js";
import { mergeFileStates } from "../merge.js";
import type { SyncStatus } from "../status.js";
import type { PageQuery, SetSiteStateOptions, SiteState, SiteStateChange, StateConflict } from "../types.js";
import type { Db, Query } from "./db.js";
import { filesOf } from "./representations.js";
import {
  nowSeconds,
  SERVER_NOW_MS,
  STATE_COLUMNS,
  type StateRecordRow,
  toSiteState,
  writeSiteState,
} from "./rows.js";

export { countState, queryState } from "./status-query.js";

export async function getSiteStates(
  db: Db,
  project: string,
  representationIds: string[],
  sites?: string[],
): Promise<SiteState[]> {
  const rows = await db.query<StateRecordRow>(
    `SELECT ${STATE_COLUMNS} FROM sync_state
     WHERE project = $1 AND representation_id = ANY($2::text[])
       AND ($3::text[] IS NULL OR site = ANY($3::text[]))
     ORDER BY representation_id, site COLLATE "C"`,
    [project, representationIds, sites ?? null],
  );
  return rows.map(toSiteState);
}

/** Locks the representations' rows (in id order); returns the ids that exist in the project. */
async function lockRepresentations(q: Query, project: string, ids: string[]): Promise<Set<string>> {
  const sorted = [...new Set(ids)].sort();
  const rows = await q<{ id: string }>(
    `SELECT id FROM representations WHERE project = $1 AND id = ANY($2::text[])
     ORDER BY id FOR NO KEY UPDATE`,
    [project, sorted],
  );
  return new Set(rows.map((r) => r.id));
}

export function setSiteState(
  db: Db,
  project: string,
  representationId: string,
  site: string,
  options: SetSiteStateOptions,
): Promise<void> {
  return db.tx(async (q) => {
    const present = await lockRepresentations(q, project, [representationId]);
    await applySet(q, project, representationId, site, options, present);
  });
}

export function changeSiteStates(
  db: Db,
  project: string,
  changes: SiteStateChange[],
): Promise<{ conflicts: StateConflict[]; written: number; records: number }> {
  return db.tx(async (q) => {
    const present = await lockRepresentations(
      q,
      project,
      changes.map((c) => c.representationId),
    );
    const conflicts: StateConflict[] = [];
    for (const change of changes) conflicts.push(...(await conflictsOf(q, project, change)));
    if (conflicts.length > 0) return { conflicts, written: 0, records: 0 };
    let written = 0;
    let records = 0;
    for (const change of changes) {
      if (change.op === "remove") {
        await removeRecord(q, project, change.representationId, change.site);
        records += 1;
        continue;
      }
      const stored = await readRecord(q, project, change.representationId, change.site);
      if (change.onlyIfAbsent && stored) continue;
      let { options } = change;
      const claimed = new Set(
        change.skipClaimed ? await liveClaims(q, project, change.representationId, change.site) : [],
      );
      const storedStatus =
        change.onlyWhile === undefined ? undefined : new Map(stored?.files.map((f) => [f.fileId, f.status]));
      if (claimed.size > 0 || storedStatus) {
        const files = options.files.filter(
          (f) => !claimed.has(f.fileId) && (!storedStatus || storedStatus.get(f.fileId) === change.onlyWhile),
        );
        if (files.length === 0) continue;
        options = { ...options, files };
      }
      await applySet(q, project, change.representationId, change.site, options, present, stored);
      written += options.files.length;
      records += 1;
    }
    return { conflicts: [], written, records };
  });
}

async function conflictsOf(q: Query, project: string, change: SiteStateChange): Promise<StateConflict[]> {
  const { representationId, site } = change;
  const present = (await readRecord(q, project, representationId, site)) !== undefined;
  if (change.expect === "present" && !present)
    return [{ representationId, site, reason: "absent", fileIds: [] }];
  if (change.expect === "absent" && present)
    return [{ representationId, site, reason: "present", fileIds: [] }];
  if (change.op === "remove" && change.refuseClaimed) {
    const fileIds = await liveClaims(q, project, representationId, site);
    if (fileIds.length > 0) return [{ representationId, site, reason: "claimed", fileIds }];
  }
  return [];
}

async function readRecord(
  q: Query,
  project: string,
  representationId: string,
  site: string,
): Promise<SiteState | undefined> {
  const [row] = await q<StateRecordRow>(
    `SELECT ${STATE_COLUMNS} FROM sync_state WHERE project = $1 AND representation_id = $2 AND site = $3`,
    [project, representationId, site],
  );
  return row && toSiteState(row);
}

/** Files of a record someone holds an unexpired claim on (by the server's clock). */
async function liveClaims(
  q: Query,
  project: string,
  representationId: string,
  site: string,
): Promise<string[]> {
  const rows = await q<{ file_id: string }>(
    `SELECT file_id FROM claims WHERE project = $1 AND representation_id = $2 AND site = $3
       AND expires_at > ${SERVER_NOW_MS}`,
    [project, representationId, site],
  );
  return rows.map((r) => r.file_id);
}

/** The merge of one record, the representation's row already locked by the caller's transaction. */
async function applySet(
  q: Query,
  project: string,
  representationId: string,
  site: string,
  options: SetSiteStateOptions,
  present: Set<string>,
  known?: SiteState,
): Promise<void> {
  if (!present.has(representationId))
    throw new InputError(`representation ${representationId} does not exist in project "${project}"`);
  const stored = known ?? (await readRecord(q, project, representationId, site));
  const files = (await filesOf(q, [representationId])).get(representationId) ?? [];
  const now = nowSeconds();
  const merged = mergeFileStates(stored?.files, files, options.files, options.reset ?? false, now);
  await writeSiteState(
    q,
    project,
    representationId,
    site,
    merged,
    options.priority ?? stored?.priority ?? 50,
    now,
  );
}

async function removeRecord(
  q: Query,
  project: string,
  representationId: string,
  site: string,
): Promise<void> {
  await q("DELETE FROM sync_state WHERE project = $1 AND representation_id = $2 AND site = $3", [
    project,
    representationId,
    site,
  ]);
}

export async function removeSiteState(
  db: Db,
  project: string,
  representationId: string,
  site: string,
): Promise<void> {
  await removeRecord(db.query, project, representationId, site);
}

/** Keyset on (project, site, representation_id): each page is a range scan of `sync_state_by_site`. */
export async function listSiteStates(
  db: Db,
  project: string,
  filter: { site: string; statuses?: SyncStatus[] },
  page: PageQuery,
): Promise<SiteState[]> {
  const rows = await db.query<StateRecordRow>(
    `SELECT ${STATE_COLUMNS} FROM sync_state
     WHERE project = $1 AND site = $2 AND representation_id > $3
       AND ($4::int[] IS NULL OR status = ANY($4::int[]))
     ORDER BY representation_id LIMIT $5`,
    [project, filter.site, page.after ?? "", filter.statuses ?? null, page.limit],
  );
  return rows.map(toSiteState);
}
