/**
 * The engine's side of the embedded store: the work queue, transfer claims
 * and persisted pauses.
 */
import type { Database } from "better-sqlite3";
import { type PauseRow, pauseKey, toPauseTarget, toWorkItem } from "../rows.js";
import { SyncStatus } from "../status.js";
import type { Claim, FileState, PauseTarget, WorkItem, WorkQuery } from "../types.js";
import { wantedFileIds } from "../work-claims.js";
import { filesOf } from "./representations.js";

interface WorkRow {
  representation_id: string;
  version_id: string;
  want_site: string;
  want_priority: number;
  want_status: number;
  want_files: string;
  have_site: string;
  have_priority: number;
  have_status: number;
  have_files: string;
}

/**
 * Two index range scans on (project, site, status, priority DESC) of the
 * wanting side, one for QUEUED and one for IN_PROGRESS (left by a stopped
 * process), each ordered by priority and limited; the two are merged by
 * priority. Only then are the states and files of the chosen few read, so the
 * cost follows the batch, not the number of queued representations.
 */
export function findWork(db: Database, project: string, query: WorkQuery): WorkItem[] {
  // With claimFor, picking and claiming hold the write lock together (IMMEDIATE), so two
  // processes asking at once get different batches.
  if (query.claimFor) return db.transaction(() => pickWork(db, project, query)).immediate();
  return pickWork(db, project, query);
}

function pickWork(db: Database, project: string, query: WorkQuery): WorkItem[] {
  const [want, have] =
    query.direction === "download"
      ? [query.localSite, query.remoteSite]
      : [query.remoteSite, query.localSite];
  const candidates = db.prepare<
    Record<string, string | number | null>,
    { representation_id: string; priority: number }
  >(
    `SELECT w.representation_id, w.priority
     FROM sync_state w INDEXED BY sync_state_work
     JOIN sync_state h ON h.project = w.project AND h.representation_id = w.representation_id AND h.site = @have
     WHERE w.project = @project AND w.site = @want AND w.status = @status AND h.status = @ok
       AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.kind = 'representation' AND p.project = w.project
                       AND p.representation_id = w.representation_id)
       AND (@owner IS NULL OR NOT EXISTS (
             SELECT 1 FROM claims c WHERE c.project = w.project AND c.representation_id = w.representation_id
               AND c.site = w.site AND c.owner <> @owner AND c.expires_at > @now))
     ORDER BY w.priority DESC
     LIMIT @limit`,
  );
  const owner = query.claimFor?.owner ?? null;
  const params = { project, want, have, ok: SyncStatus.OK, limit: query.limit, owner, now: Date.now() };
  const chosen = [SyncStatus.QUEUED, SyncStatus.IN_PROGRESS]
    .flatMap((status) => candidates.all({ ...params, status }))
    .sort((a, b) => b.priority - a.priority)
    .slice(0, query.limit);
  if (chosen.length === 0) return [];
  const rows = db
    .prepare<Record<string, string>, WorkRow>(
      `SELECT w.representation_id, r.version_id,
              w.site AS want_site, w.priority AS want_priority, w.status AS want_status, w.files AS want_files,
              h.site AS have_site, h.priority AS have_priority, h.status AS have_status, h.files AS have_files
       FROM sync_state w
       JOIN sync_state h ON h.project = w.project AND h.representation_id = w.representation_id AND h.site = @have
       JOIN representations r ON r.id = w.representation_id
       WHERE w.project = @project AND w.site = @want AND w.representation_id IN (SELECT value FROM json_each(@ids))`,
    )
    .all({ project, want, have, ids: JSON.stringify(chosen.map((c) => c.representation_id)) });
  const order = new Map(chosen.map((c, index) => [c.representation_id, index]));
  rows.sort((a, b) => (order.get(a.representation_id) ?? 0) - (order.get(b.representation_id) ?? 0));
  const files = filesOf(
    db,
    rows.map((r) => r.representation_id),
  );
  return rows.map((row) => {
    const wantFiles = JSON.parse(row.want_files) as FileState[];
    const haveFiles = JSON.parse(row.have_files) as FileState[];
    const item = toWorkItem(
      row,
      wantFiles,
      haveFiles,
      files.get(row.representation_id) ?? [],
      query.direction,
    );
    if (query.claimFor) {
      const { owner: claimer, leaseMs } = query.claimFor;
      const wanted = wantedFileIds(wantFiles, haveFiles);
      item.claimed = claimFiles(db, project, row.representation_id, want, wanted, claimer, leaseMs);
    }
    return item;
  });
}

