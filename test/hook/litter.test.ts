import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineStudio } from "../helpers/engine.js";
import { type HookJson, hookStudio } from "../helpers/hook.js";
import { deadPid, fileAged } from "../helpers/temps.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const OLD_MS = 10 * 60_000;
const workDir = (s: EngineStudio) => path.join(s.localRoot, "Proj/assets/characters/hero/work/modeling");

describe("copy-last-published-workfile and a killed launch's leftovers", () => {
  it("removes the temporary files older than the lease from the work area before it copies there", async () => {
    const s = await hookStudio();
    studio = s;
    await s.publishFiles({ "scene.ma": "published", "res/tex/a.png": "A" });
    const work = workDir(s);
    const dead = deadPid();
    const stale = [
      fileAged(
        path.join(work, `.PR_hero_modeling_v002.ma.sitesync-${dead}-{made}-0123456789ab.part`),
        OLD_MS,
      ),
      fileAged(path.join(work, "resources/tex", `.a.png.sitesync-${dead}-{made}-0123456789ab.part`), OLD_MS),
    ];
    const kept = [
      // Younger than the lease: another launch of this task, on another machine, may be copying it.
      fileAged(path.join(work, `.PR_hero_modeling_v002.ma.sitesync-${dead}-{made}-ba9876543210.part`), 1_000),
      fileAged(path.join(work, ".x.sitesync-notes.part.txt"), OLD_MS),
      fileAged(path.join(work, "notes.txt"), OLD_MS),
    ];

    const result = await s.hook("--json");
    expect(result.code, result.stderr).toBe(0);
    const json = result.json() as HookJson;
    expect(json.status).toBe("copied");
    expect(readFileSync(json.last_workfile_path, "utf8")).toBe("published");
    expect(readFileSync(path.join(work, "resources/tex/a.png"), "utf8")).toBe("A");
    for (const file of stale) expect(existsSync(file), file).toBe(false);
    for (const file of kept) expect(existsSync(file), file).toBe(true);
  });
});
