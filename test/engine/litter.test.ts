import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { deadPid, fileAged } from "../helpers/temps.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const OLD_MS = 10 * 60_000;

describe("a pass sweeps a killed process's temporary files", () => {
  it("from the remote folder it uploads into, once they are older than the lease", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const { paths } = await studio.publishFiles({ "scene.ma": "local work" }, { site: "local" });
    const target = fillRootless(paths[0] as string, { work: studio.studioRoot });
    const folder = path.dirname(target);
    const name = path.basename(target);
    const dead = deadPid();
    const stale = fileAged(path.join(folder, `.${name}.sitesync-${dead}-{made}-0123456789ab.part`), OLD_MS);
    const staleOther = fileAged(
      path.join(folder, `.old.abc.sitesync-${dead}-{made}-0123456789ab.part`),
      OLD_MS,
    );
    const kept = [
      // Younger than the lease: another machine may be uploading it right now.
      fileAged(path.join(folder, `.${name}.sitesync-${dead}-{made}-ba9876543210.part`), 1_000),
      fileAged(path.join(folder, ".x.sitesync-notes.part.txt"), OLD_MS),
      fileAged(path.join(folder, `x.sitesync-${dead}-{made}-0123456789ab.part`), OLD_MS),
      fileAged(path.join(folder, "notes.txt"), OLD_MS),
    ];

    const { engine } = await studio.engine();
    const report = await engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => [o.job.direction, o.status])).toEqual([["upload", "ok"]]);
    expect(readFileSync(target, "utf8")).toBe("local work");
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(staleOther)).toBe(false);
    for (const file of kept) expect(existsSync(file), file).toBe(true);
  });

  it("from the local folder it downloads into, keeping a younger one another machine may be writing", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const { paths } = await studio.publishFiles({ "scene.ma": "studio work" });
    const target = fillRootless(paths[0] as string, { work: studio.localRoot });
    const folder = path.dirname(target);
    const name = path.basename(target);
    const dead = deadPid();
    const stale = fileAged(path.join(folder, `.${name}.sitesync-${dead}-{made}-0123456789ab.part`), OLD_MS);
    const staleOther = fileAged(
      path.join(folder, `.old.abc.sitesync-${dead}-{made}-0123456789ab.part`),
      OLD_MS,
    );
    const young = fileAged(path.join(folder, `.${name}.sitesync-${dead}-{made}-ba9876543210.part`), 1_000);
    const user = fileAged(path.join(folder, "notes.txt"), OLD_MS);

    const { engine } = await studio.engine();
    const report = await engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => [o.job.direction, o.status])).toEqual([
      ["download", "ok"],
    ]);
    expect(readFileSync(target, "utf8")).toBe("studio work");
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(staleOther)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(existsSync(user)).toBe(true);
  });

  it("downloads a resource whose Japanese name is 250 bytes long", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const long = `${"背景".repeat(41)}.abc`;
    expect(Buffer.byteLength(long)).toBe(250);
    const { paths } = await studio.publishFiles({ "scene.ma": "scene", [`res/${long}`]: "texture" });
    const { engine } = await studio.engine();
    const report = await engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => [o.status, "message" in o ? o.message : ""])).toEqual([
      ["ok", ""],
      ["ok", ""],
    ]);
    const resource = paths.find((p) => p.endsWith(long)) as string;
    expect(readFileSync(fillRootless(resource, { work: studio.localRoot }), "utf8")).toBe("texture");
  });
});