export function claimFiles(
  db: Database,
  project: string,
  representationId: string,
  site: string,
  fileIds: string[],
  owner: string,
  leaseMs: number,
): string[] {
  const now = Date.now();
  const claim = db.prepare(
    `INSERT INTO claims (project, representation_id, site, file_id, owner, expires_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (project, representation_id, site, file_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
     WHERE claims.owner = excluded.owner OR claims.expires_at < ?`,
  );
  // IMMEDIATE: the write lock is taken up front, so two processes cannot both see a file free.
  // A file named twice is claimed (and returned) once, as the PostgreSQL store does.
  const unique = [...new Set(fileIds)];
  return db
    .transaction(() =>
      unique.filter(
        (id) => claim.run(project, representationId, site, id, owner, now + leaseMs, now).changes > 0,
      ),
    )
    .immediate();
}

export function renewClaims(db: Database, owner: string, leaseMs: number): void {
  db.prepare("UPDATE claims SET expires_at = ? WHERE owner = ?").run(Date.now() + leaseMs, owner);
}

export function releaseClaims(
  db: Database,
  owner: string,
  target?: { project: string; representationId: string; site: string; fileIds?: string[] },
): void {
  if (!target) {
    db.prepare("DELETE FROM claims WHERE owner = ?").run(owner);
    return;
  }
  db.prepare(
    `DELETE FROM claims WHERE owner = @owner AND project = @project AND representation_id = @representationId AND site = @site
       AND (@fileIds IS NULL OR file_id IN (SELECT value FROM json_each(@fileIds)))`,
  ).run({
    owner,
    project: target.project,
    representationId: target.representationId,
    site: target.site,
    fileIds: target.fileIds ? JSON.stringify(target.fileIds) : null,
  });
}

export function getClaims(db: Database, project: string, representationId: string, site: string): Claim[] {
  return db
    .prepare<[string, string, string], { file_id: string; owner: string; expires_at: number }>(
      "SELECT file_id, owner, expires_at FROM claims WHERE project = ? AND representation_id = ? AND site = ?",
    )
    .all(project, representationId, site)
    .map((r) => ({ representationId, site, fileId: r.file_id, owner: r.owner, expiresAt: r.expires_at }));
}

export function getClaimOwners(db: Database): string[] {
  return db
    .prepare<[], { owner: string }>("SELECT DISTINCT owner FROM claims ORDER BY owner")
    .all()
    .map((r) => r.owner);
}

export function setPaused(db: Database, target: PauseTarget, paused: boolean): void {
  const [kind, project, representationId] = pauseKey(target);
  if (paused) {
    db.prepare(
      "INSERT OR IGNORE INTO pauses (kind, project, representation_id, paused_at) VALUES (?, ?, ?, ?)",
    ).run(kind, project, representationId, Date.now());
  } else {
    db.prepare("DELETE FROM pauses WHERE kind = ? AND project = ? AND representation_id = ?").run(
      kind,
      project,
      representationId,
    );
  }
}

export function getPauses(db: Database): PauseTarget[] {
  return db
    .prepare<[], PauseRow>(
      "SELECT kind, project, representation_id FROM pauses ORDER BY kind, project, representation_id",
    )
    .all()
    .map(toPauseTarget);
}
