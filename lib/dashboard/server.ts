/**
 * The status page's HTTP server (README "Status page"): 127.0.0.1 only, the
 * home's token for every request (lib/dashboard/auth.ts), server-rendered HTML
 * with htmx, live through server-sent events. Served by `sitesync
 * syncservice` (its engine's events feed the hub) and by `sitesync
 * dashboard` alone.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Context } from "../context.js";
import { InputError, messageOf, SitesyncError } from "../errors.js";
import type { Logger } from "../log.js";
import { chooseStore } from "../store/open.js";
import { type ActionDeps, runAction } from "./actions.js";
import { asset } from "./assets.js";
import { checkRequest, sessionCookie } from "./auth.js";
import { detailData, SiteChecks, tableData } from "./data.js";
import { EventHub, type StoreWatch, watchStore } from "./events.js";
import { type Html, html, queryString } from "./html.js";
import { detailFragment, detailView } from "./render/detail.js";
import { layout, problemBox } from "./render/layout.js";
import { tableFragment, tableView } from "./render/table.js";
import { chooseProject, readView, stateQuery } from "./view.js";

export interface DashboardOptions {
  context: Context;
  /** The home's token (lib/service/wake.ts `serviceToken`). */
  token: string;
  /** 0: a free port. */
  port: number;
  /** The project shown when the URL names none (`dashboard --project`). */
  project?: string;
  /** Tells the sync services there is work (add, reset, unpause). */
  wake: ActionDeps["wake"];
  /** A hub fed by an engine's events (the service); else one of its own. */
  hub?: EventHub;
  logger?: Pick<Logger, "warn" | "info">;
  /** The record's file name in the home (`dashboard.json`, the service's `dashboard-<site>.json`). */
  recordName?: string;
}

export interface Dashboard {
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** The URL to open: carries the token once. */
  url: string;
  /** Where the URL is recorded in the home (owner-only). */
  record: string;
  hub: EventHub;
  close(): Promise<void>;
}

