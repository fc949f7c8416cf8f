/**
 * "Bring these representations to this site now, with the highest priority,
 * and tell me when they are there or why not": the engine's entry point for
 * the prelaunch hook (`SyncEngine.bring`). It queues the missing files on the
 * active site, claims and moves them through the same transfer path as the
 * loop, and waits for files another process (a running service) already
 * claimed, woken by the files arriving or by that process's claim expiring:
 * no polling. It fails when a file reaches retry_cnt, when the remote site
 * does not have it, or at the timeout, and leaves nothing partial behind.
 * `planBring` (`SyncEngine.planBring`) answers what it would do, with reads
 * only, from the same check.
 */
import { type FSWatcher, mkdirSync, watch } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fillRootless } from "../anatomy/roots.js";
import { InputError, TransferError } from "../errors.js";
import type { ProjectSites } from "../settings/sites.js";
import { SyncStatus, statusName } from "../store/status.js";
import type { FileState, Project, Representation, RepresentationFile, SiteState } from "../store/types.js";
import type { EngineCore } from "./core.js";
import { closePair, resolvePair, type SyncPair, sitesOf } from "./pair.js";
import { releaseDeadOwners } from "./recover.js";
import type { FileJob, FileOutcome } from "./types.js";

export const BRING_PRIORITY = 100;

