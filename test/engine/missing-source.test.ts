/**
 * Issue 11 item 10 between two local_drive sites: a source file that is
 * missing (ENOENT) is a permanent error (providers/README.md, rule 4). The
 * file fails at once, after one try rather than `retry_cnt`, with a message
 * naming the site and the path.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

interface SyncJson {
  projects: Array<{ transferred: number; failed: Array<{ file: string; message: string; retries: number }> }>;
}

async function syncOnce(home: string) {
  const result = await runCli(["sync", "--project", "Proj", "--once", "--json", "--home", home], {
    env: { SITESYNC_RETRY_BASE_MS: "5" },
  });
  return { code: result.code, stderr: result.stderr, project: (result.json() as SyncJson).projects[0] };
}

async function fileState(s: EngineStudio, representationId: string, site: string) {
  const [state] = await (await s.open()).store.getSiteStates("Proj", [representationId], [site]);
  return state?.files[0];
}

describe("a missing source file fails at once", () => {
  it("sync --once fails a download whose file was deleted from the studio folder after publish, naming site and path", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots, { config: "{retry_cnt: 3}" }) });
    const { representationId, paths } = await studio.publishFiles({ "scene.ma": "deleted after publish" });
    const gone = fillRootless(paths[0] as string, { work: studio.studioRoot });
    rmSync(gone);
    const { code, stderr, project } = await syncOnce(studio.home);
    expect(code, stderr).toBe(1);
    expect(project?.failed).toHaveLength(1);
    expect(project?.failed[0]?.retries).toBe(1);
    expect(project?.failed[0]?.message).toContain(`${gone} is missing on site studio`);
    expect(await fileState(studio, representationId, "artist1")).toMatchObject({
      status: SyncStatus.FAILED,
      retries: 1,
    });
  });

  it("sync --once fails an upload whose local file was deleted after publish, naming the path and the site", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots, { config: "{retry_cnt: 3}" }) });
    const { representationId, paths } = await studio.publishFiles(
      { "scene.ma": "deleted after publish" },
      { site: "local" },
    );
    const gone = fillRootless(paths[0] as string, { work: studio.localRoot });
    rmSync(gone);
    const { code, stderr, project } = await syncOnce(studio.home);
    expect(code, stderr).toBe(1);
    expect(project?.failed[0]?.retries).toBe(1);
    expect(project?.failed[0]?.message).toContain(
      `${gone} is missing on this machine, so it cannot be uploaded to site studio`,
    );
    expect(await fileState(studio, representationId, "studio")).toMatchObject({
      status: SyncStatus.FAILED,
      retries: 1,
    });
  });
});
