/**
 * `validate` mirrors its result to the site's alternative sites, like every
 * other state change: an SFTP site serving the studio folder and `studio` are
 * the same storage, so a file missing on one is missing on both.
 */
import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { vendorSite } from "../helpers/sftp-studio.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";

let server: SshdServer;
let studio: EngineStudio | undefined;

beforeAll(async () => {
  server = await startSshd();
}, 60_000);
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
  rmSync(`${server.root}/Proj`, { recursive: true, force: true });
});
afterAll(async () => {
  await server?.stop();
});

describe("sitesync validate on a site with alternatives", () => {
  it("queues a missing file on the SFTP site and on studio, the same storage", async () => {
    const vendor = vendorSite(server, { site: "alternative_sites: [studio]," });
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings({ studio: server.root, local: roots.local }, { remote: "vendor", sites: [vendor] }),
    });
    const { representationId, paths } = await studio.publishFiles({ "scene.ma": "x", "res/a.png": "A" });
    const { store } = await studio.open();
    const statuses = async (site: string) =>
      (await store.getSiteStates("Proj", [representationId], [site]))[0]?.files.map((f) => f.status);
    expect(await statuses("vendor")).toEqual([SyncStatus.OK, SyncStatus.OK]);

    rmSync(fillRootless(paths[1] as string, { work: server.root }));
    const result = await runCli([
      ...["validate", "--project", "Proj", "--site", "vendor", "--reset-missing", "--json"],
      ...["--home", studio.home],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ site: "vendor", present: 1, missing: 1, reset: 1 });
    expect(await statuses("vendor")).toEqual([SyncStatus.OK, SyncStatus.QUEUED]);
    expect(await statuses("studio")).toEqual([SyncStatus.OK, SyncStatus.QUEUED]);
  });
});
