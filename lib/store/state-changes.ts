/**
 * What a write of the sync state carries: the options of one record's write
 * and the multi-row changes `changeSiteStates` applies in one transaction.
 */
import type { SyncStatus } from "./status.js";

/**
 * An upload a later attempt can resume: the temporary name it writes on the
 * remote site and its provider's opaque token (a Drive or Dropbox upload
 * session). The token lets whoever holds it add bytes to that one pending
 * upload, so it is kept in the store only, never logged or printed.
 */
export interface ResumePoint {
  temp: string;
  token: string;
}

/** One file's new state in a write. */
export interface FileStateUpdate {
  fileId: string;
  status: SyncStatus;
  size?: number;
  timestamp?: number;
  message?: string | null;
  retries?: number;
  progress?: number;
  /**
   * The upload's resume point; `null` drops it. Absent: kept while the file
   * stays QUEUED or IN_PROGRESS, dropped when it settles (OK, FAILED, NA).
   */
  resume?: ResumePoint | null;
}

export interface SetSiteStateOptions {
  files: FileStateUpdate[];
  /** Rebuild the file list from the representation's current files first (add_site --force, hero). */
  reset?: boolean;
  /** Defaults to the stored value, else 50. */
  priority?: number;
}

/**
 * One change of a (representation, site) record inside `changeSiteStates`.
 * `expect` is checked in the same transaction as the writes, so "add unless
 * present" or "remove only what exists" cannot race another process.
 */
export type SiteStateChange =
  | {
      op: "set";
      representationId: string;
      site: string;
      options: SetSiteStateOptions;
      expect?: "present" | "absent";
      /**
       * Leave out the files another owner holds a live claim on: recovery must
       * not requeue a transfer that is still running somewhere.
       */
      skipClaimed?: boolean;
      /**
       * Apply a file's update only while its stored status is still this one:
       * a file another process settled since it was read keeps its state.
       */
      onlyWhile?: SyncStatus;
      /** Write only where the record does not exist yet; an existing one is left as it is (no conflict). */
      onlyIfAbsent?: boolean;
    }
  | {
      op: "remove";
      representationId: string;
      site: string;
      expect?: "present";
      /** Refuse while another owner holds a live claim on any file (its bytes are being written). */
      refuseClaimed?: boolean;
    };

/** Why a change of `changeSiteStates` was refused; then nothing at all was written. */
export interface StateConflict {
  representationId: string;
  site: string;
  reason: "present" | "absent" | "claimed";
  /** With "claimed": the files under a live claim. */
  fileIds: string[];
}
