/** Catalog reads and writes of the PostgreSQL store. Every multi-row change runs in one transaction. */
import { InputError } from "../../errors.js";
import { newId } from "../ids.js";
import { mergeFileStates } from "../merge.js";
import { type FolderRow, toFolder, toVersion, type VersionRow } from "../rows.js";
import type {
  Folder,
  Product,
  Project,
  ProjectImport,
  PublishRecord,
  Task,
  Version,
  VersionLink,
} from "../types.js";
import type { Db, Query } from "./db.js";
import { nowSeconds, writeSiteState } from "./rows.js";

const VERSION_COLUMNS = "id, product_id, version, task_id, author, created_at";
const FOLDER_COLUMNS = "id, name, path, parent_id, folder_type";

export async function listProjects(db: Db): Promise<Project[]> {
  return db.query<Project>("SELECT name, code, anatomy FROM projects ORDER BY name");
}

export async function getProject(db: Db, name: string): Promise<Project | undefined> {
  const [row] = await db.query<Project>("SELECT name, code, anatomy FROM projects WHERE name = $1", [name]);
  return row;
}

export function importProject(db: Db, project: ProjectImport): Promise<void> {
  return db.tx(async (q) => {
    await q(
      `INSERT INTO projects (name, code, anatomy) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET code = excluded.code, anatomy = excluded.anatomy`,
      [project.name, project.code, JSON.stringify(project.anatomy)],
    );
    const ensureFolder = async (path: string, folderType: string | undefined): Promise<string> => {
      const [existing] = await q<{ id: string }>("SELECT id FROM folders WHERE project = $1 AND path = $2", [
        project.name,
        path,
      ]);
      if (existing) {
        if (folderType)
          await q("UPDATE folders SET folder_type = $1 WHERE id = $2", [folderType, existing.id]);
        return existing.id;
      }
      const cut = path.lastIndexOf("/");
      const parentId = cut > 0 ? await ensureFolder(path.slice(0, cut), undefined) : null;
      // Two imports of the same project at once: the second one's insert finds the first one's row.
      const [inserted] = await q<{ id: string }>(
        `INSERT INTO folders (id, project, name, path, parent_id, folder_type) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (project, path) DO UPDATE SET folder_type = folders.folder_type RETURNING id`,
        [newId(), project.name, path.slice(cut + 1), path, parentId, folderType ?? "Folder"],
      );
      return (inserted as { id: string }).id;
    };
    for (const folder of project.folders) {
      const folderId = await ensureFolder(folder.path, folder.folderType ?? "Asset");
      for (const task of folder.tasks) {
        await q(
          `INSERT INTO tasks (id, project, folder_id, name, task_type) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (folder_id, name) DO UPDATE SET task_type = excluded.task_type`,
          [newId(), project.name, folderId, task.name, task.type],
        );
      }
    }
  });
}

export async function getFolderByPath(db: Db, project: string, path: string): Promise<Folder | undefined> {
  const [row] = await db.query<FolderRow>(
    `SELECT ${FOLDER_COLUMNS} FROM folders WHERE project = $1 AND path = $2`,
    [project, path],
  );
  return row && toFolder(row);
}

export async function getFolders(db: Db, project: string, ids: string[]): Promise<Folder[]> {
  const rows = await db.query<FolderRow>(
    `SELECT ${FOLDER_COLUMNS} FROM folders WHERE project = $1 AND id = ANY($2::text[])`,
    [project, ids],
  );
  return rows.map(toFolder);
}

export async function getTask(
  db: Db,
  project: string,
  folderId: string,
  name: string,
): Promise<Task | undefined> {
  const [row] = await db.query<{ id: string; folder_id: string; name: string; task_type: string }>(
    "SELECT id, folder_id, name, task_type FROM tasks WHERE project = $1 AND folder_id = $2 AND name = $3",
    [project, folderId, name],
  );
  return row && { id: row.id, folderId: row.folder_id, name: row.name, taskType: row.task_type };
}

export async function getProducts(
  db: Db,
  project: string,
  filter: { folderIds?: string[]; names?: string[]; productBaseTypes?: string[] },
): Promise<Product[]> {
  const rows = await db.query<{
    id: string;
    folder_id: string;
    name: string;
    product_type: string;
    product_base_type: string;
  }>(
    `SELECT id, folder_id, name, product_type, product_base_type FROM products
     WHERE project = $1
       AND ($2::text[] IS NULL OR folder_id = ANY($2::text[]))
       AND ($3::text[] IS NULL OR name = ANY($3::text[]))
       AND ($4::text[] IS NULL OR product_base_type = ANY($4::text[]))
     ORDER BY name COLLATE "C"`,
    [project, filter.folderIds ?? null, filter.names ?? null, filter.productBaseTypes ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    folderId: r.folder_id,
    name: r.name,
    productType: r.product_type,
    productBaseType: r.product_base_type,
  }));
}

