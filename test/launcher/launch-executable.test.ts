/**
 * `sitesync launch` checks the application's executable before any prelaunch
 * hook runs: a launch that cannot start must not transfer the workfile first.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, snapshot } from "../helpers/cli.js";
import { rowCounts } from "../helpers/db.js";
import type { EngineStudio } from "../helpers/engine.js";
import { hookStudio, STANDIN_DCC } from "../helpers/hook.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const launchArgs = (home: string, ...more: string[]) => [
  ...["launch", "--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
  ...["--app", "maya/2024", "--home", home, ...more],
];

/** Points maya/2024's executables (linux and darwin) at `candidates`. */
function setExecutables(s: EngineStudio, candidates: string[]): void {
  const file = path.join(s.home, "settings.yaml");
  const list = JSON.stringify(candidates);
  const before = readFileSync(file, "utf8");
  const after = before.replace(
    /"2024": \{executables: .*\}\}/,
    `"2024": {executables: {linux: ${list}, darwin: ${list}}}`,
  );
  expect(after).not.toBe(before);
  writeFileSync(file, after);
}

/** Every sync_state row of the home's store: what the copy hook would change. */
function syncState(home: string): unknown[] {
  const db = new Database(path.join(home, "sitesync.db"), { readonly: true });
  try {
    return db.prepare("SELECT * FROM sync_state ORDER BY 1, 2").all();
  } finally {
    db.close();
  }
}

describe("sitesync launch checks the executable before any hook", () => {
  for (const dryRun of [false, true]) {
    it(`exits 2 naming the variant and every path tried, running no hook${dryRun ? " (--dry-run)" : ""}`, async () => {
      const s = await hookStudio();
      studio = s;
      await s.publishFiles({ "scene.ma": "published", "res/textures/wood.png": "wood" });
      const apps = path.join(s.dir, "apps");
      mkdirSync(apps);
      const missing = path.join(apps, "maya2024/bin/maya");
      const notExecutable = path.join(apps, "maya.sh");
      writeFileSync(notExecutable, "#!/bin/sh\n");
      chmodSync(notExecutable, 0o644);
      const bare = "sitesync-test-no-such-maya";
      setExecutables(s, [missing, apps, notExecutable, bare]);

      const localBefore = snapshot(s.localRoot);
      const rowsBefore = rowCounts(s.home);
      const stateBefore = syncState(s.home);
      const result = await runCli(launchArgs(s.home, ...(dryRun ? ["--dry-run"] : [])));

      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain("application maya/2024 cannot start");
      expect(result.stderr).toContain("applications.maya.variants.2024.executables.linux");
      expect(result.stderr).toContain(`${missing} (does not exist)`);
      expect(result.stderr).toContain(`${apps} (is a folder, not a file)`);
      expect(result.stderr).toContain(`${notExecutable} (is not executable`);
      expect(result.stderr).toContain(`${bare} (not found on PATH)`);
      // No hook ran: nothing reached the work area or the local site, and the store is as it was.
      expect(result.stdout).not.toContain("stand-in");
      expect(snapshot(s.localRoot)).toEqual(localBefore);
      expect(Object.keys(localBefore)).toEqual([]);
      expect(rowCounts(s.home)).toEqual(rowsBefore);
      expect(syncState(s.home)).toEqual(stateBefore);
    });
  }

  it("starts the first usable executable, a bare name found on PATH", async () => {
    const s = await hookStudio();
    studio = s;
    await s.publishFiles({ "scene.ma": "published" });
    setExecutables(s, [path.join(s.dir, "nowhere/maya"), path.basename(STANDIN_DCC), STANDIN_DCC]);
    const result = await runCli(launchArgs(s.home, "--dry-run", "--json"), {
      env: { PATH: `${path.dirname(STANDIN_DCC)}${path.delimiter}${process.env.PATH ?? ""}` },
    });
    expect(result.code, result.stderr).toBe(0);
    expect((result.json() as { command: string[] }).command[0]).toBe(STANDIN_DCC);
  });
});
