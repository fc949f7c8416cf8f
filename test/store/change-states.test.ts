/**
 * Multi-row state changes in one transaction (README "Store consistency"):
 * site add/remove/reset check and write together, a settled state and its
 * alternative sites' mirrors land together, recovery never requeues a file a
 * live transfer holds or another process settled, and `site remove
 * --remove-local-files` refuses while a transfer holds any of the files.
 */
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncEngine } from "../../lib/engine/engine.js";
import { StateRecorder } from "../../lib/engine/recorder.js";
import type { FileJob } from "../../lib/engine/types.js";
import { resolveProjectSites } from "../../lib/settings/sites.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { Store } from "../../lib/store/types.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const statuses = async (store: Store, representationId: string, site: string) =>
  (await store.getSiteStates("Proj", [representationId], [site]))[0]?.files.map((f) => f.status);

describe("changeSiteStates", () => {
  it("writes nothing at all when one expectation fails, and everything when all hold", async () => {
    studio = await engineStudio();
    const a = await studio.publishFiles({ "scene.ma": "a" });
    const b = await studio.publishFiles({ "scene.ma": "b" }, { product: "workfileOther" });
    const { store } = await studio.open();
    const queued = (id: string) => ({
      files: [{ fileId: id, status: SyncStatus.QUEUED, size: 0 }],
    });
    const [fileA] = (await store.getRepresentations("Proj", { ids: [a.representationId] }))[0]?.files ?? [];
    const [fileB] = (await store.getRepresentations("Proj", { ids: [b.representationId] }))[0]?.files ?? [];
    const refused = await store.changeSiteStates("Proj", [
      {
        op: "set",
        representationId: a.representationId,
        site: "nas",
        options: queued(fileA?.id as string),
      },
      // studio holds b since its publish: "absent" fails, so the change to a must not land either.
      {
        op: "set",
        representationId: b.representationId,
        site: "studio",
        options: queued(fileB?.id as string),
        expect: "absent",
      },
    ]);
    expect(refused.conflicts).toEqual([
      { representationId: b.representationId, site: "studio", reason: "present", fileIds: [] },
    ]);
    expect(refused.written).toBe(0);
    expect(await statuses(store, a.representationId, "nas")).toBeUndefined();
    expect(await statuses(store, b.representationId, "studio")).toEqual([SyncStatus.OK]);

    const done = await store.changeSiteStates("Proj", [
      {
        op: "set",
        representationId: a.representationId,
        site: "nas",
        options: queued(fileA?.id as string),
      },
      { op: "remove", representationId: b.representationId, site: "studio", expect: "present" },
    ]);
    expect(done).toEqual({ conflicts: [], written: 1, records: 2 });
    expect(await statuses(store, a.representationId, "nas")).toEqual([SyncStatus.QUEUED]);
    expect(await statuses(store, b.representationId, "studio")).toBeUndefined();
  });

  it("records a settled file and its alternative sites' mirror in one transaction", async () => {
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(roots, {
          sites: [
            `- {name: nas, provider: local_drive, alternative_sites: [artist1], local_drive: {roots: [{name: work, linux: "${roots.local}"}]}}`,
          ],
        }),
    });
    const { representationId } = await studio.publishFiles({ "scene.ma": "mirrored" });
    const context = await studio.open();
    const project = await context.store.getProject("Proj");
    const sites = resolveProjectSites(
      context.settings.forProject("Proj"),
      project?.anatomy.roots as never,
      "artist1",
      context.platform,
    );
    const [file] =
      (await context.store.getRepresentations("Proj", { ids: [representationId] }))[0]?.files ?? [];
    const calls: string[][] = [];
    const spy: Store = {
      ...context.store,
      changeSiteStates: (project, changes) => {
        calls.push(changes.map((c) => c.site));
        return context.store.changeSiteStates(project, changes);
      },
    };
    const job = { project: "Proj", representationId, file, targetSite: "artist1" } as FileJob;
    await new StateRecorder(spy, sites).finished([{ status: "ok", job, bytes: 8 }]);
    expect(calls).toEqual([["artist1", "nas"]]);
    expect(await statuses(context.store, representationId, "nas")).toEqual([SyncStatus.OK]);
  });
});

