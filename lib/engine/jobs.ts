/**
 * Planning a pass's file jobs from the store's work items: which files of a
 * representation can move now, and their paths on both sites of the pair.
 */
import { fillRootless } from "../anatomy/roots.js";
import { messageOf } from "../errors.js";
import { SyncStatus } from "../store/status.js";
import type { FileState, WorkItem } from "../store/types.js";
import type { SyncPair } from "./pair.js";
import type { Direction, FileJob } from "./types.js";

/**
 * The files of work items that can move now: the receiving side wants them
 * (QUEUED, or IN_PROGRESS left by a stopped process), the other side has them
 * (OK), and retries are below retry_cnt.
 */
export function jobsFor(pair: SyncPair, items: WorkItem[], direction: Direction): FileJob[] {
  const jobs: FileJob[] = [];
  for (const item of items) {
    const wanting = direction === "download" ? item.local : item.remote;
    const having = direction === "download" ? item.remote : item.local;
    const wantFiles = byId(wanting?.files);
    const haveFiles = byId(having?.files);
    for (const file of item.files) {
      const want = wantFiles.get(file.id);
      const have = haveFiles.get(file.id);
      if (!want || !have || have.status !== SyncStatus.OK) continue;
      if (want.status !== SyncStatus.QUEUED && want.status !== SyncStatus.IN_PROGRESS) continue;
      if (want.retries >= pair.retryCnt) continue;
      jobs.push({
        project: pair.project.name,
        representationId: item.representationId,
        file,
        direction,
        targetSite: direction === "download" ? pair.active.name : pair.remote.name,
        sourceSite: direction === "download" ? pair.remote.name : pair.active.name,
        ...pathsOf(pair, file.path),
        retries: want.retries,
        ...(direction === "upload" && want.resume ? { resume: want.resume } : {}),
      });
    }
  }
  return jobs;
}

/**
 * The file's path on both sites. A path one site cannot resolve (a root it
 * does not define) makes a job that fails on its own, so the rest of the
 * representation and of the pass still move.
 */
function pathsOf(pair: SyncPair, rootless: string): Pick<FileJob, "localPath" | "remotePath" | "unresolved"> {
  const paths = { localPath: rootless, remotePath: rootless };
  for (const [key, site] of [
    ["localPath", pair.active],
    ["remotePath", pair.remote],
  ] as const) {
    try {
      paths[key] = fillRootless(rootless, site.roots);
    } catch (error) {
      return { ...paths, unresolved: `cannot resolve the path on site "${site.name}": ${messageOf(error)}` };
    }
  }
  return paths;
}

function byId(files: FileState[] | undefined): Map<string, FileState> {
  return new Map((files ?? []).map((f) => [f.fileId, f]));
}
