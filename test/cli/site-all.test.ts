/**
 * `site add --all`: the bulk form of `site add` that backfills a site (one
 * added to always_accessible_on after publishes were made) for every
 * representation without a state there, optionally filtered.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SyncStatus } from "../../lib/store/status.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

describe("sitesync site add --all", () => {
  it("queues the site for every representation without a state there, filtered, keeping existing states", async () => {
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(roots, {
          sites: [
            `- {name: backup, provider: local_drive, local_drive: {roots: [{name: work, linux: "${roots.dir}/backup"}]}}`,
          ],
        }),
    });
    const a = await studio.publishFiles({ "scene.ma": "a" }, { product: "workfileModeling" });
    const b = await studio.publishFiles({ "scene.ma": "b" }, { product: "workfileLayout" });
    const c = await studio.publishFiles({ "scene.ma": "c" }, { product: "workfileLayoutAlt" });
    const { store } = await studio.open();
    // b is already on backup: --all must leave that state alone.
    await store.setSiteState("Proj", b.representationId, "backup", {
      files: [
        {
          fileId: (await store.getRepresentations("Proj", { ids: [b.representationId] }))[0]?.files[0]
            ?.id as string,
          status: SyncStatus.OK,
          size: 1,
        },
      ],
    });
    const cli = (...args: string[]) => runCli([...args, "--home", studio?.home as string]);

    const layout = await cli(
      "site",
      "add",
      "--project",
      "Proj",
      "--site",
      "backup",
      "--all",
      "--product",
      "Layout",
      "--json",
    );
    expect(layout.code, layout.stderr).toBe(0);
    expect(layout.json()).toMatchObject({ site: "backup", queued: 1 });
    const status = async (id: string) => (await store.getSiteStates("Proj", [id], ["backup"]))[0]?.status;
    expect([
      await status(a.representationId),
      await status(b.representationId),
      await status(c.representationId),
    ]).toEqual([undefined, SyncStatus.OK, SyncStatus.QUEUED]);

    const rest = await cli("site", "add", "--project", "Proj", "--site", "backup", "--all", "--json");
    expect(rest.json()).toMatchObject({ queued: 1 });
    expect(await status(a.representationId)).toBe(SyncStatus.QUEUED);
    expect(await status(b.representationId)).toBe(SyncStatus.OK);
    expect(
      (await cli("site", "add", "--project", "Proj", "--site", "backup", "--all", "--json")).json(),
    ).toMatchObject({ queued: 0 });

    for (const bad of [
      ["--all", "--representation", a.representationId],
      [],
      ["--representation", a.representationId, "--folder", "hero"],
      ["--all", "--force"],
    ]) {
      const refused = await cli("site", "add", "--project", "Proj", "--site", "backup", ...bad);
      expect(refused.code, bad.join(" ")).toBe(2);
    }
    const unknown = await cli("site", "add", "--project", "Proj", "--site", "nosuch", "--all");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown site "nosuch"');
  });
});
