import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { parseTempName } from "../../lib/fs/temp-names.js";
import { SyncStatus } from "../../lib/store/status.js";
import { registerProvider } from "../../providers/registry.js";
import { createSlowDriveFactory } from "../fixtures/providers/slow-drive-impl.mjs";
import { runCli } from "../helpers/cli.js";
import type { EngineStudio } from "../helpers/engine.js";
import { type HookJson, hookStudio } from "../helpers/hook.js";

registerProvider(createSlowDriveFactory("slow_drive", 50), { replace: true });

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const SLOW_MODULE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/providers/slow-drive.mjs",
);
const workDir = (s: EngineStudio) => path.join(s.localRoot, "Proj/assets/characters/hero/work/modeling");
const partials = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((n) => n.includes(".sitesync-"))
    : [];

describe("copy-last-published-workfile copies", () => {
  it("brings the workfile and its nested resources to the local site and saves the next version in the work area", async () => {
    const s = await hookStudio();
    studio = s;
    const { representationId } = await s.publishFiles({
      "scene.ma": "//Maya scene v1",
      "res/textures/wood/albedo.png": "albedo",
      "res/caches/anim/hero.abc": "alembic",
    });
    const result = await s.hook("--json");
    expect(result.code, result.stderr).toBe(0);
    const json = result.json() as HookJson;
    const work = workDir(s);
    expect(json).toMatchObject({ status: "copied", reason: null, linked_representation_ids: [] });
    expect(json.last_workfile_path).toBe(path.join(work, "PR_hero_modeling_v002.ma"));
    expect(json.source_filepath).toBe(
      path.join(
        s.localRoot,
        "Proj/assets/characters/hero/publish/workfile/workfileModeling/v001/PR_hero_workfileModeling_v001.ma",
      ),
    );
    expect(readFileSync(json.last_workfile_path, "utf8")).toBe("//Maya scene v1");
    expect(json.resources.sort()).toEqual([
      path.join(work, "resources/caches/anim/hero.abc"),
      path.join(work, "resources/textures/wood/albedo.png"),
    ]);
    expect(readFileSync(path.join(work, "resources/textures/wood/albedo.png"), "utf8")).toBe("albedo");
    const [state] = await (await s.open()).store.getSiteStates("Proj", [representationId], ["artist1"]);
    expect(state?.status).toBe(SyncStatus.OK);
    expect(partials(s.localRoot)).toEqual([]);
  });

  it("restores a lost resources folder without touching the existing workfile", async () => {
    const s = await hookStudio();
    studio = s;
    await s.publishFiles({ "scene.ma": "published", "res/tex/a.png": "A", "res/tex/b.png": "B" });
    expect((await s.hook("--json")).code).toBe(0);
    const work = workDir(s);
    writeFileSync(path.join(work, "PR_hero_modeling_v002.ma"), "the artist's changes");
    rmSync(path.join(work, "resources"), { recursive: true });
    mkdirSync(path.join(work, "resources/tex"), { recursive: true });
    writeFileSync(path.join(work, "resources/tex/b.png"), "the artist's own b, bigger");
    const result = await s.hook("--json");
    expect(result.json()).toMatchObject({
      status: "skipped",
      reason: "the last workfile exists",
      resources: [path.join(work, "resources/tex/a.png")],
    });
    expect(readFileSync(path.join(work, "resources/tex/a.png"), "utf8")).toBe("A");
    expect(readFileSync(path.join(work, "resources/tex/b.png"), "utf8")).toBe("the artist's own b, bigger");
    expect(readFileSync(path.join(work, "PR_hero_modeling_v002.ma"), "utf8")).toBe("the artist's changes");
  });

  it("brings the representations the workfile references to the local site", async () => {
    const s = await hookStudio();
    studio = s;
    const model = await s.publishFiles(
      { "model.abc": "geometry" },
      { product: "modelMain", productType: "model" },
    );
    const { representationId } = await s.publishFiles(
      { "scene.ma": "uses the model" },
      { links: [`reference:${model.versionId}`] },
    );
    const json = (await s.hook("--json")).json() as HookJson;
    expect(json.linked_representation_ids).toEqual([model.representationId]);
    expect(readFileSync(fillRootless(model.paths[0] as string, { work: s.localRoot }), "utf8")).toBe(
      "geometry",
    );
    const states = await (await s.open()).store.getSiteStates(
      "Proj",
      [representationId, model.representationId],
      ["artist1"],
    );
    expect(states.map((st) => st.status)).toEqual([SyncStatus.OK, SyncStatus.OK]);
  });

  it("saves past the highest local version: v003 published, v005 local -> v006, never overwriting", async () => {
    const s = await hookStudio();
    studio = s;
    for (const v of [1, 2, 3]) await s.publishFiles({ "scene.ma": `published v${v}` });
    const work = workDir(s);
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(work, "PR_hero_modeling_v005_blocking.ma"), "local v5");
    // The launcher's last workfile would be v005 and skip; a caller naming another last workfile still gets v006.
    const result = await s.hook("--last-workfile", path.join(work, "PR_hero_modeling_v001.ma"), "--json");
    const json = result.json() as HookJson;
    expect(json.last_workfile_path).toBe(path.join(work, "PR_hero_modeling_v006.ma"));
    expect(readFileSync(json.last_workfile_path, "utf8")).toBe("published v3");
    expect(readFileSync(path.join(work, "PR_hero_modeling_v005_blocking.ma"), "utf8")).toBe("local v5");
  });

  it("fails with exit 1 and the reason when the remote file is missing, FAILED at once, nothing in the work area", async () => {
    const s = await hookStudio({ config: "{retry_cnt: 3}" });
    studio = s;
    const { representationId, paths } = await s.publishFiles({ "scene.ma": "lost", "res/a.png": "a" });
    const gone = fillRootless(paths[0] as string, { work: s.studioRoot });
    rmSync(gone);
    const result = await s.hook();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the published file ${gone} is missing on site studio`);
    expect(existsSync(workDir(s))).toBe(false);
    const [state] = await (await s.open()).store.getSiteStates("Proj", [representationId], ["artist1"]);
    expect(state?.status).toBe(SyncStatus.FAILED);
    expect(partials(s.localRoot)).toEqual([]);
  });

  it("gives up at --timeout with exit 1, leaving no partial file anywhere", async () => {
    const s = await hookStudio({
      remote: "slow",
      sites: (roots) => [
        `- {name: slow, provider: slow_drive, alternative_sites: [studio], slow_drive: {roots: "${roots.studio}", delay_ms: 50}}`,
      ],
    });
    studio = s;
    await s.publishFiles({ "scene.ma": Buffer.alloc(4 * 1024 * 1024, 1) });
    const result = await runCli(
      [
        ...[
          "hook",
          "run",
          "copy-last-published-workfile",
          "--project",
          "Proj",
          "--folder",
          "/assets/characters/hero",
        ],
        ...["--task", "modeling", "--app", "maya/2024", "--timeout", "1", "--home", s.home],
      ],
      { env: { SITESYNC_PROVIDER_MODULES: SLOW_MODULE } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("timed out after 1 s");
    expect(existsSync(workDir(s))).toBe(false);
    expect(partials(s.localRoot)).toEqual([]);
  });
});

describe("copy-last-published-workfile after a kill -9", () => {
  it("completes on the rerun with no partial file at any final path", async () => {
    const s = await hookStudio({
      remote: "slow",
      sites: (roots) => [
        `- {name: slow, provider: slow_drive, alternative_sites: [studio], slow_drive: {roots: "${roots.studio}", delay_ms: 15}}`,
      ],
    });
    studio = s;
    const big = Buffer.alloc(6 * 1024 * 1024, 7);
    const { paths } = await s.publishFiles({ "scene.ma": big, "res/tex.png": "texture" });
    const local = fillRootless(paths[0] as string, { work: s.localRoot });
    const args = [
      ...[
        "hook",
        "run",
        "copy-last-published-workfile",
        "--project",
        "Proj",
        "--folder",
        "/assets/characters/hero",
      ],
      ...["--task", "modeling", "--app", "maya/2024", "--home", s.home, "--json"],
    ];
    const env = {
      ...process.env,
      SITESYNC_PROVIDER_MODULES: SLOW_MODULE,
      AYON_SITE_ID: "",
      SITESYNC_HOME: "",
    };
    const { spawn } = await import("node:child_process");
    const { CLI } = await import("../helpers/cli.js");
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    // Wait (test-side) until the download is under way: its temporary file exists next to the target.
    const deadline = Date.now() + 15_000;
    while (partials(path.dirname(local)).length === 0) {
      if (Date.now() > deadline) throw new Error("the download never started");
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    await exited;
    expect(existsSync(local)).toBe(false);
    expect(existsSync(workDir(s))).toBe(false);

    const rerun = await runCli(args, { env: { SITESYNC_PROVIDER_MODULES: SLOW_MODULE } });
    expect(rerun.code, rerun.stderr).toBe(0);
    const json = rerun.json() as HookJson;
    expect(json.status).toBe("copied");
    expect(readFileSync(local).equals(big)).toBe(true);
    expect(readFileSync(json.last_workfile_path).equals(big)).toBe(true);
    // The killed download's temporary file is younger than the claim lease, so the rerun keeps it (from
    // the name alone it could be a live writer's on another machine); a later pass into that folder removes
    // it once older.
    const left = partials(s.localRoot).map((n) => parseTempName(path.basename(n))?.pid);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((pid) => pid === child.pid)).toBe(true);
  });
});