export async function getVersions(
  db: Db,
  project: string,
  filter: { ids?: string[]; productIds?: string[] },
): Promise<Version[]> {
  const rows = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM versions
     WHERE project = $1
       AND ($2::text[] IS NULL OR id = ANY($2::text[]))
       AND ($3::text[] IS NULL OR product_id = ANY($3::text[]))
     ORDER BY product_id, version`,
    [project, filter.ids ?? null, filter.productIds ?? null],
  );
  return rows.map(toVersion);
}

export async function getLastVersions(
  db: Db,
  project: string,
  productIds: string[],
): Promise<Map<string, Version>> {
  const rows = await db.query<VersionRow>(
    `SELECT DISTINCT ON (product_id) ${VERSION_COLUMNS} FROM versions
     WHERE project = $1 AND product_id = ANY($2::text[]) AND version > 0
     ORDER BY product_id, version DESC`,
    [project, productIds],
  );
  return new Map(rows.map((r) => [r.product_id, toVersion(r)]));
}

export async function getVersionLinks(
  db: Db,
  project: string,
  versionIds: string[],
  linkTypes?: string[],
): Promise<VersionLink[]> {
  const rows = await db.query<{ input_version_id: string; output_version_id: string; link_type: string }>(
    `SELECT input_version_id, output_version_id, link_type FROM version_links
     WHERE project = $1 AND output_version_id = ANY($2::text[])
       AND ($3::text[] IS NULL OR link_type = ANY($3::text[]))`,
    [project, versionIds, linkTypes ?? null],
  );
  return rows.map((r) => ({
    inputVersionId: r.input_version_id,
    outputVersionId: r.output_version_id,
    linkType: r.link_type,
  }));
}

/**
 * Idempotent as a whole (every insert is an upsert by id), so a transaction
 * retried after its COMMIT's answer was lost writes the same rows again.
 */
export function registerPublish(
  db: Db,
  project: string,
  record: PublishRecord,
): Promise<{ productId: string }> {
  const { product, version, representation } = record;
  return db.tx(async (q) => {
    const productId = await ensureProduct(q, project, product);
    const [taken] = await q<{ id: string }>(
      "SELECT id FROM versions WHERE product_id = $1 AND version = $2 AND id <> $3",
      [productId, version.version, version.id],
    );
    if (taken) {
      throw new InputError(
        `product "${product.name}" already has version ${version.version} (another publish took it); publish again`,
      );
    }
    await q(
      `INSERT INTO versions (id, project, product_id, version, task_id, author, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, task_id = excluded.task_id,
         author = excluded.author, created_at = excluded.created_at`,
      [
        version.id,
        project,
        productId,
        version.version,
        version.taskId,
        version.author,
        new Date().toISOString(),
      ],
    );
    if (record.replaceRepresentation) {
      await q("DELETE FROM files WHERE representation_id = $1", [representation.id]);
    }
    await q(
      `INSERT INTO representations (id, project, version_id, name, context) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET version_id = excluded.version_id, name = excluded.name, context = excluded.context`,
      [representation.id, project, version.id, representation.name, JSON.stringify(representation.context)],
    );
    await insertFiles(q, representation.id, representation.files);
    for (const link of record.links) {
      await q(
        `INSERT INTO version_links (project, input_version_id, output_version_id, link_type)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [project, link.inputVersionId, version.id, link.linkType],
      );
    }
    const now = nowSeconds();
    for (const state of record.siteStates) {
      const merged = mergeFileStates(undefined, representation.files, state.files, true, now);
      await writeSiteState(q, project, representation.id, state.site, merged, state.priority ?? 50, now);
    }
    return { productId };
  });
}

async function ensureProduct(q: Query, project: string, product: PublishRecord["product"]): Promise<string> {
  // An upsert, not select-then-insert: two first publishes of a product at once get the same row.
  const [row] = await q<{ id: string }>(
    `INSERT INTO products (id, project, folder_id, name, product_type, product_base_type)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (folder_id, name) DO UPDATE SET name = excluded.name RETURNING id`,
    [newId(), project, product.folderId, product.name, product.productType, product.productBaseType],
  );
  return (row as { id: string }).id;
}

/** All of a representation's files in one statement (unnest of parallel arrays), whatever their number. */
async function insertFiles(
  q: Query,
  representationId: string,
  files: PublishRecord["representation"]["files"],
): Promise<void> {
  if (files.length === 0) return;
  await q(
    `INSERT INTO files (id, representation_id, position, name, path, size, hash, hash_type, sha256)
     SELECT f.id, $1, f.position, f.name, f.path, f.size, f.hash, f.hash_type, f.sha256
     FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[])
       AS f(id, position, name, path, size, hash, hash_type, sha256)
     ON CONFLICT (id) DO UPDATE SET representation_id = excluded.representation_id, position = excluded.position,
       name = excluded.name, path = excluded.path, size = excluded.size, hash = excluded.hash,
       hash_type = excluded.hash_type, sha256 = excluded.sha256`,
    [
      representationId,
      files.map((f) => f.id),
      files.map((_, i) => i),
      files.map((f) => f.name),
      files.map((f) => f.path),
      files.map((f) => f.size),
      files.map((f) => f.hash),
      files.map((f) => f.hashType),
      files.map((f) => f.sha256 ?? null),
    ],
  );
}
