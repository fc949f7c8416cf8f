/**
 * Temporary files a killed process left (README.md "Transfer"): a pass sweeps
 * the folders it writes to, on this machine for downloads and on the remote
 * site for uploads, removing only this package's names older than the claim
 * lease. The leftovers are made with their literal pattern, as a killed
 * process of any version would have left them, and aged with utimes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { processAlive } from "../../lib/process.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const OLD_MS = 10 * 60_000;

function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ["-e", ""]);
  if (pid === undefined || processAlive(pid)) throw new Error("no exited process to borrow a pid from");
  return pid;
}

function fileAged(file: string, ageMs: number): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, "partial");
  const then = (Date.now() - ageMs) / 1000;
  utimesSync(file, then, then);
  return file;
}

describe("a pass sweeps a killed process's temporary files", () => {
  it("from the remote folder it uploads into, once they are older than the lease", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const { paths } = await studio.publishFiles({ "scene.ma": "local work" }, { site: "local" });
    const target = fillRootless(paths[0] as string, { work: studio.studioRoot });
    const folder = path.dirname(target);
    const name = path.basename(target);
    const dead = deadPid();
    const stale = fileAged(path.join(folder, `.${name}.sitesync-${dead}-0123456789ab.part`), OLD_MS);
    const staleOther = fileAged(path.join(folder, `.old.abc.sitesync-${dead}-0123456789ab.part`), OLD_MS);
    const kept = [
      // Younger than the lease: another machine may be uploading it right now.
      fileAged(path.join(folder, `.${name}.sitesync-${dead}-ba9876543210.part`), 1_000),
      fileAged(path.join(folder, ".x.sitesync-notes.part.txt"), OLD_MS),
      fileAged(path.join(folder, `x.sitesync-${dead}-0123456789ab.part`), OLD_MS),
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
    const stale = fileAged(path.join(folder, `.${name}.sitesync-${dead}-0123456789ab.part`), OLD_MS);
    const staleOther = fileAged(path.join(folder, `.old.abc.sitesync-${dead}-0123456789ab.part`), OLD_MS);
    const young = fileAged(path.join(folder, `.${name}.sitesync-${dead}-ba9876543210.part`), 1_000);
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
