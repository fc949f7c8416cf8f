import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import type { Context } from "../../lib/context.js";
import { type Dashboard, startDashboard } from "../../lib/dashboard/server.js";
import { serviceToken } from "../../lib/service/wake.js";
import { SyncStatus } from "../../lib/store/status.js";
import { registerProvider } from "../../providers/registry.js";
import { createSlowDriveFactory } from "../fixtures/providers/slow-drive-impl.mjs";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";

registerProvider(createSlowDriveFactory("slow_drive", 50), { replace: true });

let studio: EngineStudio | undefined;
let dashboard: Dashboard | undefined;
afterEach(async () => {
  await dashboard?.close();
  dashboard = undefined;
  await studio?.closeAll();
  studio = undefined;
});

interface Setup {
  studio: EngineStudio;
  context: Context;
  dashboard: Dashboard;
  token: string;
  cookie: string;
  representationId: string;
  wakes: Array<{ project: string | undefined; sites: string[] }>;
}

async function setUp(
  settings: (roots: { studio: string; local: string; dir: string }) => string = (roots) =>
    artistSettings(roots),
): Promise<Setup> {
  studio = await engineStudio({ settings });
  const { representationId } = await studio.publishFiles({ "scene.ma": "hello" });
  const context = await studio.open();
  const token = serviceToken(studio.home);
  const wakes: Setup["wakes"] = [];
  dashboard = await startDashboard({
    context,
    token,
    port: 0,
    wake: async (project, sites) => {
      wakes.push({ project, sites });
    },
  });
  return {
    studio,
    context,
    dashboard,
    token,
    cookie: `sitesync_dashboard_${dashboard.port}=${token}`,
    representationId,
    wakes,
  };
}

