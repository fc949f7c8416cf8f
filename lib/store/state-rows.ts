/**
 * Turning a status query's row into a `StateRow`, shared by the stores that
 * keep state themselves (SQLite, PostgreSQL), so `status` reads the same on
 * both. Linear in the representation's files: each site's states are looked
 * up by file id in a map.
 */
import { InputError } from "../errors.js";
import { SyncStatus } from "./status.js";
import type {
  FileState,
  RepresentationFile,
  SiteSummary,
  StateQuery,
  StateRow,
  StateSortKey,
} from "./types.js";

/** One representation of the status query, with both sites' records (null where a site has none). */
export interface StateQueryRow {
  id: string;
  version_id: string;
  name: string;
  version: number;
  product: string;
  folder: string;
  l_status: number | null;
  l_priority: number | null;
  r_status: number | null;
  r_priority: number | null;
}

const NO_FILE_STATE = { status: SyncStatus.NA, size: 0, timestamp: 0, retries: 0, message: null };

export function toStateRow(
  row: StateQueryRow,
  local: FileState[],
  remote: FileState[],
  files: RepresentationFile[],
): StateRow {
  const totalSize = files.reduce((sum, f) => sum + f.size, 0);
  const localById = new Map(local.map((s) => [s.fileId, s]));
  const remoteById = new Map(remote.map((s) => [s.fileId, s]));
  const fileState = (states: Map<string, FileState>, id: string) => {
    const s = states.get(id);
    return s
      ? { status: s.status, size: s.size, timestamp: s.timestamp, retries: s.retries, message: s.message }
      : NO_FILE_STATE;
  };
  return {
    representationId: row.id,
    versionId: row.version_id,
    folder: row.folder,
    product: row.product,
    version: row.version,
    representation: row.name,
    fileCount: files.length,
    size: totalSize,
    localStatus: summarize(row.l_status, row.l_priority, local, totalSize),
    remoteStatus: summarize(row.r_status, row.r_priority, remote, totalSize),
    files: files.map((f) => ({
      id: f.id,
      path: f.path,
      baseName: f.name,
      fileHash: f.hash,
      size: f.size,
      localStatus: fileState(localById, f.id),
      remoteStatus: fileState(remoteById, f.id),
    })),
  };
}

function summarize(
  status: number | null,
  priority: number | null,
  files: FileState[],
  totalSize: number,
): SiteSummary {
  if (status === null) {
    return { ...NO_FILE_STATE, totalSize, priority: 0 };
  }
  return {
    status: status as SyncStatus,
    size: files.reduce((sum, f) => sum + f.size, 0),
    totalSize,
    timestamp: files.reduce((max, f) => Math.max(max, f.timestamp), 0),
    retries: files.reduce((max, f) => Math.max(max, f.retries), 0),
    message: files.find((f) => f.message)?.message ?? null,
    priority: priority ?? 50,
  };
}

/**
 * The ORDER BY and page of a status query: the column for the user's sort key
 * (from the store's fixed list, never SQL text from the user), the direction
 * and the LIMIT/OFFSET of the page asked for.
 */
export function statusPage(
  query: StateQuery,
  sortColumns: Record<StateSortKey, string>,
): { order: string; direction: "ASC" | "DESC"; limit: number; offset: number } {
  const sortKey = query.sortBy ?? "folder";
  const order = sortColumns[sortKey];
  if (!order)
    throw new InputError(`unknown sort key "${sortKey}" (one of ${Object.keys(sortColumns).join(", ")})`);
  const limit = query.pageLength ?? 50;
  return {
    order,
    direction: query.sortDesc ? "DESC" : "ASC",
    limit,
    offset: ((query.page ?? 1) - 1) * limit,
  };
}
