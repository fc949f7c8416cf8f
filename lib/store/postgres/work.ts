/**
 * The engine's side of the PostgreSQL store: the work queue, transfer claims
 * across machines and persisted pauses (docs/adding-a-store.md "Claims").
 *
 * The next-batch query locks the wanting side's rows it picks with
 * `FOR UPDATE SKIP LOCKED`, so services asking at the same moment skip each
 * other's picks instead of waiting on them, and (with `claimFor`) claims
 * their wanted files for the owner with a lease in the same transaction.
 * Leases are on the server's clock, so machines whose clocks disagree still
 * agree on when a claim lapsed.
 */

import { type PauseRow, pauseKey, toPauseTarget, toWorkItem } from "../rows.js";
import { SyncStatus } from "../status.js";
import type { Claim, FileState, PauseTarget, WorkItem, WorkQuery } from "../types.js";
import { wantedFileIds } from "../work-claims.js";
import type { Db, Query } from "./db.js";
import { filesOf } from "./representations.js";
import { SERVER_NOW_MS } from "./rows.js";

interface WorkRow {
  representation_id: string;
  version_id: string;
  want_site: string;
  want_priority: number;
  want_status: number;
  want_files: FileState[];
  have_site: string;
  have_priority: number;
  have_status: number;
  have_files: FileState[];
}

/**
 * One index range scan of `sync_state_work` per wanted status (QUEUED, and
 * IN_PROGRESS left by a stopped process), each ordered by priority and
 * limited, merged by priority; only then are the chosen few's states and
 * files read, so the cost follows the batch, not the queue.
 */
export function findWork(db: Db, project: string, query: WorkQuery): Promise<WorkItem[]> {
  const [want, have] =
    query.direction === "download"
      ? [query.localSite, query.remoteSite]
      : [query.remoteSite, query.localSite];
  const owner = query.claimFor?.owner ?? null;
  return db.tx(async (q) => {
    const picked: Array<{ representation_id: string; priority: number }> = [];
    for (const status of [SyncStatus.QUEUED, SyncStatus.IN_PROGRESS]) {
      const rows = await q<{ representation_id: string; priority: number }>(
        `SELECT w.representation_id, w.priority
         FROM sync_state w
         JOIN sync_state h ON h.project = w.project AND h.representation_id = w.representation_id AND h.site = $3
         WHERE w.project = $1 AND w.site = $2 AND w.status = $4 AND h.status = $5
           AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.kind = 'representation' AND p.project = w.project
                           AND p.representation_id = w.representation_id)
           AND ($7::text IS NULL OR NOT EXISTS (
                 SELECT 1 FROM claims c WHERE c.project = w.project AND c.representation_id = w.representation_id
                   AND c.site = w.site AND c.owner <> $7 AND c.expires_at > ${SERVER_NOW_MS}))
         ORDER BY w.priority DESC
         LIMIT $6
         FOR UPDATE OF w SKIP LOCKED`,
        [project, want, have, status, SyncStatus.OK, query.limit, owner],
      );
      picked.push(...rows);
    }
    let chosen = picked.sort((a, b) => b.priority - a.priority).slice(0, query.limit);
    if (owner !== null && chosen.length > 0) {
      // The pick's claim check saw the snapshot its statement started with: an owner that
      // committed its claims between that snapshot and our row locks (READ COMMITTED, and a lock
      // taken on a row the other only locked, not updated, is not re-checked) went unseen.
      // Checked again now that the rows are ours, in a statement that sees every such commit.
      const held = await q<{ representation_id: string }>(
        `SELECT DISTINCT representation_id FROM claims
         WHERE project = $1 AND site = $2 AND representation_id = ANY($3::text[])
           AND owner <> $4 AND expires_at > ${SERVER_NOW_MS}`,
        [project, want, chosen.map((c) => c.representation_id), owner],
      );
      const taken = new Set(held.map((r) => r.representation_id));
      chosen = chosen.filter((c) => !taken.has(c.representation_id));
    }
    if (chosen.length === 0) return [];
    const rows = await q<WorkRow>(
      `SELECT w.representation_id, r.version_id,
              w.site AS want_site, w.priority AS want_priority, w.status AS want_status, w.files AS want_files,
              h.site AS have_site, h.priority AS have_priority, h.status AS have_status, h.files AS have_files
       FROM sync_state w
       JOIN sync_state h ON h.project = w.project AND h.representation_id = w.representation_id AND h.site = $3
       JOIN representations r ON r.id = w.representation_id
       WHERE w.project = $1 AND w.site = $2 AND w.representation_id = ANY($4::text[])`,
      [project, want, have, chosen.map((c) => c.representation_id)],
    );
    const order = new Map(chosen.map((c, index) => [c.representation_id, index]));
    rows.sort((a, b) => (order.get(a.representation_id) ?? 0) - (order.get(b.representation_id) ?? 0));
    const files = await filesOf(
      q,
      rows.map((r) => r.representation_id),
    );
    // The whole batch's wanted files claimed in one statement (a statement per representation cost
    // a round trip each: most of the next batch's time on a network).
    const claimed = query.claimFor
      ? await claimBatch(
          q,
          project,
          want,
          rows.map((row) => ({
            representationId: row.representation_id,
            fileIds: wantedFileIds(row.want_files, row.have_files),
          })),
          query.claimFor.owner,
          query.claimFor.leaseMs,
        )
      : undefined;
    const items: WorkItem[] = [];
    for (const row of rows) {
      const item = toWorkItem(
        row,
        row.want_files,
        row.have_files,
        files.get(row.representation_id) ?? [],
        query.direction,
      );
      if (claimed) item.claimed = claimed.get(row.representation_id) ?? [];
      items.push(item);
    }
    return items;
  });
}

