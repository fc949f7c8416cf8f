/**
 * The sync loop: passes every `loop_delay` seconds, or at once when woken
 * (a loopback HTTP request with the home's token: the hook and `site add` do
 * this), until the signal aborts. Aborting stops in-flight transfers (their
 * temporary files are removed and their files go back to QUEUED), releases
 * the claims and unregisters the service.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context } from "../context.js";
import { EventHub } from "../dashboard/events.js";
import { type Dashboard, startDashboard } from "../dashboard/server.js";
import { backoffMs, retryBaseMs } from "../engine/backoff.js";
import { SyncEngine } from "../engine/engine.js";
import { planPairs } from "../engine/pair.js";
import { recoverInterrupted } from "../engine/recover.js";
import type { EngineEvent, EngineListener, PassReport } from "../engine/types.js";
import { messageOf } from "../errors.js";
import type { Logger } from "../log.js";
import { queueMissing } from "../state/backfill.js";
import { listenForWork } from "./store-wake.js";
import { registerService, serviceToken, unregisterService, wakeForWork } from "./wake.js";

export interface LoopOptions {
  context: Context;
  /** The site this loop works for (its own site). */
  site: string;
  logger: Logger;
  signal: AbortSignal;
  /** Restrict to these projects (`sync --project`); default every project. */
  projects?: string[];
  /** Register a wake endpoint (the service does; a one-project `sync` loop too). */
  wakeable?: boolean;
  /**
   * Sync the site with every `always_accessible_on` site too, and queue those
   * sites at start for what was published before they were added (the service).
   */
  alwaysAccessible?: boolean;
  onEvent?: EngineListener;
  onPass?: (report: PassReport) => void;
  /** Serve the status page (the service, unless settings `dashboard.enabled` is false); its hub hears this engine. */
  statusPage?: boolean;
}

export async function runLoop(options: LoopOptions): Promise<void> {
  const { context, site, logger, signal } = options;
  const engine = new SyncEngine({
    store: context.store,
    settings: context.settings,
    ownSite: site,
    platform: context.platform,
    alwaysAccessible: options.alwaysAccessible ?? false,
  });
  if (options.onEvent) engine.on(options.onEvent);
  waitForLostStore(context, logger, signal);
  engine.on((event) => logEvent(logger, event));
  const skips = new SkipLog(logger);

  // A wake that lands during a pass or between passes is kept, never lost.
  let wakePending = false;
  let wake: (() => void) | undefined;
  const server = options.wakeable
    ? await startWakeServer(context.home, site, logger, () => {
        wakePending = true;
        wake?.();
      })
    : undefined;
  // Through the store too when it is shared across machines (PostgreSQL LISTEN/NOTIFY).
  const stopListening = options.wakeable
    ? await listenForWork(context, site, {
        alwaysAccessible: options.alwaysAccessible ?? false,
        logger,
        onWake: () => {
          wakePending = true;
          wake?.();
        },
      })
    : undefined;
  const page = options.statusPage
    ? await startStatusPage(context, site, logger, engine, () => {
        wakePending = true;
        wake?.();
      })
    : undefined;
  const baseMs = retryBaseMs();
  let recovered = false;
  // Passes in a row that failed as a whole (the store locked or full): the wait before the next grows.
  let failedPasses = 0;
  try {
    while (!signal.aborted) {
      wakePending = false;
      const started = Date.now();
      let waitMs: number;
      try {
        if (!recovered) {
          const done = await recoverInterrupted(engine);
          if (done.requeued || done.releasedOwners)
            logger.info({ ...done }, "recovered interrupted transfers");
          if (options.alwaysAccessible) await backfillAlwaysAccessible(context, site, logger);
          recovered = true;
        }
        const report = await engine.runPass({
          ...(options.projects ? { projects: options.projects } : {}),
          signal,
        });
        logPass(logger, report, Date.now() - started);
        logger.debug({ projects: report.projects.length, ms: Date.now() - started }, "pass finished");
        skips.note(report);
        options.onPass?.(report);
        const errors = report.projects.filter((p) => p.error);
        failedPasses = errors.length > 0 ? failedPasses + 1 : 0;
        waitMs = failedPasses > 0 ? backoffMs(failedPasses, baseMs) : loopDelayMs(context, report);
        if (errors.length > 0) {
          logger.warn(
            {
              attempt: failedPasses,
              retryInMs: waitMs,
              errors: errors.map((p) => ({ project: p.project, error: p.error })),
            },
            "pass failed for some projects; retrying with a growing delay",
          );
        }
      } catch (error) {
        // The service outlives a store that is locked or full: it waits longer each time, never exits.
        failedPasses += 1;
        waitMs = backoffMs(failedPasses, baseMs);
        logger.warn(
          { attempt: failedPasses, retryInMs: waitMs, error: messageOf(error) },
          "pass failed; retrying with a growing delay",
        );
      }
      if (signal.aborted || wakePending) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          wake = undefined;
          resolve();
        }
        wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
  } finally {
    await context.store
      .releaseClaims(engine.owner)
      .catch((error: unknown) =>
        logger.warn({ error: messageOf(error) }, "could not release claims; they lapse"),
      );
    await stopListening?.();
    await page?.close();
    if (server) {
      unregisterService(context.home, site);
      await new Promise((resolve) => server.close(resolve));
    }
    logger.info({ site }, "sync loop stopped");
  }
}

