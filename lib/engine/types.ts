/** What the engine tells its callers (CLI, service, hook): events while it works and reports when done. */
import type { RepresentationFile, ResumePoint } from "../store/types.js";

export type Direction = "upload" | "download";

/**
 * How long a claim lives without a heartbeat. Also the age past which a
 * temporary file is taken for a dead writer's (lib/fs/temp-names.ts): here,
 * not in engine.ts, so the hook can use it without loading the engine.
 */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * Files moved at once. A slot stays taken while its representation's files
 * are flushed to disk (that wait is the backpressure that keeps each flush
 * small), so there are more slots than a copy alone would need: 16 moved
 * 10,000 small files 25-30% faster than 8, measured in bench/sync-pass.ts.
 */
export const DEFAULT_CONCURRENCY = 16;

/** One file to move between the engine's own site and the remote site. */
export interface FileJob {
  project: string;
  representationId: string;
  file: RepresentationFile;
  direction: Direction;
  /** The site that receives the file (its state changes). */
  targetSite: string;
  sourceSite: string;
  /** Path on this machine (the own site). */
  localPath: string;
  /** Path on the remote site, in its provider's namespace. */
  remotePath: string;
  /** Retries already spent on this file on the target site. */
  retries: number;
  /**
   * Why the file's path cannot be resolved on one of the sites (a root the
   * site does not define, say); the paths are then the rootless path and the
   * job fails without moving anything, recorded on the file like any failure.
   */
  unresolved?: string;
  /** Where an earlier, interrupted attempt's upload can go on (kept with the file's state). */
  resume?: ResumePoint;
}

export type FileOutcome =
  | { status: "ok"; job: FileJob; bytes: number }
  | { status: "failed"; job: FileJob; retries: number; message: string }
  | { status: "aborted"; job: FileJob };

export type EngineEvent =
  | { type: "project-skipped"; project: string; reason: string; problem: boolean }
  | { type: "project-failed"; project: string; message: string }
  | {
      type: "project-start";
      project: string;
      activeSite: string;
      remoteSite: string;
      files: number;
      bytes: number;
    }
  | { type: "file-start"; job: FileJob }
  | { type: "file-progress"; job: FileJob; transferred: number; total: number }
  | { type: "file-retry"; job: FileJob; retries: number; message: string; delayMs: number }
  | { type: "file-done"; outcome: FileOutcome };

export type EngineListener = (event: EngineEvent) => void;

export interface ProjectReport {
  project: string;
  activeSite?: string;
  remoteSite?: string;
  skipped?: string;
  /**
   * The skip is a problem with a site (provider inactive, a root with an unset
   * {ENV}...), not a choice (sync disabled, another service's site): the
   * project cannot sync until someone fixes it.
   */
  problem?: boolean;
  /** The project's work stopped on an error no file could record (the store failing, say). */
  error?: string;
  outcomes: FileOutcome[];
  /** Files another process holds a claim on; left to it. */
  claimedElsewhere: number;
}

export interface PassReport {
  projects: ProjectReport[];
}

/** Projects that could not sync because of a site problem or an error, with the reason. */
export function projectProblems(report: PassReport): Array<{ project: string; reason: string }> {
  return report.projects.flatMap((p) => {
    if (p.error) return [{ project: p.project, reason: p.error }];
    if (p.problem && p.skipped) return [{ project: p.project, reason: p.skipped }];
    return [];
  });
}

export function failures(report: PassReport): Array<Extract<FileOutcome, { status: "failed" }>> {
  return report.projects.flatMap((p) => p.outcomes.filter((o) => o.status === "failed"));
}
