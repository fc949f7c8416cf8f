/**
 * The status page end to end: a real `sitesync syncservice` on a temporary
 * home (local_drive sites, and a slow provider so a transfer can be watched),
 * its page in real headless Chromium.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { registerProvider } from "../../providers/registry.js";
import { createSlowDriveFactory } from "../fixtures/providers/slow-drive-impl.mjs";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { launchChromium, type PageService, ROOT, servicePage } from "./browser.js";

const SLOW_MODULE = path.join(ROOT, "test/fixtures/providers/slow-drive.mjs");
const env = { SITESYNC_PROVIDER_MODULES: SLOW_MODULE, SITESYNC_RETRY_BASE_MS: "5" };
// Screenshots are test artifacts (git-ignored); the README's in docs/images are refreshed with
// `SITESYNC_SCREENSHOTS=docs/images npx vitest run test/dashboard/e2e.test.ts`.
const IMAGES = path.resolve(ROOT, process.env.SITESYNC_SCREENSHOTS ?? "test-artifacts/dashboard");
// The test process reads the same settings, so it knows the provider too.
registerProvider(createSlowDriveFactory("slow_drive", 50), { replace: true });

let browser: Browser;
let studio: EngineStudio | undefined;
let running: PageService | undefined;
let other: Server | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await running?.service.stop("SIGKILL");
  running = undefined;
  await studio?.closeAll();
  studio = undefined;
  await new Promise((resolve) => (other ? other.close(resolve) : resolve(undefined)));
  other = undefined;
});

/** Remote site "slow" over the studio folder, copying 64 KiB every `delayMs`; `extra` is more of its block. */
function slowSettings(
  roots: { studio: string; local: string; dir: string },
  delayMs: number,
  extra = "",
): string {
  return artistSettings(roots, {
    config: "{loop_delay: 3600, retry_cnt: 2}",
    remote: "slow",
    sites: [
      `- {name: slow, provider: slow_drive, alternative_sites: [studio], slow_drive: {roots: "${roots.studio}", delay_ms: ${delayMs}, chunk: 65536, log: "${roots.dir}/transfers.log"${extra}}}`,
    ],
  });
}

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await page.goto(url);
  // A marker that a reload would lose: the table changes in place, without one.
  await page.evaluate(() => {
    (window as unknown as { sitesyncMarker: number }).sitesyncMarker = 1;
  });
  return page;
}

const marker = (page: Page) =>
  page.evaluate(() => (window as unknown as { sitesyncMarker?: number }).sitesyncMarker);
const row = (page: Page, id: string) => page.locator(`#table tr[data-id="${id}"]`);
const localStatus = (page: Page, id: string) => row(page, id).locator('td[data-side="local"] .status');