/**
 * One statement: a file is taken when nobody holds it, when this owner holds
 * it (renewed), or when its holder's lease lapsed (taken over). The upsert's
 * WHERE is checked against the row as it is when the row lock is held, so two
 * machines claiming the same file at once cannot both get it.
 *
 * Several representations of one site at once; returns the file ids taken
 * per representation, in the order asked.
 */
async function claimBatch(
  q: Query,
  project: string,
  site: string,
  wanted: Array<{ representationId: string; fileIds: string[] }>,
  owner: string,
  leaseMs: number,
): Promise<Map<string, string[]>> {
  const representationIds: string[] = [];
  const fileIds: string[] = [];
  for (const { representationId, fileIds: ids } of wanted) {
    for (const id of new Set(ids)) {
      representationIds.push(representationId);
      fileIds.push(id);
    }
  }
  const taken = new Map<string, string[]>();
  if (fileIds.length === 0) return taken;
  const rows = await q<{ representation_id: string; file_id: string }>(
    `INSERT INTO claims (project, representation_id, site, file_id, owner, expires_at)
     SELECT $1, c.representation_id, $2, c.file_id, $5, ${SERVER_NOW_MS} + $6
     FROM unnest($3::text[], $4::text[]) AS c(representation_id, file_id)
     ON CONFLICT (project, representation_id, site, file_id) DO UPDATE
       SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE claims.owner = excluded.owner OR claims.expires_at < ${SERVER_NOW_MS}
     RETURNING representation_id, file_id`,
    [project, site, representationIds, fileIds, owner, leaseMs],
  );
  const got = new Set(rows.map((r) => `${r.representation_id}\u0000${r.file_id}`));
  for (const { representationId, fileIds: ids } of wanted) {
    taken.set(
      representationId,
      [...new Set(ids)].filter((id) => got.has(`${representationId}\u0000${id}`)),
    );
  }
  return taken;
}

export async function claimFiles(
  db: Db,
  project: string,
  representationId: string,
  site: string,
  fileIds: string[],
  owner: string,
  leaseMs: number,
): Promise<string[]> {
  const taken = await db.tx((q) =>
    claimBatch(q, project, site, [{ representationId, fileIds }], owner, leaseMs),
  );
  return taken.get(representationId) ?? [];
}

export async function renewClaims(db: Db, owner: string, leaseMs: number): Promise<void> {
  await db.query(`UPDATE claims SET expires_at = ${SERVER_NOW_MS} + $2 WHERE owner = $1`, [owner, leaseMs]);
}

export async function releaseClaims(
  db: Db,
  owner: string,
  target?: { project: string; representationId: string; site: string; fileIds?: string[] },
): Promise<void> {
  if (!target) {
    await db.query("DELETE FROM claims WHERE owner = $1", [owner]);
    return;
  }
  await db.query(
    `DELETE FROM claims WHERE owner = $1 AND project = $2 AND representation_id = $3 AND site = $4
       AND ($5::text[] IS NULL OR file_id = ANY($5::text[]))`,
    [owner, target.project, target.representationId, target.site, target.fileIds ?? null],
  );
}

export async function getClaims(
  db: Db,
  project: string,
  representationId: string,
  site: string,
): Promise<Claim[]> {
  const rows = await db.query<{ file_id: string; owner: string; expires_at: number }>(
    "SELECT file_id, owner, expires_at FROM claims WHERE project = $1 AND representation_id = $2 AND site = $3",
    [project, representationId, site],
  );
  return rows.map((r) => ({
    representationId,
    site,
    fileId: r.file_id,
    owner: r.owner,
    expiresAt: r.expires_at,
  }));
}

export async function getClaimOwners(db: Db): Promise<string[]> {
  // The collation goes on the selected column: with DISTINCT, ORDER BY may only name what is selected.
  const rows = await db.query<{ owner: string }>(
    'SELECT DISTINCT owner COLLATE "C" AS owner FROM claims ORDER BY owner',
  );
  return rows.map((r) => r.owner);
}

export async function setPaused(db: Db, target: PauseTarget, paused: boolean): Promise<void> {
  const [kind, project, representationId] = pauseKey(target);
  if (paused) {
    await db.query(
      `INSERT INTO pauses (kind, project, representation_id, paused_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [kind, project, representationId, Date.now()],
    );
  } else {
    await db.query("DELETE FROM pauses WHERE kind = $1 AND project = $2 AND representation_id = $3", [
      kind,
      project,
      representationId,
    ]);
  }
}

export async function getPauses(db: Db): Promise<PauseTarget[]> {
  const rows = await db.query<PauseRow>(
    'SELECT kind, project, representation_id FROM pauses ORDER BY kind, project COLLATE "C", representation_id',
  );
  return rows.map(toPauseTarget);
}
