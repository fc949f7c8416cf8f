/**
 * Representation reads of the PostgreSQL store: a representation with its
 * files, by ids, a page at a time, or by an id prefix (status's short ids).
 */

import { type FileRow, groupFiles } from "../rows.js";
import type { PageQuery, Representation, RepresentationFile } from "../types.js";
import type { Db, Query } from "./db.js";

export async function filesOf(
  q: Query,
  representationIds: string[],
): Promise<Map<string, RepresentationFile[]>> {
  if (representationIds.length === 0) return new Map();
  const rows = await q<FileRow>(
    `SELECT id, representation_id, name, path, size, hash, hash_type, sha256 FROM files
     WHERE representation_id = ANY($1::text[]) ORDER BY representation_id, position`,
    [representationIds],
  );
  return groupFiles(rows);
}

interface RepresentationRow {
  id: string;
  version_id: string;
  name: string;
  context: Representation["context"];
}

async function withFiles(q: Query, rows: RepresentationRow[]): Promise<Representation[]> {
  const files = await filesOf(
    q,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    versionId: r.version_id,
    name: r.name,
    context: r.context,
    files: files.get(r.id) ?? [],
  }));
}

export async function getRepresentations(
  db: Db,
  project: string,
  filter: { ids?: string[]; versionIds?: string[] },
): Promise<Representation[]> {
  const rows = await db.query<RepresentationRow>(
    `SELECT id, version_id, name, context FROM representations
     WHERE project = $1
       AND ($2::text[] IS NULL OR id = ANY($2::text[]))
       AND ($3::text[] IS NULL OR version_id = ANY($3::text[]))
     ORDER BY version_id, name COLLATE "C"`,
    [project, filter.ids ?? null, filter.versionIds ?? null],
  );
  return withFiles(db.query, rows);
}

/** Keyset on (project, id): each page is a range scan of `representations_by_project`. */
export async function listRepresentations(
  db: Db,
  project: string,
  page: PageQuery,
): Promise<Representation[]> {
  const rows = await db.query<RepresentationRow>(
    `SELECT id, version_id, name, context FROM representations
     WHERE project = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [project, page.after ?? "", page.limit],
  );
  return withFiles(db.query, rows);
}

/** `starts_with` on a "C"-collated id: an index range, like SQLite's. */
export async function findRepresentationIds(
  db: Db,
  project: string,
  prefix: string,
  limit: number,
): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM representations
     WHERE project = $1 AND id >= $2 AND starts_with(id, $2) ORDER BY id LIMIT $3`,
    [project, prefix, limit],
  );
  return rows.map((r) => r.id);
}
