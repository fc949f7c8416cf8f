/** Sync status codes, as AYON stores them. */
export const SyncStatus = {
  NA: -1,
  IN_PROGRESS: 0,
  QUEUED: 1,
  FAILED: 2,
  PAUSED: 3,
  OK: 4,
} as const;

export type SyncStatus = (typeof SyncStatus)[keyof typeof SyncStatus];

const NAMES = new Map<number, string>(Object.entries(SyncStatus).map(([name, code]) => [code, name]));

export function statusName(status: number): string {
  return NAMES.get(status) ?? `UNKNOWN(${status})`;
}

export function isSyncStatus(value: unknown): value is SyncStatus {
  return typeof value === "number" && NAMES.has(value);
}

/**
 * A representation's status on a site from its files' statuses (AYON's rule):
 * all NA -> NA; all OK -> OK; else any FAILED, else any IN_PROGRESS, else any
 * PAUSED, else QUEUED.
 */
export function overallStatus(statuses: readonly SyncStatus[]): SyncStatus {
  if (statuses.length === 0 || statuses.every((s) => s === SyncStatus.NA)) return SyncStatus.NA;
  if (statuses.every((s) => s === SyncStatus.OK)) return SyncStatus.OK;
  for (const s of [SyncStatus.FAILED, SyncStatus.IN_PROGRESS, SyncStatus.PAUSED]) {
    if (statuses.includes(s)) return s;
  }
  return SyncStatus.QUEUED;
}
