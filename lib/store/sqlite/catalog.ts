/** Catalog reads and writes of the embedded store. Every multi-row change runs in one transaction. */
import type { Database } from "better-sqlite3";
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
import { jsonList, type NamedParams, nowSeconds, writeSiteState } from "./rows.js";

interface ProjectRow {
  name: string;
  code: string;
  anatomy: string;
}

const toProject = (row: ProjectRow): Project => ({
  name: row.name,
  code: row.code,
  anatomy: JSON.parse(row.anatomy),
});

export function listProjects(db: Database): Project[] {
  return db
    .prepare<[], ProjectRow>("SELECT name, code, anatomy FROM projects ORDER BY name")
    .all()
    .map(toProject);
}

export function getProject(db: Database, name: string): Project | undefined {
  const row = db
    .prepare<[string], ProjectRow>("SELECT name, code, anatomy FROM projects WHERE name = ?")
    .get(name);
  return row && toProject(row);
}

export function importProject(db: Database, project: ProjectImport): void {
  const upsertProject = db.prepare(
    `INSERT INTO projects (name, code, anatomy, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET code = excluded.code, anatomy = excluded.anatomy`,
  );
  const findFolder = db.prepare<[string, string], { id: string }>(
    "SELECT id FROM folders WHERE project = ? AND path = ?",
  );
  const insertFolder = db.prepare(
    "INSERT INTO folders (id, project, name, path, parent_id, folder_type) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const setFolderType = db.prepare("UPDATE folders SET folder_type = ? WHERE id = ?");
  const upsertTask = db.prepare(
    `INSERT INTO tasks (id, project, folder_id, name, task_type) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (folder_id, name) DO UPDATE SET task_type = excluded.task_type`,
  );
  db.transaction(() => {
    upsertProject.run(project.name, project.code, JSON.stringify(project.anatomy), new Date().toISOString());
    const ensureFolder = (path: string, folderType: string | undefined): string => {
      const existing = findFolder.get(project.name, path);
      if (existing) {
        if (folderType) setFolderType.run(folderType, existing.id);
        return existing.id;
      }
      const cut = path.lastIndexOf("/");
      const parentId = cut > 0 ? ensureFolder(path.slice(0, cut), undefined) : null;
      const id = newId();
      insertFolder.run(id, project.name, path.slice(cut + 1), path, parentId, folderType ?? "Folder");
      return id;
    };
    for (const folder of project.folders) {
      const folderId = ensureFolder(folder.path, folder.folderType ?? "Asset");
      for (const task of folder.tasks) upsertTask.run(newId(), project.name, folderId, task.name, task.type);
    }
  }).immediate();
}

export function getFolderByPath(db: Database, project: string, path: string): Folder | undefined {
  const row = db
    .prepare<[string, string], FolderRow>(
      "SELECT id, name, path, parent_id, folder_type FROM folders WHERE project = ? AND path = ?",
    )
    .get(project, path);
  return row && toFolder(row);
}

export function getFolders(db: Database, project: string, ids: string[]): Folder[] {
  return db
    .prepare<[string, string], FolderRow>(
      "SELECT id, name, path, parent_id, folder_type FROM folders WHERE project = ? AND id IN (SELECT value FROM json_each(?))",
    )
    .all(project, JSON.stringify(ids))
    .map(toFolder);
}

export function getTask(db: Database, project: string, folderId: string, name: string): Task | undefined {
  const row = db
    .prepare<[string, string, string], { id: string; folder_id: string; name: string; task_type: string }>(
      "SELECT id, folder_id, name, task_type FROM tasks WHERE project = ? AND folder_id = ? AND name = ?",
    )
    .get(project, folderId, name);
  return row && { id: row.id, folderId: row.folder_id, name: row.name, taskType: row.task_type };
}

export function getProducts(
  db: Database,
  project: string,
  filter: { folderIds?: string[]; names?: string[]; productBaseTypes?: string[] },
): Product[] {
  const rows = db
    .prepare<
      NamedParams,
      { id: string; folder_id: string; name: string; product_type: string; product_base_type: string }
    >(
      `SELECT id, folder_id, name, product_type, product_base_type FROM products
       WHERE project = @p1
         AND (@p2 IS NULL OR folder_id IN (SELECT value FROM json_each(@p2)))
         AND (@p3 IS NULL OR name IN (SELECT value FROM json_each(@p3)))
         AND (@p4 IS NULL OR product_base_type IN (SELECT value FROM json_each(@p4)))
       ORDER BY name`,
    )
    .all({
      p1: project,
      p2: jsonList(filter.folderIds),
      p3: jsonList(filter.names),
      p4: jsonList(filter.productBaseTypes),
    });
  return rows.map((r) => ({
    id: r.id,
    folderId: r.folder_id,
    name: r.name,
    productType: r.product_type,
    productBaseType: r.product_base_type,
  }));
}

export function getVersions(
  db: Database,
  project: string,
  filter: { ids?: string[]; productIds?: string[] },
): Version[] {
  return db
    .prepare<NamedParams, VersionRow>(
      `SELECT id, product_id, version, task_id, author, created_at FROM versions
       WHERE project = @p1
         AND (@p2 IS NULL OR id IN (SELECT value FROM json_each(@p2)))
         AND (@p3 IS NULL OR product_id IN (SELECT value FROM json_each(@p3)))
       ORDER BY product_id, version`,
    )
    .all({ p1: project, p2: jsonList(filter.ids), p3: jsonList(filter.productIds) })
    .map(toVersion);
}

export function getLastVersions(db: Database, project: string, productIds: string[]): Map<string, Version> {
  const rows = db
    .prepare<[string, string], VersionRow>(
      `SELECT id, product_id, version, task_id, author, created_at FROM versions v
       WHERE project = ? AND product_id IN (SELECT value FROM json_each(?))
         AND version = (SELECT MAX(version) FROM versions w WHERE w.product_id = v.product_id AND w.version > 0)`,
    )
    .all(project, JSON.stringify(productIds));
  return new Map(rows.map((r) => [r.product_id, toVersion(r)]));
}

export function getVersionLinks(
  db: Database,
  project: string,
  versionIds: string[],
  linkTypes?: string[],
): VersionLink[] {
  return db
    .prepare<NamedParams, { input_version_id: string; output_version_id: string; link_type: string }>(
      `SELECT input_version_id, output_version_id, link_type FROM version_links
       WHERE project = @p1 AND output_version_id IN (SELECT value FROM json_each(@p2))
         AND (@p3 IS NULL OR link_type IN (SELECT value FROM json_each(@p3)))`,
    )
    .all({ p1: project, p2: JSON.stringify(versionIds), p3: jsonList(linkTypes) })
    .map((r) => ({
      inputVersionId: r.input_version_id,
      outputVersionId: r.output_version_id,
      linkType: r.link_type,
    }));
}

export function registerPublish(db: Database, project: string, record: PublishRecord): { productId: string } {
  const { product, version, representation } = record;
  return db
    .transaction(() => {
      const found = db
        .prepare<[string, string], { id: string }>("SELECT id FROM products WHERE folder_id = ? AND name = ?")
        .get(product.folderId, product.name);
      const productId = found?.id ?? newId();
      if (!found) {
        db.prepare(
          "INSERT INTO products (id, project, folder_id, name, product_type, product_base_type) VALUES (?, ?, ?, ?, ?, ?)",
        ).run(
          productId,
          project,
          product.folderId,
          product.name,
          product.productType,
          product.productBaseType,
        );
      }
      const taken = db
        .prepare<[string, number, string], { id: string }>(
          "SELECT id FROM versions WHERE product_id = ? AND version = ? AND id <> ?",
        )
        .get(productId, version.version, version.id);
      if (taken) {
        throw new InputError(
          `product "${product.name}" already has version ${version.version} (another publish took it); publish again`,
        );
      }
      db.prepare(
        `INSERT INTO versions (id, project, product_id, version, task_id, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version = excluded.version, task_id = excluded.task_id,
         author = excluded.author, created_at = excluded.created_at`,
      ).run(
        version.id,
        project,
        productId,
        version.version,
        version.taskId,
        version.author,
        new Date().toISOString(),
      );
      if (record.replaceRepresentation) {
        db.prepare("DELETE FROM files WHERE representation_id = ?").run(representation.id);
      }
      db.prepare(
        `INSERT INTO representations (id, project, version_id, name, context) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET version_id = excluded.version_id, name = excluded.name, context = excluded.context`,
      ).run(
        representation.id,
        project,
        version.id,
        representation.name,
        JSON.stringify(representation.context),
      );
      const insertFile = db.prepare(
        "INSERT INTO files (id, representation_id, position, name, path, size, hash, hash_type, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      representation.files.forEach((f, i) => {
        insertFile.run(
          f.id,
          representation.id,
          i,
          f.name,
          f.path,
          f.size,
          f.hash,
          f.hashType,
          f.sha256 ?? null,
        );
      });
      const insertLink = db.prepare(
        "INSERT OR IGNORE INTO version_links (project, input_version_id, output_version_id, link_type) VALUES (?, ?, ?, ?)",
      );
      for (const link of record.links)
        insertLink.run(project, link.inputVersionId, version.id, link.linkType);
      const now = nowSeconds();
      for (const state of record.siteStates) {
        const merged = mergeFileStates(undefined, representation.files, state.files, true, now);
        writeSiteState(db, project, representation.id, state.site, merged, state.priority ?? 50, now);
      }
      return { productId };
    })
    .immediate();
}
