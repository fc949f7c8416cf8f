/**
 * Wake-ups: `unpause` (like `site add` and `publish`) wakes the running
 * services, so unpaused work never waits for loop_delay.
 */
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { type RunningService, startService } from "../helpers/service.js";

let studio: EngineStudio | undefined;
let service: RunningService | undefined;
afterEach(async () => {
  await service?.stop("SIGKILL");
  service = undefined;
  await studio?.closeAll();
  studio = undefined;
});

describe("sitesync unpause", () => {
  it("wakes the running service, which moves the unpaused work at once", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { config: "{loop_delay: 3600}" }),
    });
    const cli = (...args: string[]) => runCli([...args, "--home", studio?.home as string]);
    expect((await cli("pause", "--project", "Proj")).code).toBe(0);
    const { paths } = await studio.publishFiles({ "scene.ma": "held back" });
    service = startService(studio.home, "artist1");
    await service.waitFor((l) => l.msg === "pass finished");
    const local = fillRootless(paths[0] as string, { work: studio.localRoot });
    expect(existsSync(local)).toBe(false);

    const unpaused = await cli("unpause", "--project", "Proj", "--json");
    expect(unpaused.code, unpaused.stderr).toBe(0);
    expect(unpaused.json()).toMatchObject({ paused: false, wokenServices: ["artist1"] });
    // loop_delay is an hour: only the wake can make the file move within the bound.
    await service.waitFor((l) => l.event === "file-done" && l.status === "ok", 10_000);
    expect(existsSync(local)).toBe(true);
  });
});