export interface BringRequest {
  project: string;
  representationIds: string[];
  /**
   * The project's sites on this machine, when the caller resolved them
   * already (a launch does, once): used as they are, not resolved again.
   */
  sites?: ProjectSites;
  priority?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface BroughtFile {
  representationId: string;
  fileId: string;
  /** The file's path on the active site. */
  path: string;
  how: "present" | "transferred" | "transferred-elsewhere";
}

export interface BringReport {
  activeSite: string;
  remoteSite: string;
  files: BroughtFile[];
}

/** What `bring` would do with one file. */
export interface PlannedFile {
  representationId: string;
  fileId: string;
  /** The file's path on the active site. */
  path: string;
  size: number;
  /**
   * present: already on the active site; transfer: would be brought from the
   * site `from`; unavailable: `bring` would fail on it (`reason` says why).
   */
  action: "present" | "transfer" | "unavailable";
  from: string | null;
  reason?: string;
}

export interface BringPlan {
  activeSite: string;
  remoteSite: string;
  files: PlannedFile[];
}

/** What bring and planBring both read: the representations, the sites and each file's state. */
interface Situation {
  project: Project;
  representations: Representation[];
  sites: ProjectSites;
  states: SiteState[];
  need: Needed[];
  pathOn: (rootless: string) => string;
}

async function situationOf(core: EngineCore, request: BringRequest): Promise<Situation> {
  const { store, settings, ownSite, platform } = core;
  const project = await store.getProject(request.project);
  if (!project) throw new InputError(`unknown project "${request.project}"`);
  const representations = await store.getRepresentations(project.name, { ids: request.representationIds });
  const found = new Set(representations.map((r) => r.id));
  const missing = request.representationIds.filter((id) => !found.has(id));
  if (missing.length)
    throw new InputError(`unknown representation(s) ${missing.join(", ")} in project "${project.name}"`);
  const sites = request.sites ?? sitesOf(project, settings, ownSite, platform);
  const active = sites.sites.get(sites.activeSite);
  if (!active) throw new InputError(`active site "${sites.activeSite}" is not configured`);
  const pathOn = (rootless: string) => fillRootless(rootless, active.roots);
  const states = await store.getSiteStates(project.name, request.representationIds, [
    sites.activeSite,
    sites.remoteSite,
  ]);
  const need = neededFiles(representations, states, sites.activeSite);
  return { project, representations, sites, states, need, pathOn };
}

/**
 * What `bring` would do, with reads only (no store write, no transfer, no
 * provider opened, nothing created): each file of the representations is
 * already on the active site, would be transferred from the remote site, or
 * is unavailable (the remote site does not have it, or is the active site),
 * in which case `bring` would fail.
 */
export async function planBring(core: EngineCore, request: BringRequest): Promise<BringPlan> {
  const { representations, sites, states, need, pathOn } = await situationOf(core, request);
  const needed = byFile(need);
  const stateOf = statusesOf(states);
  const files = representations.flatMap((representation) =>
    representation.files.map((file): PlannedFile => {
      const base = {
        representationId: representation.id,
        fileId: file.id,
        path: pathOn(file.path),
        size: file.size,
      };
      const item = needed.get(fileKey(representation.id, file.id));
      if (!item) return { ...base, action: "present", from: null };
      const why = unavailable(item, stateOf, sites);
      if (why) return { ...base, action: "unavailable", from: null, reason: why };
      return { ...base, action: "transfer", from: sites.remoteSite };
    }),
  );
  return { activeSite: sites.activeSite, remoteSite: sites.remoteSite, files };
}

export async function bring(core: EngineCore, request: BringRequest): Promise<BringReport> {
  const { project, representations, sites, states, need, pathOn } = await situationOf(core, request);
  const needed = byFile(need);
  const present: BroughtFile[] = representations.flatMap((r) =>
    r.files
      .filter((f) => !needed.has(fileKey(r.id, f.id)))
      .map((f) => ({ representationId: r.id, fileId: f.id, path: pathOn(f.path), how: "present" as const })),
  );
  const report = { activeSite: sites.activeSite, remoteSite: sites.remoteSite, files: present };
  if (need.length === 0) return report;
  if (sites.activeSite === sites.remoteSite) {
    throw new TransferError(
      `${need.length} file(s) are not on site "${sites.activeSite}" (first: ${need[0]?.name}) and it is also the remote site, so nothing can bring them`,
    );
  }
  checkRemoteHasThem(need, states, sites.remoteSite);

  const timeout = request.timeoutMs === undefined ? undefined : AbortSignal.timeout(request.timeoutMs);
  const signal = AbortSignal.any([request.signal, timeout].filter((s): s is AbortSignal => s !== undefined));
  const { settings, ownSite, platform } = core;
  const resolved = await resolvePair(project, settings, ownSite, platform, {
    requireOwnActiveSite: false,
    sites,
  });
  if (!resolved.ok)
    throw new TransferError(`cannot bring files to "${sites.activeSite}": ${resolved.reason}`);
  const pair = resolved.pair;
  // A request killed earlier (kill -9) left claims nobody renews: take them back now, not at expiry.
  await releaseDeadOwners(core);
  // Services of these sites on other machines (a shared store) hear of the request at once;
  // not awaited: the launch does not wait on it, and a store that cannot notify changes nothing here.
  core.store.wakeups?.notify(project.name, [sites.activeSite, sites.remoteSite]).catch(() => undefined);
  try {
    const priority = request.priority ?? BRING_PRIORITY;
    const brought = await moveAll(core, pair, need, signal, priority, () =>
      timeout?.aborted ? `timed out after ${(request.timeoutMs ?? 0) / 1000} s` : "stopped",
    );
    report.files.push(...brought);
    return report;
  } finally {
    await closePair(pair);
  }
}

interface Needed {
  representation: Representation;
  file: RepresentationFile;
  fileId: string;
  name: string;
}

/**
 * Lookups by key, not scans: a representation of 10,000 frames is read once
 * per question, never once per file (issue 14's linear steps).
 */
const fileKey = (representationId: string, fileId: string) => `${representationId}\u0000${fileId}`;

function byFile(need: Needed[]): Map<string, Needed> {
  return new Map(need.map((n) => [fileKey(n.representation.id, n.fileId), n]));
}

type StateLookup = (representationId: string, site: string, fileId: string) => FileState | undefined;

/** Each file's state on each site, indexed once: `statusesOf(states)(representationId, site, fileId)`. */
function statusesOf(states: SiteState[]): StateLookup {
  const index = new Map<string, Map<string, FileState>>();
  for (const state of states) {
    index.set(`${state.representationId}\u0000${state.site}`, new Map(state.files.map((f) => [f.fileId, f])));
  }
  return (representationId, site, fileId) => index.get(`${representationId}\u0000${site}`)?.get(fileId);
}

function neededFiles(representations: Representation[], states: SiteState[], site: string): Needed[] {
  const stateOf = statusesOf(states);
  return representations.flatMap((representation) =>
    representation.files
      .filter((file) => stateOf(representation.id, site, file.id)?.status !== SyncStatus.OK)
      .map((file) => ({ representation, file, fileId: file.id, name: file.name })),
  );
}

function checkRemoteHasThem(need: Needed[], states: SiteState[], remote: string): void {
  const stateOf = statusesOf(states);
  for (const item of need) {
    const status = stateOf(item.representation.id, remote, item.fileId)?.status ?? SyncStatus.NA;
    if (status !== SyncStatus.OK) {
      throw new TransferError(
        `${item.name} of representation ${item.representation.id} is not available on the remote site "${remote}" (${statusName(status)})`,
      );
    }
  }
}

/** Why `bring` would fail on a file the active site lacks, or undefined when it can bring it. */
function unavailable(item: Needed, stateOf: StateLookup, sites: ProjectSites): string | undefined {
  if (sites.activeSite === sites.remoteSite)
    return `not on site "${sites.activeSite}", which is also the remote site`;
  const status = stateOf(item.representation.id, sites.remoteSite, item.fileId)?.status ?? SyncStatus.NA;
  if (status === SyncStatus.OK) return undefined;
  return `not available on the remote site "${sites.remoteSite}" (${statusName(status)})`;
}

async function moveAll(
  core: EngineCore,
  pair: SyncPair,
  need: Needed[],
  signal: AbortSignal,
  priority: number,
  why: () => string,
): Promise<BroughtFile[]> {
  const done: BroughtFile[] = [];
  let pending = need.map((n) => jobFor(pair, n));
  core.emit({
    type: "project-start",
    project: pair.project.name,
    activeSite: pair.active.name,
    remoteSite: pair.remote.name,
    files: pending.length,
    bytes: pending.reduce((sum, j) => sum + j.file.size, 0),
  });
  while (pending.length > 0) {
    if (signal.aborted)
      throw new TransferError(
        `${why()}: ${pending.length} file(s) did not arrive (first: ${pending[0]?.file.name})`,
      );
    const { jobs, alreadyDone } = await core.claim(pending);
    for (const job of alreadyDone) done.push(brought(job, "transferred-elsewhere"));
    const outcomes = await core.run(pair, jobs, signal, priority);
    const failed = outcomes.filter((o) => o.status === "failed");
    if (failed.length > 0) {
      throw new TransferError((await Promise.all(failed.map((f) => describeFailure(pair, f)))).join("; "));
    }
    if (outcomes.some((o) => o.status === "aborted")) continue;
    for (const o of outcomes) done.push(brought(o.job, "transferred"));
    const mine = new Set([...jobs, ...alreadyDone].map((j) => j.file.id));
    let others = pending.filter((j) => !mine.has(j.file.id));
    if (others.length === 0) break;
    // Held by another process: wait for the files to land, or for its claims to lapse.
    const arrived = await waitForOthers(core, others, signal);
    for (const job of others.filter((j) => arrived.ok.has(j.file.id)))
      done.push(brought(job, "transferred-elsewhere"));
    if (arrived.failed.length) {
      throw new TransferError(
        arrived.failed.map((f) => `${f.name}: FAILED in another process: ${f.message}`).join("; "),
      );
    }
    others = others.filter((j) => !arrived.ok.has(j.file.id));
    pending = others;
  }
  return done;
}

/**
 * Why a file could not be brought, for the artist whose launch waits on it. A
 * published file gone from the remote site is said plainly, naming it and
 * the site: it is not something retrying or waiting fixes, but someone
 * restoring or republishing it. The remote is asked rather than the message
 * parsed, so a studio's own provider is understood too.
 */
async function describeFailure(pair: SyncPair, failed: Extract<FileOutcome, { status: "failed" }>) {
  const { job } = failed;
  const gone = await pair.remoteProvider.stat(job.remotePath).then(
    (found) => found === null,
    () => false,
  );
  if (gone) return `the published file ${job.remotePath} is missing on site ${pair.remote.name}`;
  return `${job.file.name}: FAILED after ${failed.retries} tries: ${failed.message}`;
}

function jobFor(pair: SyncPair, item: Needed): FileJob {
  const { file } = item;
  return {
    project: pair.project.name,
    representationId: item.representation.id,
    file,
    direction: "download",
    targetSite: pair.active.name,
    sourceSite: pair.remote.name,
    localPath: fillRootless(file.path, pair.active.roots),
    remotePath: fillRootless(file.path, pair.remote.roots),
    retries: 0,
  };
}

function brought(job: FileJob, how: BroughtFile["how"]): BroughtFile {
  return { representationId: job.representationId, fileId: job.file.id, path: job.localPath, how };
}

/**
 * Which of the files another process holds are done. A file at its final path
 * with the published size counts as arrived even before that process writes
 * OK: the engine only ever renames a complete, verified file into place, and
 * the rename is what woke us.
 */
async function filesNowOk(core: EngineCore, jobs: FileJob[]) {
  const first = jobs[0] as FileJob;
  const ids = [...new Set(jobs.map((j) => j.representationId))];
  const stateOf = statusesOf(await core.store.getSiteStates(first.project, ids, [first.targetSite]));
  const ok = new Set<string>();
  const failed: Array<{ name: string; message: string }> = [];
  for (const job of jobs) {
    const file = stateOf(job.representationId, first.targetSite, job.file.id);
    const onDisk = await stat(job.localPath).catch(() => undefined);
    if (file?.status === SyncStatus.OK || onDisk?.size === job.file.size) ok.add(job.file.id);
    else if (file?.status === SyncStatus.FAILED)
      failed.push({ name: job.file.name, message: file.message ?? "" });
  }
  return { ok, failed };
}

/**
 * Waits until a file held by another process lands (its final rename shows in
 * the watched folder), that process's earliest claim expires, or the signal
 * aborts; then says which files are OK or FAILED now. The state is read once
 * after the watchers are set, so a file that landed just before is not missed.
 */
async function waitForOthers(core: EngineCore, jobs: FileJob[], signal: AbortSignal) {
  const first = jobs[0] as FileJob;
  const claims = (
    await Promise.all(
      [...new Set(jobs.map((j) => j.representationId))].map((id) =>
        core.store.getClaims(first.project, id, first.targetSite),
      ),
    )
  ).flat();
  const expiry = Math.min(...claims.map((c) => c.expiresAt), Date.now() + core.leaseMs);
  const names = new Set(jobs.map((j) => path.basename(j.localPath)));
  const watchers: FSWatcher[] = [];
  let wake = () => {};
  const woken = new Promise<void>((resolve) => {
    wake = resolve;
  });
  for (const dir of new Set(jobs.map((j) => path.dirname(j.localPath)))) {
    // The folder may not exist yet (the other process creates it as it starts): make it, so the watch
    // never misses the file landing there.
    mkdirSync(dir, { recursive: true });
    watchers.push(watch(dir, (_event, name) => name && names.has(name.toString()) && wake()));
  }
  const timer = setTimeout(wake, Math.max(0, expiry - Date.now()) + 50);
  signal.addEventListener("abort", wake, { once: true });
  try {
    const now = await filesNowOk(core, jobs);
    if (now.ok.size > 0 || now.failed.length > 0) return now;
    await woken;
    return await filesNowOk(core, jobs);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", wake);
    for (const watcher of watchers) watcher.close();
  }
}
