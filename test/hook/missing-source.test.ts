/**
 * Issue 11 item 10 for the prelaunch hook: when the published workfile is
 * missing on the remote site, `hook run` fails at once (one try, not
 * `retry_cnt`) and says that the published file is missing there, naming it.
 */
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { EngineStudio } from "../helpers/engine.js";
import { hookStudio } from "../helpers/hook.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

describe("copy-last-published-workfile with the published file missing on the remote site", () => {
  it("exits 1 at once saying the published file is missing on site studio, naming it", async () => {
    const s = await hookStudio({ config: "{retry_cnt: 3}" });
    studio = s;
    const { representationId, paths } = await s.publishFiles({ "scene.ma": "lost", "res/a.png": "a" });
    const gone = fillRootless(paths[0] as string, { work: s.studioRoot });
    rmSync(gone);
    const result = await s.hook();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the published file ${gone} is missing on site studio`);
    expect(existsSync(path.join(s.localRoot, "Proj/assets/characters/hero/work"))).toBe(false);
    const context = await s.open();
    const [representation] = await context.store.getRepresentations("Proj", { ids: [representationId] });
    const workfileId = representation?.files.find((f) => f.path === paths[0])?.id;
    const [state] = await context.store.getSiteStates("Proj", [representationId], ["artist1"]);
    const file = state?.files.find((f) => f.fileId === workfileId);
    expect(file).toMatchObject({ status: SyncStatus.FAILED, retries: 1 });
  });
});
