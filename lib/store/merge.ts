/**
 * The server's merge rules for a site state write, shared by every store that
 * keeps state itself (SQLite, PostgreSQL) so all behave like AYON's
 * `POST .../state/{representationId}/{site}`: a new record or `reset` rebuilds
 * the file list from the representation's current files (all NA, size 0);
 * otherwise the stored list is kept. Each update sets status, size, timestamp
 * and progress; message and retries are set when truthy and cleared otherwise;
 * updates for files the representation does not have are ignored. An
 * upload's resume point lives only while the file is pending (QUEUED or
 * IN_PROGRESS): a settled file drops it.
 */
import { overallStatus, SyncStatus } from "./status.js";
import type { FileState, FileStateUpdate, RepresentationFile } from "./types.js";

export function mergeFileStates(
  stored: readonly FileState[] | undefined,
  representationFiles: readonly Pick<RepresentationFile, "id">[],
  updates: readonly FileStateUpdate[],
  reset: boolean,
  now: number,
): { files: FileState[]; status: SyncStatus } {
  const byId = new Map<string, FileState>();
  if (stored && !reset) {
    for (const file of stored) byId.set(file.fileId, { ...file });
  } else {
    for (const file of representationFiles) {
      byId.set(file.id, {
        fileId: file.id,
        status: SyncStatus.NA,
        size: 0,
        timestamp: now,
        message: null,
        retries: 0,
        progress: 0,
      });
    }
  }
  for (const update of updates) {
    const current = byId.get(update.fileId);
    if (!current) continue;
    current.status = update.status;
    if (update.size !== undefined) current.size = update.size;
    current.timestamp = update.timestamp ?? now;
    current.message = update.message ? update.message : null;
    current.retries = update.retries ? update.retries : 0;
    current.progress = update.progress ?? (update.status === SyncStatus.OK ? 1 : current.progress);
    const pending = update.status === SyncStatus.QUEUED || update.status === SyncStatus.IN_PROGRESS;
    const resume = update.resume === undefined && pending ? current.resume : update.resume;
    if (resume) current.resume = resume;
    else delete current.resume;
  }
  const files = [...byId.values()];
  return { files, status: overallStatus(files.map((f) => f.status)) };
}
