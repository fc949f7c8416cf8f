/**
 * The work area is written only by the hook, so only the hook can sweep what
 * a killed launch left there: the next run removes this package's temporary
 * names older than the claim lease from the folders it copies into, and
 * nothing else. The leftovers carry the names a killed copy leaves
 * (lib/fs/temp-names.ts), aged with utimes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { processAlive } from "../../lib/process.js";
import type { EngineStudio } from "../helpers/engine.js";
import { type HookJson, hookStudio } from "../helpers/hook.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const OLD_MS = 10 * 60_000;
const workDir = (s: EngineStudio) => path.join(s.localRoot, "Proj/assets/characters/hero/work/modeling");

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

describe("copy-last-published-workfile and a killed launch's leftovers", () => {
  it("removes the temporary files older than the lease from the work area before it copies there", async () => {
    const s = await hookStudio();
    studio = s;
    await s.publishFiles({ "scene.ma": "published", "res/tex/a.png": "A" });
    const work = workDir(s);
    const dead = deadPid();
    const stale = [
      fileAged(path.join(work, `.PR_hero_modeling_v002.ma.sitesync-${dead}-0123456789ab.part`), OLD_MS),
      fileAged(path.join(work, "resources/tex", `.a.png.sitesync-${dead}-0123456789ab.part`), OLD_MS),
    ];
    const kept = [
      // Younger than the lease: another launch of this task, on another machine, may be copying it.
      fileAged(path.join(work, `.PR_hero_modeling_v002.ma.sitesync-${dead}-ba9876543210.part`), 1_000),
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
