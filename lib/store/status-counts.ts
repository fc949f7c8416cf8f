/**
 * The status query's counts per pair of statuses from the counts a store keeps
 * as states change (docs/adding-a-store.md "The status query's kept tables"),
 * shared by the SQLite and PostgreSQL stores: no representation is walked.
 *
 * A representation with no record on a site counts as NA there, so the pairs
 * with an NA side are what the kept counts leave over: records on the local
 * site minus those with a record on the remote site too, and so on.
 */
import { SyncStatus } from "./status.js";
import type { StateCount, StateQuery } from "./types.js";

export interface KeptCounts {
  /** Representations of the project. */
  representations: number;
  /** Records on the local site, per status. */
  local: ReadonlyArray<{ status: number; n: number }>;
  /** Records on the remote site, per status. */
  remote: ReadonlyArray<{ status: number; n: number }>;
  /** Representations with a record on both sites, per pair of statuses (ignored when the sites are one). */
  both: ReadonlyArray<{ status: number; otherStatus: number; n: number }>;
}

/**
 * Whether a query's counts and folder-sorted pages can come from the kept
 * tables: no filter on the catalog (folder, product, version, names, ids).
 * Status filters can: they pick among the kept counts.
 */
export function servedByKeptTables(query: StateQuery): boolean {
  return (
    query.representationIds === undefined &&
    query.folderFilter === undefined &&
    query.productFilter === undefined &&
    query.versionFilter === undefined &&
    query.representationNames === undefined
  );
}

export function countsFromKept(kept: KeptCounts, query: StateQuery): StateCount[] {
  const counts = new Map<string, StateCount>();
  const add = (localStatus: number, remoteStatus: number, n: number) => {
    if (n === 0) return;
    const key = `${localStatus},${remoteStatus}`;
    const found = counts.get(key);
    if (found) found.count += n;
    else
      counts.set(key, {
        localStatus: localStatus as SyncStatus,
        remoteStatus: remoteStatus as SyncStatus,
        count: n,
      });
  };
  const sum = (rows: ReadonlyArray<{ n: number }>) => rows.reduce((total, row) => total + row.n, 0);
  const NA = SyncStatus.NA;
  if (query.localSite === query.remoteSite) {
    for (const { status, n } of kept.local) add(status, status, n);
    add(NA, NA, kept.representations - sum(kept.local));
  } else {
    const localLeft = new Map<number, number>();
    const remoteLeft = new Map<number, number>();
    for (const { status, n } of kept.local) localLeft.set(status, (localLeft.get(status) ?? 0) + n);
    for (const { status, n } of kept.remote) remoteLeft.set(status, (remoteLeft.get(status) ?? 0) + n);
    for (const { status, otherStatus, n } of kept.both) {
      add(status, otherStatus, n);
      localLeft.set(status, (localLeft.get(status) ?? 0) - n);
      remoteLeft.set(otherStatus, (remoteLeft.get(otherStatus) ?? 0) - n);
    }
    for (const [status, n] of localLeft) add(status, NA, n);
    for (const [status, n] of remoteLeft) add(NA, status, n);
    add(NA, NA, kept.representations - sum(kept.local) - sum(kept.remote) + sum(kept.both));
  }
  const wanted = (filter: readonly number[] | undefined, status: number) =>
    filter === undefined || filter.includes(status);
  return [...counts.values()]
    .filter(
      (c) =>
        c.count > 0 &&
        wanted(query.localStatusFilter, c.localStatus) &&
        wanted(query.remoteStatusFilter, c.remoteStatus),
    )
    .sort((a, b) => a.localStatus - b.localStatus || a.remoteStatus - b.remoteStatus);
}
