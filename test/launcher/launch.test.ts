import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import type { EngineStudio } from "../helpers/engine.js";
import { hookStudio } from "../helpers/hook.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const launchArgs = (home: string, ...more: string[]) => [
  ...[
    "launch",
    "--project",
    "Proj",
    "--folder",
    "/assets/characters/hero",
    "--task",
    "modeling",
    "--app",
    "maya/2024",
  ],
  "--home",
  home,
  ...more,
];

const workDir = (s: EngineStudio) => path.join(s.localRoot, "Proj/assets/characters/hero/work/modeling");

interface DryRun {
  command: string[];
  data: {
    last_workfile_path: string;
    source_filepath?: string;
    env: Record<string, string>;
    workdir: string;
  };
  hooks: Array<{ name: string; plan?: unknown; skipped?: string; note?: string }>;
}

describe("sitesync launch", () => {
  it("starts the application with the workfile the hook prepared, resources beside it", async () => {
    const s = await hookStudio();
    studio = s;
    await s.publishFiles({ "scene.ma": "published", "res/textures/wood.png": "wood" });
    const result = await runCli(launchArgs(s.home));
    expect(result.code, result.stderr).toBe(0);
    const workfile = path.join(workDir(s), "PR_hero_modeling_v002.ma");
    expect(result.stdout).toContain(`stand-in maya opened ${workfile}`);
    expect(result.stdout).toContain("stand-in maya   resource textures/wood.png");
    // The next launch opens the same workfile: it exists now, so the hook skips.
    const again = await runCli(launchArgs(s.home));
    expect(again.stdout).toContain(`stand-in maya opened ${workfile}`);
  });

  it("prints the command and the final launch data with --dry-run, starting nothing and writing nothing", async () => {
    const s = await hookStudio();
    studio = s;
    await s.publishFiles({ "scene.ma": "published" });
    const result = await runCli(launchArgs(s.home, "--dry-run", "--json", "--", "-batch"));
    expect(result.code, result.stderr).toBe(0);
    const dry = result.json() as DryRun;
    const workfile = path.join(workDir(s), "PR_hero_modeling_v002.ma");
    expect(dry.command.slice(1)).toEqual(["-batch", workfile]);
    expect(dry.data.last_workfile_path).toBe(workfile);
    expect(dry.data.workdir).toBe(workDir(s));
    expect(dry.data.env).toMatchObject({
      AYON_PROJECT_NAME: "Proj",
      AYON_TASK_NAME: "modeling",
      AYON_HOST_NAME: "maya",
    });
    expect(dry.hooks).toEqual([
      { name: "copy-last-published-workfile", plan: expect.objectContaining({ action: "copy" }) },
    ]);
    expect(result.stdout).not.toContain("stand-in");
    // The hook only planned: the command names the workfile it would write, which is not there.
    expect(existsSync(workfile)).toBe(false);
  });

  it("runs hooks from the studio's hook folders in order with its own, skipping those for other apps; a dry run only those that support it", async () => {
    const dir = path.join((await import("node:os")).tmpdir(), `sitesync-hooks-${process.pid}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, "studio-hooks.mjs"),
      `export const setEnv = { name: "studio-env", order: -10, appGroups: ["maya"], dryRun: true,
         execute(ctx) { ctx.data.env.STUDIO_HOOK = "ran before copy: " + String(ctx.data.source_filepath === undefined); } };
       export const after = { name: "studio-after", order: 5, dryRun: true,
         execute(ctx) { ctx.data.env.AFTER_COPY = ctx.data.source_filepath ? "saw the copied workfile" : "no copy"; } };
       export const nukeOnly = { name: "nuke-only", order: 0, appGroups: ["nuke"], execute() { throw new Error("must not run"); } };
       export const noDry = { name: "no-dry-run", order: 7, execute() { throw new Error("must not run on a dry run"); } };
       export const notAHook = { name: "half" };`,
    );
    const s = await hookStudio({ hookDirs: [dir] });
    studio = s;
    await s.publishFiles({ "scene.ma": "published" });
    const result = await runCli(launchArgs(s.home, "--dry-run", "--json"));
    expect(result.code, result.stderr).toBe(0);
    const dry = result.json() as DryRun;
    expect(dry.hooks.map((h) => h.name)).toEqual([
      "studio-env",
      "copy-last-published-workfile",
      "studio-after",
      "no-dry-run",
    ]);
    expect(dry.hooks[2]).toEqual({ name: "studio-after", note: "supports dry run; returned no plan" });
    expect(dry.hooks[3]).toEqual({ name: "no-dry-run", skipped: "would run (does not support dry run)" });
    expect(dry.data.env.STUDIO_HOOK).toBe("ran before copy: true");
    expect(dry.data.env.AFTER_COPY).toBe("saw the copied workfile");
  });

  it("stops the launch with the hook's message when a prelaunch hook throws", async () => {
    const dir = path.join(
      (await import("node:os")).tmpdir(),
      `sitesync-hooks-${process.pid}-${Date.now()}-b`,
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, "license.mjs"),
      `export default { name: "license-check", order: 1, execute() { throw new Error("license server down"); } };`,
    );
    const s = await hookStudio({ hookDirs: [dir] });
    studio = s;
    const result = await runCli(launchArgs(s.home));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('prelaunch hook "license-check" stopped the launch: license server down');
    expect(result.stdout).not.toContain("stand-in");
  });

  it("rejects a hook folder that does not exist with exit 2", async () => {
    const s = await hookStudio({ hookDirs: ["/nonexistent/studio/hooks"] });
    studio = s;
    const result = await runCli(launchArgs(s.home, "--dry-run"));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('launcher.hook_dirs[0]: "/nonexistent/studio/hooks" is not a folder');
  });
});
