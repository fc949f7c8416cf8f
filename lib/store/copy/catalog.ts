/**
 * The catalog part of `store copy` (lib/store/copy.ts): projects by name,
 * folders by (project, path), tasks and products by (folder, name), versions
 * by (product, version number), then version links. Each page of a table is
 * one transaction; a natural key the target already has maps the source's id
 * to the target's, so the rows below follow the studio's entities.
 */
import { newId } from "../ids.js";
import type { Query } from "../postgres/db.js";
import { keysetPages, mapped } from "./pages.js";
import type { CopyRun, VersionConflict } from "./types.js";

export async function copyProjects(run: CopyRun): Promise<void> {
  const rows = run.source
    .prepare<[], { name: string; code: string; anatomy: string; created_at: string }>(
      "SELECT name, code, anatomy, created_at FROM projects ORDER BY name",
    )
    .all();
  if (rows.length === 0) return;
  // An existing project keeps its code and anatomy: the studio's win.
  const inserted = await run.db.tx((q) =>
    q(
      `INSERT INTO projects (name, code, anatomy, created_at)
       SELECT p.name, p.code, p.anatomy::jsonb, p.created_at::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS p(name, code, anatomy, created_at)
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      [
        rows.map((r) => r.name),
        rows.map((r) => r.code),
        rows.map((r) => r.anatomy),
        rows.map((r) => r.created_at),
      ],
    ),
  );
  run.counts.projects.copied += inserted.length;
  run.counts.projects.present += rows.length - inserted.length;
}

/** A table whose rows are matched by a natural key of two text columns. */
interface KeyedTable {
  table: "folders" | "tasks" | "products";
  key: readonly [string, string];
  /** Every column inserted, id first, with its array parameter's element type. */
  columns: ReadonlyArray<readonly [string, string]>;
}

interface KeyedRow {
  id: string;
  key: [string, string];
  /** The columns after id, computed once every row of the page has its target id (a parent in the page). */
  values: () => unknown[];
}

/** Maps each row to the target's row with its key, inserting those the target lacks; returns how many. */
async function matchOrInsert(
  q: Query,
  spec: KeyedTable,
  rows: KeyedRow[],
  map: Map<string, string>,
): Promise<number> {
  const lookup = async (subset: KeyedRow[]): Promise<Map<number, string>> => {
    const found = await q<{ i: number; id: string }>(
      `SELECT k.i, t.id FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(a, b, i)
       JOIN ${spec.table} t ON t.${spec.key[0]} = k.a AND t.${spec.key[1]} = k.b`,
      [subset.map((r) => r.key[0]), subset.map((r) => r.key[1])],
    );
    return new Map(found.map((f) => [Number(f.i) - 1, f.id]));
  };
  const found = await lookup(rows);
  const absent: KeyedRow[] = [];
  rows.forEach((row, i) => {
    const id = found.get(i);
    if (id === undefined) absent.push(row);
    else map.set(row.id, id);
  });
  if (absent.length === 0) return 0;
  // The source's id is kept unless the target uses it for another row.
  const taken = new Set(
    (
      await q<{ id: string }>(`SELECT id FROM ${spec.table} WHERE id = ANY($1::text[])`, [
        absent.map((r) => r.id),
      ])
    ).map((r) => r.id),
  );
  for (const row of absent) map.set(row.id, taken.has(row.id) ? newId() : row.id);
  const values = absent.map((row) => [map.get(row.id), ...row.values()]);
  const names = spec.columns.map(([name]) => name).join(", ");
  const arrays = spec.columns.map(([, type], c) => `$${c + 1}::${type}[]`).join(", ");
  const inserted = await q(
    `INSERT INTO ${spec.table} (${names}) SELECT * FROM unnest(${arrays}) ON CONFLICT DO NOTHING RETURNING id`,
    spec.columns.map((_, c) => values.map((v) => v[c])),
  );
  // A row another writer inserted meanwhile is used as the target's.
  const again = await lookup(absent);
  absent.forEach((row, i) => {
    const id = again.get(i);
    if (id !== undefined) map.set(row.id, id);
  });
  return inserted.length;
}

async function copyKeyed<R>(
  run: CopyRun,
  spec: KeyedTable,
  pages: Generator<R[]>,
  toRow: (row: R) => KeyedRow,
  map: Map<string, string>,
): Promise<void> {
  const counts = run.counts[spec.table];
  for (const page of pages) {
    const rows = page.map(toRow);
    const copied = await run.db.tx((q) => matchOrInsert(q, spec, rows, map));
    counts.copied += copied;
    counts.present += rows.length - copied;
  }
}

interface FolderRow {
  id: string;
  project: string;
  name: string;
  path: string;
  parent_id: string | null;
  folder_type: string;
}

export async function copyFolders(run: CopyRun): Promise<void> {
  // By path: a parent's path is a prefix of its children's, so it comes first.
  const pages = keysetPages<FolderRow>(
    run.source,
    "SELECT id, project, name, path, parent_id, folder_type FROM folders",
    ["project", "path"],
    (r) => [r.project, r.path],
    run.pageSize,
  );
  await copyKeyed(
    run,
    {
      table: "folders",
      key: ["project", "path"],
      columns: [
        ["id", "text"],
        ["project", "text"],
        ["name", "text"],
        ["path", "text"],
        ["parent_id", "text"],
        ["folder_type", "text"],
      ],
    },
    pages,
    (r) => ({
      id: r.id,
      key: [r.project, r.path],
      values: () => [
        r.project,
        r.name,
        r.path,
        r.parent_id === null ? null : mapped(run.folders, r.parent_id, "folder", run.from),
        r.folder_type,
      ],
    }),
    run.folders,
  );
}

interface TaskRow {
  id: string;
  project: string;
  folder_id: string;
  name: string;
  task_type: string;
}

export async function copyTasks(run: CopyRun): Promise<void> {
  const pages = keysetPages<TaskRow>(
    run.source,
    "SELECT id, project, folder_id, name, task_type FROM tasks",
    ["id"],
    (r) => [r.id],
    run.pageSize,
  );
  await copyKeyed(
    run,
    {
      table: "tasks",
      key: ["folder_id", "name"],
      columns: [
        ["id", "text"],
        ["project", "text"],
        ["folder_id", "text"],
        ["name", "text"],
        ["task_type", "text"],
      ],
    },
    pages,
    (r) => {
      const folderId = mapped(run.folders, r.folder_id, "folder", run.from);
      return { id: r.id, key: [folderId, r.name], values: () => [r.project, folderId, r.name, r.task_type] };
    },
    run.tasks,
  );
}

interface ProductRow {
  id: string;
  project: string;
  folder_id: string;
  name: string;
  product_type: string;
  product_base_type: string;
}

export async function copyProducts(run: CopyRun): Promise<void> {
  const pages = keysetPages<ProductRow>(
    run.source,
    "SELECT id, project, folder_id, name, product_type, product_base_type FROM products",
    ["id"],
    (r) => [r.id],
    run.pageSize,
  );
  await copyKeyed(
    run,
    {
      table: "products",
      key: ["folder_id", "name"],
      columns: [
        ["id", "text"],
        ["project", "text"],
        ["folder_id", "text"],
        ["name", "text"],
        ["product_type", "text"],
        ["product_base_type", "text"],
      ],
    },
    pages,
    (r) => {
      const folderId = mapped(run.folders, r.folder_id, "folder", run.from);
      return {
        id: r.id,
        key: [folderId, r.name],
        values: () => [r.project, folderId, r.name, r.product_type, r.product_base_type],
      };
    },
    run.products,
  );
}

interface VersionRow {
  id: string;
  project: string;
  product_id: string;
  version: number;
  task_id: string | null;
  author: string;
  created_at: string;
  product: string;
  folder: string;
}

/**
 * Versions keep their ids. A version number the target's product already has
 * under another id is a second publish claiming it: that version, and all
 * under it, is left out and reported.
 */
export async function copyVersions(run: CopyRun): Promise<void> {
  const pages = keysetPages<VersionRow>(
    run.source,
    `SELECT v.id, v.project, v.product_id, v.version, v.task_id, v.author, v.created_at,
            p.name AS product, f.path AS folder
     FROM versions v JOIN products p ON p.id = v.product_id JOIN folders f ON f.id = p.folder_id`,
    ["v.id"],
    (r) => [r.id],
    run.pageSize,
  );
  for (const page of pages) {
    const productIds = page.map((r) => mapped(run.products, r.product_id, "product", run.from));
    const result = await run.db.tx(async (q) => {
      const lookup = async (indexes: number[]): Promise<Map<number, string>> => {
        const found = await q<{ i: number; id: string }>(
          `SELECT k.i, v.id FROM unnest($1::text[], $2::int[], $3::int[]) AS k(product_id, version, i)
           JOIN versions v ON v.product_id = k.product_id AND v.version = k.version`,
          [indexes.map((i) => productIds[i]), indexes.map((i) => page[i]?.version), indexes],
        );
        return new Map(found.map((f) => [f.i, f.id]));
      };
      const all = page.map((_, i) => i);
      const found = await lookup(all);
      const absent = all.filter((i) => !found.has(i));
      let copied = 0;
      if (absent.length > 0) {
        const rows = absent.map((i) => page[i] as VersionRow);
        const inserted = await q(
          `INSERT INTO versions (id, project, product_id, version, task_id, author, created_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[])
           ON CONFLICT DO NOTHING RETURNING id`,
          [
            rows.map((r) => r.id),
            rows.map((r) => r.project),
            absent.map((i) => productIds[i]),
            rows.map((r) => r.version),
            rows.map((r) => (r.task_id === null ? null : (run.tasks.get(r.task_id) ?? null))),
            rows.map((r) => r.author),
            rows.map((r) => r.created_at),
          ],
        );
        copied = inserted.length;
        // Not inserted: another writer took the number meanwhile, or the id is another version's.
        for (const [i, id] of await lookup(absent)) found.set(i, id);
        for (const i of absent) if (!found.has(i)) found.set(i, "");
      }
      const conflicts: VersionConflict[] = [];
      page.forEach((row, i) => {
        const target = found.get(i);
        if (target !== undefined && target !== row.id) {
          conflicts.push({
            project: row.project,
            folder: row.folder,
            product: row.product,
            version: row.version,
            sourceVersionId: row.id,
            targetVersionId: target || row.id,
          });
        }
      });
      return { copied, conflicts };
    });
    run.counts.versions.copied += result.copied;
    run.counts.versions.skipped += result.conflicts.length;
    run.counts.versions.present += page.length - result.copied - result.conflicts.length;
    for (const conflict of result.conflicts) {
      run.conflicts.push(conflict);
      run.conflicted.add(conflict.sourceVersionId);
    }
  }
}

interface LinkRow {
  project: string;
  input_version_id: string;
  output_version_id: string;
  link_type: string;
}

/** Links keep their version ids (versions keep theirs); a link touching a conflicting version is left out. */
export async function copyVersionLinks(run: CopyRun): Promise<void> {
  const pages = keysetPages<LinkRow>(
    run.source,
    "SELECT project, input_version_id, output_version_id, link_type FROM version_links",
    ["output_version_id", "input_version_id", "link_type"],
    (r) => [r.output_version_id, r.input_version_id, r.link_type],
    run.pageSize,
  );
  const counts = run.counts.versionLinks;
  for (const page of pages) {
    const rows = page.filter(
      (r) => !run.conflicted.has(r.input_version_id) && !run.conflicted.has(r.output_version_id),
    );
    counts.skipped += page.length - rows.length;
    if (rows.length === 0) continue;
    const inserted = await run.db.tx((q) =>
      q(
        `INSERT INTO version_links (project, input_version_id, output_version_id, link_type)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT DO NOTHING RETURNING link_type`,
        [
          rows.map((r) => r.project),
          rows.map((r) => r.input_version_id),
          rows.map((r) => r.output_version_id),
          rows.map((r) => r.link_type),
        ],
      ),
    );
    counts.copied += inserted.length;
    counts.present += rows.length - inserted.length;
  }
}