/**
 * A service outlives the database going away (docs/adding-a-store.md
 * "PostgreSQL"): every store call waits for it, however long, so results of
 * transfers in flight are recorded when it is back and no new work starts
 * meanwhile; a warning says so at once and then every 30 s. Stopping the
 * service ends the wait.
 */
function waitForLostStore(context: Context, logger: Logger, signal: AbortSignal): void {
  let lastWarned = 0;
  context.store.configureRetries?.({
    windowMs: Number.POSITIVE_INFINITY,
    signal,
    onRetry: ({ attempt, message }) => {
      if (Date.now() - lastWarned < 30_000) return;
      lastWarned = Date.now();
      logger.warn(
        { store: context.store.location, attempt, error: message },
        "the store cannot be reached; waiting for it (results of transfers in flight are recorded when it is back)",
      );
    },
  });
}

/**
 * Says why a project (or one of its pairs of sites) is not synced, at warn,
 * once per change of reason rather than every pass: a site problem (a changed
 * host key, an unset {ENV}) and a chosen skip (sync disabled, another
 * service's site) alike, since either leaves files unmoved; and says so when
 * the reason goes away.
 */
class SkipLog {
  private readonly last = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  note(report: PassReport): void {
    for (const project of report.projects) {
      const key = `${project.project}\u0000${project.remoteSite ?? ""}`;
      const reason = project.error ?? project.skipped;
      const before = this.last.get(key);
      if (reason === before) continue;
      const fields = {
        project: project.project,
        ...(project.remoteSite ? { remoteSite: project.remoteSite } : {}),
      };
      if (reason === undefined) {
        this.last.delete(key);
        this.logger.info({ ...fields, was: before }, "project syncs again");
        continue;
      }
      this.last.set(key, reason);
      if (project.problem)
        this.logger.warn({ ...fields, reason }, "project cannot sync: a site cannot be used");
      else if (!project.error) this.logger.warn({ ...fields, reason }, "project skipped");
    }
  }
}

/**
 * Queues every `always_accessible_on` site of the projects this service
 * syncs for the representations published before the site was added there
 * (publishes after that are queued by IntegrateSiteSync already).
 */
async function backfillAlwaysAccessible(context: Context, site: string, logger: Logger): Promise<void> {
  for (const project of await context.store.listProjects()) {
    const planned = planPairs(project, context.settings, site, context.platform, { alwaysAccessible: true });
    if (!planned.ok) continue;
    for (const target of planned.plan.sites.alwaysAccessibleOn) {
      if (target === planned.plan.sites.activeSite) continue;
      const queued = await queueMissing(context.store, project.name, target);
      if (queued > 0) {
        logger.info(
          { project: project.name, site: target, queued },
          "queued earlier publishes for an always-accessible site",
        );
      }
    }
  }
}

