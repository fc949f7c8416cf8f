/**
 * The representation part of `store copy` (lib/store/copy.ts): a page of
 * representations (keyset by id) with their files and site states, in one
 * transaction, each table in one statement of array parameters, so 100,000
 * representations cost a few hundred round trips and one page of memory.
 * Representations and files are matched by id; a site state by
 * (project, representation, site), the target's kept when it has one.
 */
import type Database from "better-sqlite3";
import type { Query } from "../postgres/db.js";
import { keysetPages } from "./pages.js";
import type { CopyRun } from "./types.js";

/** Files sent in one statement: a page of image sequences can hold far more files than representations. */
const FILE_BATCH = 5_000;

interface RepresentationRow {
  id: string;
  project: string;
  version_id: string;
  name: string;
  context: string;
}

interface FileRow {
  id: string;
  representation_id: string;
  position: number;
  name: string;
  path: string;
  size: number;
  hash: string;
  hash_type: string;
  sha256: string | null;
}

interface StateRow {
  project: string;
  representation_id: string;
  site: string;
  priority: number;
  status: number;
  files: string;
  updated_at: number;
}

export function countRepresentations(source: Database.Database): number {
  return (source.prepare("SELECT COUNT(*) AS n FROM representations").get() as { n: number }).n;
}

export async function copyRepresentations(
  run: CopyRun,
  onPage: (representations: number) => void,
): Promise<void> {
  const pages = keysetPages<RepresentationRow>(
    run.source,
    "SELECT id, project, version_id, name, context FROM representations",
    ["id"],
    (r) => [r.id],
    run.pageSize,
  );
  const filesOf = run.source.prepare<[string], FileRow>(
    `SELECT id, representation_id, position, name, path, size, hash, hash_type, sha256 FROM files
     WHERE representation_id IN (SELECT value FROM json_each(?)) ORDER BY representation_id, position`,
  );
  const statesOf = run.source.prepare<[string], StateRow>(
    `SELECT project, representation_id, site, priority, status, files, updated_at FROM sync_state
     WHERE representation_id IN (SELECT value FROM json_each(?)) ORDER BY representation_id, site`,
  );
  const countUnder = run.source.prepare<[string], { files: number; states: number }>(
    `WITH ids(id) AS (SELECT value FROM json_each(?))
     SELECT (SELECT COUNT(*) FROM files WHERE representation_id IN ids) AS files,
            (SELECT COUNT(*) FROM sync_state WHERE representation_id IN ids) AS states`,
  );
  for (const page of pages) {
    const wanted = page.filter((r) => !run.conflicted.has(r.version_id));
    const result = await run.db.tx(async (q) => {
      const inserted = await insertRepresentations(q, wanted);
      // Present: inserted now or there before (by id). One the target lacks after the insert has
      // another representation of its version under its name: it and all under it are left out.
      const present = new Set(
        (
          await q<{ id: string }>("SELECT id FROM representations WHERE id = ANY($1::text[])", [
            wanted.map((r) => r.id),
          ])
        ).map((r) => r.id),
      );
      const ids = JSON.stringify([...present]);
      let files = { copied: 0, total: 0 };
      let batch: FileRow[] = [];
      const flush = async () => {
        files = { copied: files.copied + (await insertFiles(q, batch)), total: files.total + batch.length };
        batch = [];
      };
      for (const file of filesOf.iterate(ids)) {
        batch.push(file);
        if (batch.length >= FILE_BATCH) await flush();
      }
      if (batch.length > 0) await flush();
      const states = statesOf.all(ids);
      const statesCopied = await insertStates(q, states);
      return {
        inserted,
        present: [...present],
        files,
        states: { copied: statesCopied, total: states.length },
      };
    });
    const present = new Set(result.present);
    const left = page.filter((r) => !present.has(r.id));
    const under = (left.length > 0 && countUnder.get(JSON.stringify(left.map((r) => r.id)))) || {
      files: 0,
      states: 0,
    };
    const c = run.counts;
    c.representations.copied += result.inserted;
    c.representations.present += present.size - result.inserted;
    c.representations.skipped += left.length;
    c.files.copied += result.files.copied;
    c.files.present += result.files.total - result.files.copied;
    c.files.skipped += under.files;
    c.siteStates.copied += result.states.copied;
    c.siteStates.present += result.states.total - result.states.copied;
    c.siteStates.skipped += under.states;
    onPage(page.length);
  }
}

async function insertRepresentations(q: Query, rows: RepresentationRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await q(
    `INSERT INTO representations (id, project, version_id, name, context)
     SELECT r.id, r.project, r.version_id, r.name, r.context::jsonb
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS r(id, project, version_id, name, context)
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.project),
      rows.map((r) => r.version_id),
      rows.map((r) => r.name),
      rows.map((r) => r.context),
    ],
  );
  return inserted.length;
}

async function insertFiles(q: Query, rows: FileRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await q(
    `INSERT INTO files (id, representation_id, position, name, path, size, hash, hash_type, sha256)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[],
                          $7::text[], $8::text[], $9::text[])
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.representation_id),
      rows.map((r) => r.position),
      rows.map((r) => r.name),
      rows.map((r) => r.path),
      rows.map((r) => r.size),
      rows.map((r) => r.hash),
      rows.map((r) => r.hash_type),
      rows.map((r) => r.sha256),
    ],
  );
  return inserted.length;
}

/** A state the target already has is kept: the studio's record of its own sites wins. */
async function insertStates(q: Query, rows: StateRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await q(
    `INSERT INTO sync_state (project, representation_id, site, priority, status, files, updated_at)
     SELECT s.project, s.representation_id, s.site, s.priority, s.status, s.files::jsonb, s.updated_at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::bigint[])
       AS s(project, representation_id, site, priority, status, files, updated_at)
     ON CONFLICT (project, representation_id, site) DO NOTHING RETURNING site`,
    [
      rows.map((r) => r.project),
      rows.map((r) => r.representation_id),
      rows.map((r) => r.site),
      rows.map((r) => r.priority),
      rows.map((r) => r.status),
      rows.map((r) => r.files),
      rows.map((r) => r.updated_at),
    ],
  );
  return inserted.length;
}
