/**
 * Rows as the stores that keep the catalog themselves (SQLite, PostgreSQL)
 * read them, turned into the interface's types, shared so both stores answer
 * alike. The caller parses JSON columns first (SQLite keeps text, PostgreSQL
 * JSONB that its driver parses).
 */
import type { SyncStatus } from "./status.js";
import type {
  FileState,
  Folder,
  PauseTarget,
  RepresentationFile,
  SiteState,
  Version,
  WorkItem,
  WorkQuery,
} from "./types.js";

export interface FolderRow {
  id: string;
  name: string;
  path: string;
  parent_id: string | null;
  folder_type: string;
}

export const toFolder = (r: FolderRow): Folder => ({
  id: r.id,
  name: r.name,
  path: r.path,
  parentId: r.parent_id,
  folderType: r.folder_type,
});

export interface VersionRow {
  id: string;
  product_id: string;
  version: number;
  task_id: string | null;
  author: string;
  created_at: string;
}

export const toVersion = (r: VersionRow): Version => ({
  id: r.id,
  productId: r.product_id,
  version: r.version,
  taskId: r.task_id,
  author: r.author,
  createdAt: r.created_at,
});

export interface FileRow {
  id: string;
  representation_id: string;
  name: string;
  path: string;
  size: number;
  hash: string;
  hash_type: string;
  sha256: string | null;
}

/** Files of several representations (rows in representation, position order), grouped by representation. */
export function groupFiles(rows: readonly FileRow[]): Map<string, RepresentationFile[]> {
  const out = new Map<string, RepresentationFile[]>();
  for (const r of rows) {
    let list = out.get(r.representation_id);
    if (!list) {
      list = [];
      out.set(r.representation_id, list);
    }
    list.push({
      id: r.id,
      name: r.name,
      path: r.path,
      size: r.size,
      hash: r.hash,
      hashType: r.hash_type,
      ...(r.sha256 ? { sha256: r.sha256 } : {}),
    });
  }
  return out;
}

/** The two records of a work query's row, their file lists already parsed. */
export interface WorkRecords {
  representation_id: string;
  version_id: string;
  want_site: string;
  want_priority: number;
  want_status: number;
  have_site: string;
  have_priority: number;
  have_status: number;
}

/** A work item from its row: the wanting side is the local site for downloads, the remote one for uploads. */
export function toWorkItem(
  row: WorkRecords,
  wantFiles: FileState[],
  haveFiles: FileState[],
  files: RepresentationFile[],
  direction: WorkQuery["direction"],
): WorkItem {
  const record = (site: string, priority: number, status: number, states: FileState[]): SiteState => ({
    representationId: row.representation_id,
    site,
    priority,
    status: status as SyncStatus,
    files: states,
  });
  const wanting = record(row.want_site, row.want_priority, row.want_status, wantFiles);
  const having = record(row.have_site, row.have_priority, row.have_status, haveFiles);
  return {
    representationId: row.representation_id,
    versionId: row.version_id,
    priority: row.want_priority,
    files,
    local: direction === "download" ? wanting : having,
    remote: direction === "download" ? having : wanting,
  };
}

/** A pause's key in the `pauses` table: (kind, project, representation id), "" where it has none. */
export function pauseKey(target: PauseTarget): [string, string, string] {
  switch (target.kind) {
    case "service":
      return ["service", "", ""];
    case "project":
      return ["project", target.project, ""];
    case "representation":
      return ["representation", target.project, target.representationId];
  }
}

export interface PauseRow {
  kind: string;
  project: string;
  representation_id: string;
}

export function toPauseTarget(r: PauseRow): PauseTarget {
  if (r.kind === "service") return { kind: "service" };
  if (r.kind === "project") return { kind: "project", project: r.project };
  return { kind: "representation", project: r.project, representationId: r.representation_id };
}
