/**
 * The status query's types (`sitesync status`, `GET .../state` on an AYON
 * server): what is asked and what comes back. Re-exported by types.ts.
 */
import type { SyncStatus } from "./status.js";

export type StateSortKey =
  | "folder"
  | "product"
  | "version"
  | "representation"
  | "localStatus"
  | "remoteStatus"
  | "priority";

/**
 * The status query behind `sitesync status` (docs/adding-a-store.md "What a
 * store must guarantee"; `GET .../state` on an AYON server).
 */
export interface StateQuery {
  localSite: string;
  remoteSite: string;
  representationIds?: string[];
  folderFilter?: string;
  productFilter?: string;
  versionFilter?: number;
  representationNames?: string[];
  localStatusFilter?: SyncStatus[];
  remoteStatusFilter?: SyncStatus[];
  sortBy?: StateSortKey;
  sortDesc?: boolean;
  page?: number;
  pageLength?: number;
}

export interface SiteSummary {
  status: SyncStatus;
  size: number;
  totalSize: number;
  timestamp: number;
  retries: number;
  message: string | null;
  priority: number;
}

export interface StateFileRow {
  id: string;
  path: string;
  baseName: string;
  fileHash: string;
  size: number;
  localStatus: Omit<SiteSummary, "totalSize" | "priority">;
  remoteStatus: Omit<SiteSummary, "totalSize" | "priority">;
}

export interface StateRow {
  representationId: string;
  versionId: string;
  folder: string;
  product: string;
  version: number;
  representation: string;
  fileCount: number;
  size: number;
  localStatus: SiteSummary;
  remoteStatus: SiteSummary;
  files: StateFileRow[];
}

export interface StatePage {
  representations: StateRow[];
  total: number;
}

/** How many representations of a status query are in one pair of statuses (NA where no record). */
export interface StateCount {
  localStatus: SyncStatus;
  remoteStatus: SyncStatus;
  count: number;
}