describe("recovery", () => {
  it("requeues only files still IN_PROGRESS that no live claim holds, in one change", async () => {
    studio = await engineStudio();
    const { representationId } = await studio.publishFiles({
      "scene.ma": "x",
      "res/a.png": "A",
      "res/b.png": "B",
    });
    const { context } = await studio.engine();
    const files =
      (await context.store.getRepresentations("Proj", { ids: [representationId] }))[0]?.files ?? [];
    const [held, stuck, settled] = files.map((f) => f.id) as [string, string, string];
    await context.store.setSiteState("Proj", representationId, "artist1", {
      files: files.map((f) => ({ fileId: f.id, status: SyncStatus.IN_PROGRESS, size: 0 })),
    });
    // Another machine's live transfer holds `held`.
    await context.store.claimFiles("Proj", representationId, "artist1", [held], "farm-07/4242/ab", 60_000);
    // Another process settles `settled` after recovery read its page: the store's check inside the
    // transaction is what keeps it OK, so read the page first by wrapping listSiteStates.
    const store: Store = {
      ...context.store,
      listSiteStates: async (project, filter, page) => {
        const states = await context.store.listSiteStates(project, filter, page);
        await context.store.setSiteState("Proj", representationId, "artist1", {
          files: [{ fileId: settled, status: SyncStatus.OK, size: 1 }],
        });
        return states;
      },
    };
    const engine = new SyncEngine({
      store,
      settings: context.settings,
      ownSite: studio.siteId,
      platform: context.platform,
      retryBaseMs: 5,
    });
    const result = await engine.recover();
    expect(result.requeued).toBe(1);
    const [state] = await context.store.getSiteStates("Proj", [representationId], ["artist1"]);
    const by = new Map(state?.files.map((f) => [f.fileId, f.status]));
    expect([by.get(held), by.get(stuck), by.get(settled)]).toEqual([
      SyncStatus.IN_PROGRESS,
      SyncStatus.QUEUED,
      SyncStatus.OK,
    ]);
  });
});

describe("sitesync site remove --remove-local-files", () => {
  it("refuses with exit 1, naming the files, while a live claim holds any of them; removes them once free", async () => {
    studio = await engineStudio();
    const { representationId, paths } = await studio.publishFiles({ "scene.ma": "x", "res/a.png": "A" });
    const cli = (...args: string[]) => runCli([...args, "--home", studio?.home as string]);
    expect((await cli("sync", "--project", "Proj", "--once")).code).toBe(0);
    const local = paths.map((p) => fillRootless(p, { work: studio?.localRoot as string }));
    const { store } = await studio.open();
    const files = (await store.getRepresentations("Proj", { ids: [representationId] }))[0]?.files ?? [];
    const png = files.find((f) => f.name === "a.png");
    await store.claimFiles(
      "Proj",
      representationId,
      "artist1",
      [png?.id as string],
      "farm-07/4242/ab",
      60_000,
    );

    const target = ["--project", "Proj", "--representation", representationId, "--site", "local"];
    const refused = await cli("site", "remove", ...target, "--remove-local-files");
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain("a running transfer holds 1 file(s)");
    expect(refused.stderr).toContain(png?.path as string);
    for (const file of local) expect(existsSync(file)).toBe(true);
    expect(await statuses(store, representationId, "artist1")).toEqual([SyncStatus.OK, SyncStatus.OK]);

    await store.releaseClaims("farm-07/4242/ab");
    const removed = await cli("site", "remove", ...target, "--remove-local-files");
    expect(removed.code, removed.stderr).toBe(0);
    for (const file of local) expect(existsSync(file)).toBe(false);
    expect(await statuses(store, representationId, "artist1")).toBeUndefined();
  });
});
