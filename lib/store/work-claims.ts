/**
 * Which files of a work item a batch claims (`WorkQuery.claimFor`): those the
 * wanting side still wants (QUEUED, or IN_PROGRESS left by a stopped process)
 * and the other side has (OK). Shared by the stores, so both claim the same.
 */
import { SyncStatus } from "./status.js";
import type { FileState } from "./types.js";

export function wantedFileIds(want: readonly FileState[], have: readonly FileState[]): string[] {
  const ok = new Set(have.filter((f) => f.status === SyncStatus.OK).map((f) => f.fileId));
  return want
    .filter(
      (f) => (f.status === SyncStatus.QUEUED || f.status === SyncStatus.IN_PROGRESS) && ok.has(f.fileId),
    )
    .map((f) => f.fileId);
}