/** The shortest loop_delay among the projects of the pass (AYON's default 60 s). */
function loopDelayMs(context: Context, report: PassReport): number {
  const delays = report.projects.map(
    (p) => context.settings.forProject(p.project).sitesync.config.loop_delay,
  );
  return (delays.length ? Math.min(...delays) : 60) * 1000;
}

/** Per-file events at debug level: what an operator reads to follow one transfer. */
function logEvent(logger: Logger, event: EngineEvent): void {
  if (event.type === "file-start") {
    const { job } = event;
    logger.debug(
      {
        event: event.type,
        project: job.project,
        representationId: job.representationId,
        file: job.file.path,
        to: job.targetSite,
      },
      "file started",
    );
  } else if (event.type === "file-retry") {
    logger.warn(
      {
        event: event.type,
        file: event.job.file.path,
        retries: event.retries,
        delayMs: event.delayMs,
        message: event.message,
      },
      "file will be retried",
    );
  } else if (event.type === "file-done") {
    const { outcome } = event;
    const fields = {
      event: event.type,
      status: outcome.status,
      file: outcome.job.file.path,
      to: outcome.job.targetSite,
    };
    if (outcome.status === "failed")
      logger.error({ ...fields, retries: outcome.retries, message: outcome.message }, "file failed");
    else logger.debug(fields, "file done");
  }
}

function logPass(logger: Logger, report: PassReport, ms: number): void {
  for (const project of report.projects) {
    if (project.skipped || project.error) continue;
    const counts = { ok: 0, failed: 0, aborted: 0 };
    for (const outcome of project.outcomes) counts[outcome.status] += 1;
    logger.info(
      {
        project: project.project,
        activeSite: project.activeSite,
        remoteSite: project.remoteSite,
        ...counts,
        claimedElsewhere: project.claimedElsewhere,
        ms,
      },
      "pass done",
    );
  }
}

async function startWakeServer(
  home: string,
  site: string,
  logger: Logger,
  onWake: () => void,
): Promise<Server> {
  const token = serviceToken(home);
  const server = createServer((request, response) => {
    if (request.method !== "POST" || request.url !== "/wake") {
      response.writeHead(404).end();
      return;
    }
    if (request.headers.authorization !== `Bearer ${token}`) {
      logger.warn({ remote: request.socket.remoteAddress }, "wake request with a wrong token refused");
      response.writeHead(403).end();
      return;
    }
    onWake();
    response.writeHead(204).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  registerService(home, { site, pid: process.pid, port });
  logger.info({ site, port }, "sync service listening for wake requests on 127.0.0.1");
  return server;
}

/**
 * The status page of this service (README "Status page"): its hub hears this
 * engine's events, so progress shows as it happens; an action that queues work
 * wakes this loop at once and the home's other services. A page that cannot
 * start (its port taken) is a warning: the service still syncs.
 */
async function startStatusPage(
  context: Context,
  site: string,
  logger: Logger,
  engine: SyncEngine,
  onWake: () => void,
): Promise<Dashboard | undefined> {
  const settings = context.settings.forProject("").dashboard;
  if (!settings.enabled) return undefined;
  const hub = new EventHub();
  engine.on(hub.onEngineEvent);
  try {
    const page = await startDashboard({
      context,
      token: serviceToken(context.home),
      port: settings.port,
      hub,
      logger,
      recordName: `dashboard-${site}.json`,
      wake: async (project, sites) => {
        onWake();
        await wakeForWork(context, project, sites);
      },
    });
    logger.info(
      { site, port: page.port, record: page.record },
      `status page on ${page.origin} (open the URL in ${page.record}, which carries the token)`,
    );
    // A person at a terminal gets the URL to open; a log a service manager collects never holds the token.
    if (process.stderr.isTTY) process.stderr.write(`status page: ${page.url}\n`);
    return page;
  } catch (error) {
    logger.warn({ site, port: settings.port, error: messageOf(error) }, "the status page could not start");
    return undefined;
  }
}