function post(setup: Setup, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${setup.dashboard.origin}/action`, {
    method: "POST",
    headers: {
      cookie: setup.cookie,
      origin: setup.dashboard.origin,
      "content-type": "application/x-www-form-urlencoded",
      "hx-request": "true",
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  });
}

describe("status page server: who may use it", () => {
  it("refuses a request without the token or the cookie with 401", async () => {
    const setup = await setUp();
    for (const path of ["/", "/table", "/events", "/assets/htmx.min.js", "/representation?id=x"]) {
      const response = await fetch(`${setup.dashboard.origin}${path}`, { redirect: "manual" });
      expect(response.status, path).toBe(401);
    }
    const wrong = await fetch(`${setup.dashboard.origin}/?token=${"0".repeat(64)}`, { redirect: "manual" });
    expect(wrong.status).toBe(401);
    const wrongCookie = await fetch(`${setup.dashboard.origin}/`, {
      headers: { cookie: `sitesync_dashboard_${setup.dashboard.port}=nope` },
    });
    expect(wrongCookie.status).toBe(401);
  });

  it("trades the URL's token for an HttpOnly, SameSite=Strict cookie and redirects to the URL without it", async () => {
    const setup = await setUp();
    expect(setup.dashboard.url).toBe(`${setup.dashboard.origin}/?token=${setup.token}`);
    const first = await fetch(`${setup.dashboard.origin}/?project=Proj&token=${setup.token}`, {
      redirect: "manual",
    });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe("/?project=Proj");
    const cookie = first.headers.get("set-cookie") ?? "";
    expect(cookie).toContain(`sitesync_dashboard_${setup.dashboard.port}=${setup.token}`);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    const page = await fetch(`${setup.dashboard.origin}/?project=Proj`, {
      headers: { cookie: cookie.split(";")[0] as string },
    });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain(setup.representationId);
    expect(body).toContain("workfileModeling");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("refuses a change without the page's own Origin with 403, and changes nothing", async () => {
    const setup = await setUp();
    const fields = { action: "pause", project: "Proj", representation: setup.representationId };
    const cross = await post(setup, fields, { origin: "http://evil.example" });
    expect(cross.status).toBe(403);
    const none = await fetch(`${setup.dashboard.origin}/action`, {
      method: "POST",
      headers: { cookie: setup.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    expect(none.status).toBe(403);
    expect(await setup.context.store.getPauses()).toEqual([]);
    const same = await post(setup, fields);
    expect(same.status).toBe(200);
    expect(await setup.context.store.getPauses()).toEqual([
      { kind: "representation", project: "Proj", representationId: setup.representationId },
    ]);
  });

  it("refuses a request naming another host (DNS rebinding) with 403", async () => {
    const setup = await setUp();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(
        `${setup.dashboard.origin}/`,
        { headers: { host: `evil.example:${setup.dashboard.port}`, cookie: setup.cookie } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it("records its URL in the home, owner-only, and removes the record when it stops", async () => {
    const setup = await setUp();
    const { readFileSync, statSync, existsSync } = await import("node:fs");
    const record = JSON.parse(readFileSync(setup.dashboard.record, "utf8")) as { url: string; port: number };
    expect(record).toMatchObject({ url: setup.dashboard.url, port: setup.dashboard.port });
    expect(statSync(setup.dashboard.record).mode & 0o777).toBe(0o600);
    await setup.dashboard.close();
    dashboard = undefined;
    expect(existsSync(setup.dashboard.record)).toBe(false);
  });
});

describe("status page server: actions", () => {
  it("re-syncs a representation on a site and wakes the services", async () => {
    const setup = await setUp();
    const response = await post(setup, {
      action: "reset",
      project: "Proj",
      representation: setup.representationId,
      site: "studio",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("QUEUED");
    const [state] = await setup.context.store.getSiteStates("Proj", [setup.representationId], ["studio"]);
    expect(state?.files.every((f) => f.status === SyncStatus.QUEUED)).toBe(true);
    expect(setup.wakes).toContainEqual({ project: "Proj", sites: ["studio"] });
  });

  it("answers bad input with 400 and a message naming the value, as the CLI would", async () => {
    const setup = await setUp();
    const id = setup.representationId;
    const cases: Array<[Record<string, string>, string]> = [
      [{ action: "explode", project: "Proj" }, 'action: "explode" is not one of'],
      [{ action: "pause", project: "Nope", representation: id }, 'unknown project "Nope"'],
      [
        { action: "pause", project: "Proj", representation: "ffffffffffff" },
        'unknown representation "ffffffffffff"',
      ],
      [{ action: "reset", project: "Proj", representation: id, site: "mars" }, 'unknown site "mars"'],
      [{ action: "priority", project: "Proj", representation: id, priority: "soon" }, 'priority: "soon"'],
      [{ action: "reset", project: "Proj", representation: id }, "site: missing"],
      [
        { action: "remove", project: "Proj", representation: id, site: "studio", removeLocalFiles: "1" },
        "only this workstation's own site",
      ],
    ];
    for (const [fields, message] of cases) {
      const response = await post(setup, fields);
      expect(response.status, JSON.stringify(fields)).toBe(400);
      const text = await response.text();
      expect(text, JSON.stringify(fields)).toContain(
        message.replaceAll('"', "&quot;").replaceAll("'", "&#39;"),
      );
      expect(text).toContain('role="alert"');
    }
    const [state] = await setup.context.store.getSiteStates("Proj", [id], ["studio"]);
    expect(state?.files.every((f) => f.status === SyncStatus.OK)).toBe(true);
  });

  it("refuses to add a site that already has a state, and adds one that has none", async () => {
    const setup = await setUp();
    const id = setup.representationId;
    const again = await post(setup, { action: "add", project: "Proj", representation: id, site: "studio" });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("already has site");
    await setup.context.store.removeSiteState("Proj", id, "artist1");
    const added = await post(setup, { action: "add", project: "Proj", representation: id, site: "local" });
    expect(added.status).toBe(200);
    const [state] = await setup.context.store.getSiteStates("Proj", [id], ["artist1"]);
    expect(state?.status).toBe(SyncStatus.QUEUED);
    expect(setup.wakes).toContainEqual({ project: "Proj", sites: ["artist1"] });
  });

  it("changes a representation's priority on every site that has it, keeping its statuses", async () => {
    const setup = await setUp();
    const response = await post(setup, {
      action: "priority",
      project: "Proj",
      representation: setup.representationId,
      priority: "90",
    });
    expect(response.status).toBe(200);
    const states = await setup.context.store.getSiteStates("Proj", [setup.representationId]);
    expect(states.length).toBeGreaterThan(0);
    for (const state of states) expect(state.priority).toBe(90);
    expect(states.find((s) => s.site === "studio")?.status).toBe(SyncStatus.OK);
  });

  it("pauses and unpauses a project and the service", async () => {
    const setup = await setUp();
    expect((await post(setup, { action: "pause-project", project: "Proj" })).status).toBe(200);
    expect((await post(setup, { action: "pause-service", project: "Proj" })).status).toBe(200);
    expect(await setup.context.store.getPauses()).toEqual(
      expect.arrayContaining([{ kind: "service" }, { kind: "project", project: "Proj" }]),
    );
    const page = await (
      await fetch(`${setup.dashboard.origin}/?project=Proj`, { headers: { cookie: setup.cookie } })
    ).text();
    expect(page).toContain("Paused:</strong> the sync service");
    expect(page).toContain("Unpause project");
    expect((await post(setup, { action: "unpause-project", project: "Proj" })).status).toBe(200);
    expect((await post(setup, { action: "unpause-service", project: "Proj" })).status).toBe(200);
    expect(await setup.context.store.getPauses()).toEqual([]);
  });

  it("removes a site's state, and this workstation's files with it when asked", async () => {
    const setup = await setUp();
    const id = setup.representationId;
    await setup.context.store.removeSiteState("Proj", id, "artist1");
    const response = await post(setup, {
      action: "remove",
      project: "Proj",
      representation: id,
      site: "studio",
    });
    expect(response.status).toBe(200);
    expect(await setup.context.store.getSiteStates("Proj", [id], ["studio"])).toEqual([]);
    const missing = await post(setup, {
      action: "remove",
      project: "Proj",
      representation: id,
      site: "studio",
    });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("no state on site");
  });

  it("deletes this workstation's copy when asked, and the state with it", async () => {
    const setup = await setUp();
    const id = setup.representationId;
    const [representation] = await setup.context.store.getRepresentations("Proj", { ids: [id] });
    const local = fillRootless(representation?.files[0]?.path as string, { work: setup.studio.localRoot });
    const { mkdirSync, writeFileSync, existsSync } = await import("node:fs");
    const path = await import("node:path");
    mkdirSync(path.dirname(local), { recursive: true });
    writeFileSync(local, "hello");
    const response = await post(setup, {
      action: "remove",
      project: "Proj",
      representation: id,
      site: "artist1",
      removeLocalFiles: "1",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("deleted 1 file(s)");
    expect(existsSync(local)).toBe(false);
    expect(await setup.context.store.getSiteStates("Proj", [id], ["artist1"])).toEqual([]);
  });
});

describe("status page server: views", () => {
  it("shows a site that cannot be used, and why, as a banner", async () => {
    const setup = await setUp((roots) =>
      artistSettings(roots, {
        remote: "broken",
        sites: [
          `- {name: broken, provider: slow_drive, slow_drive: {roots: "${roots.studio}", inactive_throws: "the <vault> is sealed"}}`,
        ],
      }),
    );
    const page = await (
      await fetch(`${setup.dashboard.origin}/?project=Proj`, { headers: { cookie: setup.cookie } })
    ).text();
    expect(page).toContain(
      '<div class="banner problem" role="alert"><strong>Site broken cannot be used:</strong>',
    );
    expect(page).toContain("the &lt;vault&gt; is sealed");
  });

  it("shows a bad filter as a 400 with the value escaped, never as markup", async () => {
    const setup = await setUp();
    const response = await fetch(
      `${setup.dashboard.origin}/?project=Proj&lstatus=${encodeURIComponent("<script>alert(1)</script>")}`,
      { headers: { cookie: setup.cookie } },
    );
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(text).not.toContain("<script>alert(1)");
  });

  it("narrows the table by the status query's filters and lists every file on every site in the detail view", async () => {
    const setup = await setUp();
    const other = await setup.studio.publishFiles({ "other.ma": "x" }, { product: "workfileLayout" });
    const get = async (query: string) =>
      (await fetch(`${setup.dashboard.origin}${query}`, { headers: { cookie: setup.cookie } })).text();
    const all = await get("/table?project=Proj");
    expect(all).toContain(setup.representationId);
    expect(all).toContain(other.representationId);
    const narrowed = await get("/table?project=Proj&product=Layout");
    expect(narrowed).not.toContain(setup.representationId);
    expect(narrowed).toContain(other.representationId);
    const detail = await get(`/representation?project=Proj&id=${setup.representationId}`);
    expect(detail).toContain("PR_hero_workfileModeling_v001.ma");
    for (const site of ["studio", "artist1"]) expect(detail).toContain(`<th scope="col">${site}</th>`);
  });

  it("tells a watching page that the project changed, by server-sent event, after an action", async () => {
    const setup = await setUp();
    const controller = new AbortController();
    const events = await fetch(`${setup.dashboard.origin}/events?project=Proj`, {
      headers: { cookie: setup.cookie },
      signal: controller.signal,
    });
    expect(events.headers.get("content-type")).toContain("text/event-stream");
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    await post(setup, { action: "pause", project: "Proj", representation: setup.representationId });
    let text = "";
    while (!text.includes("event: changed")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain("event: changed");
    controller.abort();
  });

  it("hears another process's write to the store without being told", async () => {
    const setup = await setUp();
    const controller = new AbortController();
    const events = await fetch(`${setup.dashboard.origin}/events?project=Proj`, {
      headers: { cookie: setup.cookie },
      signal: controller.signal,
    });
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    // Another process's write (its own connection), which no action of this page announces.
    const other = await setup.studio.open();
    await other.store.setPaused({ kind: "project", project: "Proj" }, true);
    let text = "";
    try {
      while (!text.includes("event: changed")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    } finally {
      controller.abort();
    }
    expect(text).toContain("event: changed");
  });
});
