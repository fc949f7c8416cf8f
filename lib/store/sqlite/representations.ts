/**
 * Representation reads of the embedded store: a representation with its
 * files, by ids, a page at a time, or by an id prefix (status's short ids).
 */
import type { Database } from "better-sqlite3";
import { type FileRow, groupFiles } from "../rows.js";
import type { PageQuery, Representation, RepresentationFile } from "../types.js";
import { jsonList, type NamedParams } from "./rows.js";

export function filesOf(db: Database, representationIds: string[]): Map<string, RepresentationFile[]> {
  const rows = db
    .prepare<[string], FileRow>(
      `SELECT id, representation_id, name, path, size, hash, hash_type, sha256 FROM files
       WHERE representation_id IN (SELECT value FROM json_each(?)) ORDER BY representation_id, position`,
    )
    .all(JSON.stringify(representationIds));
  return groupFiles(rows);
}

export function getRepresentations(
  db: Database,
  project: string,
  filter: { ids?: string[]; versionIds?: string[] },
): Representation[] {
  const rows = db
    .prepare<NamedParams, RepresentationRow>(
      `SELECT id, version_id, name, context FROM representations
       WHERE project = @p1
         AND (@p2 IS NULL OR id IN (SELECT value FROM json_each(@p2)))
         AND (@p3 IS NULL OR version_id IN (SELECT value FROM json_each(@p3)))
       ORDER BY version_id, name`,
    )
    .all({ p1: project, p2: jsonList(filter.ids), p3: jsonList(filter.versionIds) });
  return withFiles(db, rows);
}

interface RepresentationRow {
  id: string;
  version_id: string;
  name: string;
  context: string;
}

function withFiles(db: Database, rows: RepresentationRow[]): Representation[] {
  const files = filesOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    versionId: r.version_id,
    name: r.name,
    context: JSON.parse(r.context),
    files: files.get(r.id) ?? [],
  }));
}

/**
 * `id > @after` with "" for the first page (every id sorts after it) rather
 * than `@after IS NULL OR ...`: SQLite plans an OR as a full scan, this as a
 * range on the primary key that stops after `limit` rows of the project.
 */
export function listRepresentations(db: Database, project: string, page: PageQuery): Representation[] {
  const rows = db
    .prepare<NamedParams, RepresentationRow>(
      `SELECT id, version_id, name, context FROM representations
       WHERE id > @after AND project = @project
       ORDER BY id LIMIT @limit`,
    )
    .all({ project, after: page.after ?? "", limit: page.limit });
  return withFiles(db, rows);
}

/**
 * A range on the primary key, `prefix <= id < prefix || U+FFFF`: every id that
 * starts with the prefix sorts inside it (SQLite compares text bytewise, and
 * U+FFFF's UTF-8 bytes sort after any id character), so it is an index seek
 * where `LIKE 'prefix%'` would scan.
 */
export function findRepresentationIds(
  db: Database,
  project: string,
  prefix: string,
  limit: number,
): string[] {
  return db
    .prepare<NamedParams, { id: string }>(
      `SELECT id FROM representations
       WHERE id >= @prefix AND id < @prefix || char(65535) AND project = @project
       ORDER BY id LIMIT @limit`,
    )
    .all({ project, prefix, limit })
    .map((r) => r.id);
}
