import { afterEach, describe, expect, it } from "vitest";
import { SyncStatus } from "../../lib/store/status.js";
import { registerProvider } from "../../providers/registry.js";
import { createSlowDriveFactory } from "../fixtures/providers/slow-drive-impl.mjs";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";

registerProvider(createSlowDriveFactory("tiny_drive", 2), { replace: true });

/** A remote site on the test provider "tiny_drive": a folder, with a batch limit of 2 representations. */
const tinyRemote = (roots: { studio: string; local: string; dir: string }) =>
  artistSettings(roots, {
    remote: "tiny",
    sites: [`- {name: tiny, provider: tiny_drive, tiny_drive: {roots: "${roots.studio}"}}`],
  });

/** Studios made by the running test, closed after it whether it passed or not. */
const studios: EngineStudio[] = [];

afterEach(async () => {
  for (const studio of studios.splice(0)) await studio.closeAll();
});

async function newStudio(options?: Parameters<typeof engineStudio>[0]): Promise<EngineStudio> {
  const studio = await engineStudio(options);
  studios.push(studio);
  return studio;
}

describe("engine work queue", () => {
  it("takes the highest priorities first, no more representations per pass than the provider's batch limit", async () => {
    const studio = await newStudio({ settings: tinyRemote });
    const context = await studio.open();
    const ids: Record<number, string> = {};
    for (const priority of [10, 90, 50]) {
      const { representationId } = await studio.publishFiles(
        { "scene.ma": `p${priority}` },
        { product: `workfileP${priority}` },
      );
      ids[priority] = representationId;
      await context.store.setSiteState("Proj", representationId, "tiny", { files: [], reset: true });
      const [rep] = await context.store.getRepresentations("Proj", { ids: [representationId] });
      await context.store.setSiteState("Proj", representationId, "tiny", {
        files: (rep?.files ?? []).map((f) => ({ fileId: f.id, status: SyncStatus.OK, size: f.size })),
      });
      await context.store.setSiteState("Proj", representationId, "artist1", {
        files: (rep?.files ?? []).map((f) => ({ fileId: f.id, status: SyncStatus.QUEUED })),
        priority,
      });
    }
    const { engine } = await studio.engine();
    const first = await engine.runPass();
    const moved = (report: typeof first) => report.projects[0]?.outcomes.map((o) => o.job.representationId);
    expect(moved(first)).toEqual([ids[90], ids[50]]);
    expect(moved(await engine.runPass())).toEqual([ids[10]]);
  });

  it("keeps pauses of a representation, a project and the service across a restart", async () => {
    const studio = await newStudio({ settings: (roots) => artistSettings(roots) });
    const a = await studio.publishFiles({ "scene.ma": "a" }, { product: "workfileA" });
    const b = await studio.publishFiles({ "scene.ma": "b" }, { product: "workfileB" });
    const cli = (...args: string[]) => runCli([...args, "--home", studio.home]);
    expect((await cli("pause", "--project", "Proj", "--representation", a.representationId)).code).toBe(0);
    // Each engine below opens the store afresh, as a restarted process would.
    let report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => o.job.representationId)).toEqual([b.representationId]);

    const c = await studio.publishFiles({ "scene.ma": "c" }, { product: "workfileC" });
    expect((await cli("pause", "--project", "Proj")).code).toBe(0);
    report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.skipped).toBe("the project is paused");
    expect((await cli("unpause", "--project", "Proj")).code).toBe(0);

    expect((await cli("pause", "--service")).code).toBe(0);
    report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.skipped).toBe("the sync service is paused");
    expect((await cli("unpause", "--service")).code).toBe(0);

    report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => o.job.representationId)).toEqual([c.representationId]);
    expect((await cli("unpause", "--project", "Proj", "--representation", a.representationId)).code).toBe(0);
    report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => o.job.representationId)).toEqual([a.representationId]);
    const bad = await cli("pause", "--project", "Proj", "--service");
    expect(bad.code).toBe(2);
  });

  it("queues always_accessible_on sites at publish, and a service for that site fills them", async () => {
    const studio = await newStudio({
      settings: (roots) =>
        artistSettings(roots, {
          config: "{always_accessible_on: [backup]}",
          sites: [
            `- {name: backup, provider: local_drive, local_drive: {roots: [{name: work, linux: "${roots.dir}/backup"}]}}`,
          ],
        }),
    });
    const { representationId } = await studio.publishFiles({ "scene.ma": "keep safe" });
    const context = await studio.open();
    const before = await context.store.getSiteStates("Proj", [representationId], ["backup"]);
    expect(before[0]?.status).toBe(SyncStatus.QUEUED);
    // The artist's own pass does not touch backup; a service running for backup does.
    await (await studio.engine()).engine.runPass();
    expect((await context.store.getSiteStates("Proj", [representationId], ["backup"]))[0]?.status).toBe(
      SyncStatus.QUEUED,
    );
    const report = await (await studio.engine({ ownSite: "backup" })).engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => o.status)).toEqual(["ok"]);
    expect((await context.store.getSiteStates("Proj", [representationId], ["backup"]))[0]?.status).toBe(
      SyncStatus.OK,
    );
  });

  it("puts files left IN_PROGRESS by a dead process back to QUEUED and lets the next pass finish them", async () => {
    const studio = await newStudio({ settings: (roots) => artistSettings(roots) });
    const { representationId } = await studio.publishFiles({ "scene.ma": "interrupted" });
    const context = await studio.open();
    const [rep] = await context.store.getRepresentations("Proj", { ids: [representationId] });
    const fileId = rep?.files[0]?.id as string;
    await context.store.setSiteState("Proj", representationId, "artist1", {
      files: [{ fileId, status: SyncStatus.IN_PROGRESS, retries: 1 }],
    });
    // A claim held by a process that no longer exists (this host, a pid that is not running).
    await context.store.claimFiles(
      "Proj",
      representationId,
      "artist1",
      [fileId],
      `${(await import("node:os")).hostname()}/999999/dead`,
      60_000,
    );
    const { engine } = await studio.engine();
    expect(await engine.recover()).toEqual({ releasedOwners: 1, requeued: 1 });
    const [state] = await context.store.getSiteStates("Proj", [representationId], ["artist1"]);
    expect(state?.files[0]).toMatchObject({ status: SyncStatus.QUEUED, retries: 1 });
    expect((await engine.runPass()).projects[0]?.outcomes.map((o) => o.status)).toEqual(["ok"]);
  });
});
