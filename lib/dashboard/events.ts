/**
 * What makes the page live: a hub of server-sent event streams per project.
 * The page never polls; it listens, and re-reads its table when told the
 * project changed. Changes come from the engine's own events (when the sync
 * service serves the page: every file start, progress and result), from the
 * page's own actions, and from a cheap check of the store once a second while
 * someone watches (another process's writes: `sitesync site add`, another
 * service).
 */
import { statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import type { EngineEvent } from "../engine/types.js";
import type { Store } from "../store/types.js";

/** Bytes a running transfer has moved, newer than the store's copy (written every 2 s per file). */
export interface LiveFile {
  transferred: number;
  total: number;
}

/**
 * A change is announced at most this often per project, or less often when
 * the pages' re-reads cost more: each announcement makes every open page of
 * the project read its table again, and on a big store that read is the
 * expensive part (README "Status page": about 2 s at 100,000
 * representations), so the server never spends more than half its time on it.
 */
const THROTTLE_MS = 400;
const HEARTBEAT_MS = 15_000;

export class EventHub {
  private readonly streams = new Map<string, Set<ServerResponse>>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly lastSent = new Map<string, number>();
  /** The last table read's duration per project (ms). */
  private readonly cost = new Map<string, number>();
  /** project -> representationId -> site -> fileId -> bytes moved. */
  private readonly live = new Map<string, Map<string, Map<string, Map<string, LiveFile>>>>();
  private heartbeat: NodeJS.Timeout | undefined;

  /** Projects someone is watching now. */
  watched(): string[] {
    return [...this.streams].filter(([, set]) => set.size > 0).map(([project]) => project);
  }

  subscribe(project: string, response: ServerResponse): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    response.write(": connected\n\n");
    let set = this.streams.get(project);
    if (!set) {
      set = new Set();
      this.streams.set(project, set);
    }
    set.add(response);
    response.on("close", () => set.delete(response));
    this.heartbeat ??= setInterval(() => {
      for (const streams of this.streams.values()) for (const s of streams) s.write(": ping\n\n");
    }, HEARTBEAT_MS).unref();
  }

  /** Tells the project's pages that it changed, at most every THROTTLE_MS (the last change is never dropped). */
  changed(project: string): void {
    if (this.pending.has(project)) return;
    const readers = this.streams.get(project)?.size ?? 0;
    const interval = Math.max(THROTTLE_MS, 2 * (this.cost.get(project) ?? 0) * readers);
    const wait = Math.max(0, (this.lastSent.get(project) ?? 0) + interval - Date.now());
    const timer = setTimeout(() => {
      this.pending.delete(project);
      this.lastSent.set(project, Date.now());
      for (const stream of this.streams.get(project) ?? [])
        stream.write(`event: changed\ndata: ${Date.now()}\n\n`);
    }, wait);
    timer.unref();
    this.pending.set(project, timer);
  }

  /** How long a page's table read took: announcements slow down to match. */
  noteCost(project: string, ms: number): void {
    this.cost.set(project, ms);
  }

  /** Every project's pages: a change the watcher cannot place (the store file changed). */
  changedAll(): void {
    for (const project of this.watched()) this.changed(project);
  }

  /** The engine's events, when the page is served by the process that runs the engine. */
  onEngineEvent = (event: EngineEvent): void => {
    switch (event.type) {
      case "file-start":
      case "file-progress": {
        const { job } = event;
        const transferred = event.type === "file-progress" ? event.transferred : 0;
        const total = event.type === "file-progress" ? event.total : job.file.size;
        this.files(job.project, job.representationId, job.targetSite).set(job.file.id, {
          transferred,
          total,
        });
        this.changed(job.project);
        return;
      }
      case "file-retry":
        this.changed(event.job.project);
        return;
      case "file-done": {
        const { job } = event.outcome;
        this.live.get(job.project)?.get(job.representationId)?.get(job.targetSite)?.delete(job.file.id);
        this.changed(job.project);
        return;
      }
      case "project-start":
      case "project-skipped":
      case "project-failed":
        this.changed(event.project);
        return;
    }
  };

  /** Live bytes of a representation's files on a site (empty when nothing of it is moving here). */
  liveFiles(project: string, representationId: string, site: string): ReadonlyMap<string, LiveFile> {
    return this.live.get(project)?.get(representationId)?.get(site) ?? new Map();
  }

  private files(project: string, representationId: string, site: string): Map<string, LiveFile> {
    const reps = mapAt(this.live, project, () => new Map());
    const sites = mapAt(reps, representationId, () => new Map());
    return mapAt(sites, site, () => new Map());
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const timer of this.pending.values()) clearTimeout(timer);
    for (const streams of this.streams.values()) for (const s of streams) s.end();
    this.streams.clear();
  }
}

function mapAt<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/**
 * Another process's writes, checked once a second while a page is open.
 * SQLite: the database file and its WAL change size or time with every
 * commit, so two `stat`s tell it without a query. A shared store
 * (PostgreSQL): its work notifications, and each watched project's counts per
 * status (progress inside a file shows when the file's status changes).
 */
export interface StoreWatch {
  /** Notes a project's current mark before a page starts listening, so no write after it is missed. */
  prime(project: string): Promise<void>;
  stop(): Promise<void>;
}

export function watchStore(
  hub: EventHub,
  store: Store,
  sqliteFile: string | undefined,
  countsOf: (project: string) => Promise<string>,
): StoreWatch {
  const seen = new Map<string, string>();
  let stopListening: (() => Promise<void>) | undefined;
  let stopped = false;
  void store.wakeups
    ?.listen(({ project }) => (project ? hub.changed(project) : hub.changedAll()))
    .then((stop) => {
      if (stopped) void stop();
      else stopListening = stop;
    })
    .catch(() => undefined);
  // From the start, so a write between the start and the first page is not missed.
  if (sqliteFile) seen.set("", sqliteMark(sqliteFile));
  let busy = false;
  const timer = setInterval(async () => {
    const projects = hub.watched();
    if (busy || projects.length === 0) return;
    busy = true;
    try {
      if (sqliteFile) {
        const mark = sqliteMark(sqliteFile);
        if (seen.get("") !== mark) hub.changedAll();
        seen.set("", mark);
        return;
      }
      for (const project of projects) {
        const mark = await countsOf(project);
        if (seen.has(project) && seen.get(project) !== mark) hub.changed(project);
        seen.set(project, mark);
      }
    } catch {
      // The store is away for a moment: the next tick tries again.
    } finally {
      busy = false;
    }
  }, 1000);
  timer.unref();
  return {
    async prime(project) {
      if (sqliteFile || seen.has(project)) return;
      seen.set(project, await countsOf(project).catch(() => ""));
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await stopListening?.();
    },
  };
}

function sqliteMark(file: string): string {
  return [file, `${file}-wal`].map(fileMark).join("|");
}

function fileMark(file: string): string {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "-";
  }
}