describe("status page in Chromium, served by the sync service", () => {
  it("shows a published representation, and its transfer's progress moving to OK without a reload", async () => {
    studio = await engineStudio({ settings: (roots) => slowSettings(roots, 60) });
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const { representationId: id } = await studio.publishFiles({ "scene.ma": big });
    // Held until the page is open: the page's own Unpause starts the transfer.
    const context = await studio.open();
    await context.store.setPaused({ kind: "representation", project: "Proj", representationId: id }, true);
    running = await servicePage(studio.home, "artist1", env);
    const page = await openPage(running.url);
    expect(page.url()).toBe(`${running.origin}/`);
    await expect(row(page, id).locator("td").first().textContent()).resolves.toBe("/assets/characters/hero");
    expect(await row(page, id).textContent()).toContain("workfileModeling");
    expect(await localStatus(page, id).textContent()).toBe("QUEUED");

    await row(page, id)
      .getByRole("button", { name: /^Unpause/ })
      .click();
    await page.locator("#result .result.ok").waitFor();
    // Part of the bytes there: the bar between empty and full, in the same page.
    await page.waitForFunction((rid) => {
      const bar = document.querySelector(`#table tr[data-id="${rid}"] td[data-side="local"] progress`);
      if (!(bar instanceof HTMLProgressElement)) return false;
      return bar.value > 0 && bar.value < bar.max;
    }, id);
    await page.screenshot({ path: path.join(IMAGES, "dashboard-table.png"), fullPage: true });
    // A keyboard user's focus survives the live refreshes: the next change of the bar replaces the row.
    const focused = row(page, id).getByRole("button", { name: /^Re-sync .* on slow$/ });
    await focused.focus();
    const focusedId = await focused.getAttribute("id");
    const before = await row(page, id).locator('td[data-side="local"] progress').getAttribute("value");
    await page.waitForFunction(
      ([rid, was]) => {
        const bar = document.querySelector(`#table tr[data-id="${rid}"] td[data-side="local"] progress`);
        return bar instanceof HTMLProgressElement && String(bar.value) !== was;
      },
      [id, before] as const,
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(focusedId);
    await page.waitForFunction(
      (rid) =>
        document.querySelector(`#table tr[data-id="${rid}"] td[data-side="local"] .status`)?.textContent ===
        "OK",
      id,
      { timeout: 30_000 },
    );
    expect(await marker(page)).toBe(1);

    await row(page, id).getByRole("link").first().click();
    await page.locator("#detail table.files").waitFor();
    expect(await page.locator("#detail table.files tbody tr").count()).toBe(1);
    expect(await page.locator("#detail table.files tbody").textContent()).toContain(
      "PR_hero_workfileModeling_v001.ma",
    );
    await page.screenshot({ path: path.join(IMAGES, "dashboard-detail.png"), fullPage: true });
    await page.close();
  });

  it("shows a failed transfer's message, and its re-sync button queues it again", async () => {
    studio = await engineStudio({
      settings: (roots) => slowSettings(roots, 0, ", fail_names: [PR_hero_workfileModeling_v001.ma]"),
    });
    const { representationId: id } = await studio.publishFiles({ "scene.ma": "burning" });
    running = await servicePage(studio.home, "artist1", env);
    await running.service.waitFor((l) => l.msg === "file failed");
    const page = await openPage(running.url);
    await expect(localStatus(page, id).textContent()).resolves.toBe("FAILED");
    expect(await row(page, id).locator("td.msg").textContent()).toContain("is on fire");

    // The service paused first, so the queued state stays on screen to be seen.
    await page.getByRole("button", { name: "Pause the sync service" }).click();
    await page.locator(".banner.paused").waitFor();
    await row(page, id)
      .getByRole("button", { name: /^Re-sync .* on artist1$/ })
      .click();
    await page.locator("#result", { hasText: "QUEUED" }).waitFor();
    await page.waitForFunction(
      (rid) =>
        document.querySelector(`#table tr[data-id="${rid}"] td[data-side="local"] .status`)?.textContent ===
        "QUEUED",
      id,
    );
    expect(await row(page, id).locator("td.msg").textContent()).toBe("");
    const failuresBefore = running.service.lines.filter((l) => l.msg === "file failed").length;
    await page.getByRole("button", { name: "Unpause the sync service" }).click();
    await page.waitForFunction(
      (rid) =>
        document.querySelector(`#table tr[data-id="${rid}"] td[data-side="local"] .status`)?.textContent ===
        "FAILED",
      id,
    );
    expect(running.service.lines.filter((l) => l.msg === "file failed").length).toBeGreaterThan(
      failuresBefore,
    );
    expect(await marker(page)).toBe(1);
    await page.close();
  });

  it("narrows the table with the filters", async () => {
    studio = await engineStudio({ settings: (roots) => slowSettings(roots, 0) });
    const modeling = await studio.publishFiles({ "scene.ma": "m" });
    const layout = await studio.publishFiles({ "scene.ma": "l" }, { product: "workfileLayout" });
    running = await servicePage(studio.home, "artist1", env);
    const page = await openPage(running.url);
    await row(page, layout.representationId).waitFor();
    expect(await page.locator("#table tbody tr").count()).toBe(2);
    // Every control has a label, every column header a scope, and the keyboard reaches the filters.
    const unlabelled = await page.evaluate(() =>
      [
        ...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>(
          "input:not([type=hidden]), select, button",
        ),
      ]
        .filter(
          (c) => (c.labels?.length ?? 0) === 0 && !c.getAttribute("aria-label") && !c.textContent?.trim(),
        )
        .map((c) => c.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.locator("thead th:not([scope=col])").count()).toBe(0);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("project-switch");
    await page.getByLabel("Product contains").fill("Layout");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/product=Layout/);
    expect(await page.locator("#table tbody tr").count()).toBe(1);
    await row(page, layout.representationId).waitFor();
    expect(await row(page, modeling.representationId).count()).toBe(0);
    await page.getByLabel("Local status").selectOption("FAILED");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/lstatus=FAILED/);
    expect(await page.locator("#table tbody").textContent()).toContain("No representation matches.");
    await page.close();
  });

  it("pause stops new transfers for that representation while others go on", async () => {
    studio = await engineStudio({ settings: (roots) => slowSettings(roots, 0) });
    const held = await studio.publishFiles({ "scene.ma": "held" });
    const context = await studio.open();
    // Nothing queued on this workstation yet: both are queued from the page, after the pause.
    for (const id of [held.representationId]) await context.store.removeSiteState("Proj", id, "artist1");
    running = await servicePage(studio.home, "artist1", env);
    await running.service.waitFor((l) => l.msg === "pass done");
    const free = await studio.publishFiles({ "scene.ma": "free" }, { product: "workfileLayout" });
    await context.store.removeSiteState("Proj", free.representationId, "artist1");
    const page = await openPage(running.url);
    await row(page, free.representationId).waitFor();
    await row(page, held.representationId)
      .getByRole("button", { name: /^Pause/ })
      .click();
    await row(page, held.representationId).locator(".tag").waitFor();
    await row(page, held.representationId)
      .getByRole("button", { name: /^Download .* to artist1$/ })
      .click();
    await page.waitForFunction(
      (rid) =>
        document.querySelector(`#table tr[data-id="${rid}"] td[data-side="local"] .status`)?.textContent ===
        "QUEUED",
      held.representationId,
    );
    await row(page, free.representationId)
      .getByRole("button", { name: /^Download .* to artist1$/ })
      .click();
    await page.waitForFunction(
      (rid) =>
        document.querySelector(`#table tr[data-id="${rid}"] td[data-side="local"] .status`)?.textContent ===
        "OK",
      free.representationId,
    );
    // The pass that moved the free one saw the held one queued and left it.
    expect(await localStatus(page, held.representationId).textContent()).toBe("QUEUED");
    const moved = running.service.lines.filter((l) => l.event === "file-done").map((l) => String(l.file));
    expect(moved.some((f) => f.includes("workfileLayout"))).toBe(true);
    expect(moved.some((f) => f.includes("workfileModeling"))).toBe(false);
    await page.close();
  });

  it("refuses a browser without the token, and a form posted from another origin", async () => {
    studio = await engineStudio({ settings: (roots) => slowSettings(roots, 0) });
    const { representationId: id } = await studio.publishFiles({ "scene.ma": "x" });
    running = await servicePage(studio.home, "artist1", env);
    const stranger = await browser.newContext();
    const refused = await stranger.newPage();
    const response = await refused.goto(`${running.origin}/`);
    expect(response?.status()).toBe(401);
    expect(await refused.locator("body").textContent()).toContain("open the URL sitesync printed");
    await stranger.close();

    // The same browser, signed in, visits a page on another port of the same host (same site:
    // SameSite=Strict still sends the cookie), whose form posts an action to the status page.
    const page = await openPage(running.url);
    const target = `${running.origin}/action`;
    other = createServer((_request, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        `<form method="post" action="${target}"><input name="action" value="pause"><input name="project" value="Proj"><input name="representation" value="${id}"><button>go</button></form>`,
      );
    });
    await new Promise<void>((resolve) => other?.listen(0, "127.0.0.1", resolve));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    await page.goto(otherUrl);
    const [posted] = await Promise.all([page.waitForResponse(target), page.getByRole("button").click()]);
    expect(posted.status()).toBe(403);
    expect(await posted.text()).toContain("a change must come from this page");
    const context = await studio.open();
    expect(await context.store.getPauses()).toEqual([]);
    await page.close();
  });
});
