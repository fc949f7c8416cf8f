import { existsSync, readdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";

/** Studios made by the running test, closed after it whether it passed or not. */
const studios: EngineStudio[] = [];

afterEach(async () => {
  for (const studio of studios.splice(0)) await studio.closeAll();
});

async function newStudio(): Promise<EngineStudio> {
  const studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
  studios.push(studio);
  return studio;
}

describe("SyncEngine.planBring", () => {
  it("says what bring would do, with reads only, and agrees with bring afterwards", async () => {
    const studio = await newStudio();
    const { representationId, paths } = await studio.publishFiles({
      "scene.ma": "scene",
      "res/a.png": "AA",
    });
    const { engine, events, context } = await studio.engine();
    const before = await context.store.getSiteStates("Proj", [representationId], ["artist1", "studio"]);

    const plan = await engine.planBring({ project: "Proj", representationIds: [representationId] });
    const onSite = paths.map((p) => fillRootless(p, { work: studio.localRoot }));
    expect(plan.activeSite).toBe("artist1");
    expect(plan.remoteSite).toBe("studio");
    expect(plan.files.map((f) => [f.path, f.action, f.from])).toEqual(
      onSite.map((p) => [p, "transfer", "studio"]),
    );
    expect(plan.files.map((f) => f.size)).toEqual([5, 2]);
    // Nothing written, claimed, emitted or created.
    expect(await context.store.getSiteStates("Proj", [representationId], ["artist1", "studio"])).toEqual(
      before,
    );
    expect(await context.store.getClaimOwners()).toEqual([]);
    expect(events).toEqual([]);
    expect(existsSync(studio.localRoot) ? readdirSync(studio.localRoot) : []).toEqual([]);

    const report = await engine.bring({ project: "Proj", representationIds: [representationId] });
    expect(report.files.map((f) => f.path).sort()).toEqual([...onSite].sort());
    const after = await engine.planBring({ project: "Proj", representationIds: [representationId] });
    expect(after.files.map((f) => [f.path, f.action, f.from])).toEqual(
      onSite.map((p) => [p, "present", null]),
    );
  });

  it("marks a file the remote site lacks unavailable, with the reason bring would fail with", async () => {
    const studio = await newStudio();
    const { representationId } = await studio.publishFiles({ "scene.ma": "scene", "res/a.png": "AA" });
    const { engine, context } = await studio.engine();
    const [rep] = await context.store.getRepresentations("Proj", { ids: [representationId] });
    const [, resource] = rep?.files ?? [];
    await context.store.setSiteState("Proj", representationId, "studio", {
      files: [{ fileId: resource?.id as string, status: SyncStatus.QUEUED }],
    });

    const plan = await engine.planBring({ project: "Proj", representationIds: [representationId] });
    expect(plan.files.map((f) => f.action)).toEqual(["transfer", "unavailable"]);
    expect(plan.files[1]).toMatchObject({
      from: null,
      reason: 'not available on the remote site "studio" (QUEUED)',
    });
    await expect(engine.bring({ project: "Proj", representationIds: [representationId] })).rejects.toThrow(
      /is not available on the remote site "studio" \(QUEUED\)/,
    );
  });

  it("refuses unknown representations as bring does", async () => {
    const studio = await newStudio();
    const { engine } = await studio.engine();
    await expect(engine.planBring({ project: "Proj", representationIds: ["nope"] })).rejects.toThrow(
      /unknown representation\(s\) nope/,
    );
    await expect(engine.planBring({ project: "Nope", representationIds: [] })).rejects.toThrow(
      /unknown project "Nope"/,
    );
  });
});
