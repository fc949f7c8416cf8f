import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import type { EngineStudio } from "../helpers/engine.js";
import { type HookJson, hookStudio } from "../helpers/hook.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const workDir = (s: EngineStudio) => path.join(s.localRoot, "Proj/assets/characters/hero/work/modeling");

describe("copy-last-published-workfile skips, each with its reason (exit 0)", () => {
  it("when the launch has an explicit workfile_path", async () => {
    const s = await hookStudio();
    studio = s;
    await s.publishFiles({ "scene.ma": "published" });
    const result = await s.hook("--workfile", "/somewhere/explicit.ma", "--json");
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ status: "skipped", reason: "an explicit workfile_path was given" });
  });

  it("when site sync is disabled for the project", async () => {
    const s = await hookStudio({ enabled: false });
    studio = s;
    const result = await s.hook("--json");
    expect(result.json()).toMatchObject({
      status: "skipped",
      reason: "site sync is disabled for this project",
    });
  });

  it("when the last workfile exists", async () => {
    const s = await hookStudio();
    studio = s;
    await s.publishFiles({ "scene.ma": "published" });
    mkdirSync(workDir(s), { recursive: true });
    writeFileSync(path.join(workDir(s), "PR_hero_modeling_v001.ma"), "mine");
    const result = await s.hook("--json");
    expect(result.json()).toMatchObject({
      status: "skipped",
      reason: "the last workfile exists",
      resources: [],
    });
    expect((result.json() as HookJson).last_workfile_path).toBe(
      path.join(workDir(s), "PR_hero_modeling_v001.ma"),
    );
  });

  it("when the host has no workfile extensions", async () => {
    const s = await hookStudio();
    studio = s;
    const result = await runCli([
      ...[
        "hook",
        "run",
        "copy-last-published-workfile",
        "--project",
        "Proj",
        "--folder",
        "/assets/characters/hero",
      ],
      ...["--task", "modeling", "--app", "unreal/5", "--json", "--home", s.home],
    ]);
    expect(result.json()).toMatchObject({
      status: "skipped",
      reason: 'host "unreal" has no workfile extensions',
    });
  });

  it("when the matching profile does not set use_last_published_workfile, whatever its enabled flag", async () => {
    const s = await hookStudio({
      profile: "{host_names: [maya], task_types: [], enabled: true, use_last_published_workfile: false}",
    });
    studio = s;
    await s.publishFiles({ "scene.ma": "published" });
    const result = await s.hook("--json");
    expect((result.json() as HookJson).reason).toContain("does not set use_last_published_workfile");
  });

  it("reads use_last_published_workfile, not enabled (ayon-core 1346)", async () => {
    const s = await hookStudio({
      profile: "{host_names: [maya], enabled: false, use_last_published_workfile: true}",
    });
    studio = s;
    await s.publishFiles({ "scene.ma": "published" });
    expect((await s.hook("--json")).json()).toMatchObject({ status: "copied" });
  });

  it("when the task has no published workfile", async () => {
    const s = await hookStudio();
    studio = s;
    const result = await s.hook("--json");
    expect(result.json()).toMatchObject({ status: "skipped", reason: "no published workfile for this task" });
  });

  it("when the published workfile is not on the remote site", async () => {
    const s = await hookStudio();
    studio = s;
    const { representationId } = await s.publishFiles({ "scene.ma": "published" });
    const removed = await runCli([
      "site",
      "remove",
      "--project",
      "Proj",
      "--representation",
      representationId,
      "--site",
      "studio",
      "--home",
      s.home,
    ]);
    expect(removed.code).toBe(0);
    const result = await s.hook("--json");
    expect(result.json()).toMatchObject({
      status: "skipped",
      reason: 'the published workfile v1 is not available on the remote site "studio"',
    });
  });

  it("rejects an unknown application or task with exit 2", async () => {
    const s = await hookStudio();
    studio = s;
    const app = await runCli([
      ...[
        "hook",
        "run",
        "copy-last-published-workfile",
        "--project",
        "Proj",
        "--folder",
        "/assets/characters/hero",
      ],
      ...["--task", "modeling", "--app", "houdini/20", "--home", s.home],
    ]);
    expect(app.code).toBe(2);
    expect(app.stderr).toContain('--app: unknown application "houdini/20" (configured: maya/2024, unreal/5)');
  });
});