/** Bodies of a form post beyond this are refused: the page's forms send a few hundred bytes. */
const MAX_FORM_BYTES = 64 * 1024;

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { context, token } = options;
  const hub = options.hub ?? new EventHub();
  const checks = new SiteChecks();
  let origin = "";
  // Set once the server listens, before any request can arrive.
  let watch: StoreWatch = { prime: async () => undefined, stop: async () => undefined };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.logger?.warn({ error: messageOf(error), path: request.url }, "status page request failed");
      if (!response.headersSent) send(response, 500, page("Error", problemBox(messageOf(error))));
      else response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", origin);
    const auth = checkRequest(request, url, token, origin);
    if (auth.kind === "refused") {
      send(
        response,
        auth.status,
        page(auth.status === 401 ? "Sign-in needed" : "Refused", problemBox(auth.reason)),
      );
      return;
    }
    if (auth.kind === "exchange") {
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        "set-cookie": sessionCookie(Number(url.port), token),
        location: auth.location,
      });
      response.end();
      return;
    }
    const route = `${request.method} ${url.pathname}`;
    if (request.method === "GET" && url.pathname.startsWith("/assets/")) {
      const found = asset(url.pathname.slice("/assets/".length));
      if (!found) return send(response, 404, page("Not found", problemBox("no such file")));
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        "content-type": found.type,
        "cache-control": "private, max-age=3600",
      });
      response.end(found.body);
      return;
    }
    try {
      switch (route) {
        case "GET /":
          return await index(url, response);
        case "GET /favicon.ico":
          response.writeHead(204, SECURITY_HEADERS).end();
          return;
        case "GET /table":
          return await table(url, response);
        case "GET /representation":
          return await representation(url, response);
        case "GET /events": {
          const project = await chooseProject(context, url.searchParams.get("project"));
          if (!project) throw new InputError("project: there are no projects");
          await watch.prime(project.name);
          hub.subscribe(project.name, response);
          return;
        }
        case "POST /action":
          return await action(request, response);
        default:
          send(response, 404, page("Not found", problemBox(`nothing at ${url.pathname}`)));
      }
    } catch (error) {
      if (error instanceof SitesyncError && error.exitCode === 2) {
        const fragment = url.pathname === "/table" || url.searchParams.get("fragment") === "1";
        send(
          response,
          400,
          fragment ? problemBox(error.message) : page("Refused", problemBox(error.message)),
        );
        return;
      }
      throw error;
    }
  }

  async function projectNames(): Promise<string[]> {
    return (await context.store.listProjects()).map((p) => p.name).sort((a, b) => a.localeCompare(b));
  }

  function page(title: string, body: Html, current?: string, projects: string[] = []): Html {
    return layout(title, projects, current, body);
  }

  async function viewOf(url: URL) {
    const project = await chooseProject(context, url.searchParams.get("project") ?? options.project ?? null);
    return project ? readView(context, project, url.searchParams) : undefined;
  }

  const live = (project: string) => (representationId: string, site: string) =>
    hub.liveFiles(project, representationId, site);

  async function index(url: URL, response: ServerResponse): Promise<void> {
    const projects = await projectNames();
    const view = await viewOf(url);
    if (!view) {
      send(
        response,
        200,
        page(
          "sitesync",
          html`<p>There are no projects yet: import one with <code>sitesync project import</code>.</p>`,
        ),
      );
      return;
    }
    const data = await tableData(context.store, view, checks);
    send(
      response,
      200,
      page(
        `sitesync · ${view.project.name}`,
        tableView(view, data, live(view.project.name)),
        view.project.name,
        projects,
      ),
    );
  }

  async function table(url: URL, response: ServerResponse): Promise<void> {
    const view = await viewOf(url);
    if (!view) throw new InputError("project: there are no projects");
    const started = performance.now();
    const data = await tableData(context.store, view, checks);
    hub.noteCost(view.project.name, performance.now() - started);
    send(response, 200, tableFragment(view, data, live(view.project.name)));
  }

  async function representation(url: URL, response: ServerResponse): Promise<void> {
    const view = await viewOf(url);
    if (!view) throw new InputError("project: there are no projects");
    const id = url.searchParams.get("id") ?? "";
    const [found] = id ? await context.store.getRepresentations(view.project.name, { ids: [id] }) : [];
    if (!found) throw new InputError(`id: unknown representation "${id}" in project "${view.project.name}"`);
    const data = await detailData(context.store, view, found, checks);
    const own = context.siteId;
    if (url.searchParams.get("fragment") === "1") {
      send(response, 200, detailFragment(view, data, own));
      return;
    }
    send(
      response,
      200,
      page(`sitesync · ${found.name}`, detailView(view, data, own), view.project.name, await projectNames()),
    );
  }

  async function action(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const type = request.headers["content-type"] ?? "";
    if (!type.startsWith("application/x-www-form-urlencoded"))
      throw new InputError(`a form post is expected (application/x-www-form-urlencoded), not "${type}"`);
    const form = new URLSearchParams(await readBody(request));
    const result = await runAction(context, form, { wake: options.wake });
    if (result.ok && result.project) hub.changed(result.project);
    const box = result.ok
      ? html`<div class="result ok" role="status"><strong>Done:</strong> ${result.message}</div>`
      : problemBox(result.message);
    const status = result.ok ? 200 : result.status;
    if (request.headers["hx-request"] === "true") return send(response, status, box);
    // Without scripts the form posts as a page: the result, and the way back.
    const back = `/${queryString({ project: form.get("project") ?? undefined })}`;
    send(response, status, page("Result", html`${box}<p><a href="${back}">Back to the table</a></p>`));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/?token=${token}`;
  const record = path.join(context.home, options.recordName ?? "dashboard.json");
  writeFileSync(record, `${JSON.stringify({ pid: process.pid, port, origin, url })}\n`, { mode: 0o600 });
  chmodSync(record, 0o600);

  const choice = chooseStore(context.home, context.settings);
  const defaultPairCounts = async (project: string) => {
    const found = await context.store.getProject(project);
    if (!found) return "";
    const view = readView(context, found, new URLSearchParams());
    return JSON.stringify(await context.store.countState(project, stateQuery(view)));
  };
  watch = watchStore(
    hub,
    context.store,
    choice.kind === "sqlite" ? choice.file : undefined,
    defaultPairCounts,
  );

  return {
    origin,
    port,
    url,
    record,
    hub,
    async close() {
      await watch.stop();
      hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      // Only this process's record: another page may have started since with the same name.
      try {
        if ((JSON.parse(readFileSync(record, "utf8")) as { pid?: number }).pid === process.pid)
          rmSync(record, { force: true });
      } catch {
        // Already gone.
      }
    },
  };
}

function send(response: ServerResponse, status: number, body: Html): void {
  response.writeHead(status, { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8" });
  response.end(body.text);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new InputError(`a form of more than ${MAX_FORM_BYTES} bytes is refused`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
