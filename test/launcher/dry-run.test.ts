import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { CopyHookPlan } from "../../hooks/copy-last-published-workfile.js";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { rowCounts } from "../helpers/db.js";
import type { EngineStudio } from "../helpers/engine.js";
import { hookStudio } from "../helpers/hook.js";
import { tempDir } from "../helpers/tmp.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const launch = (home: string, ...more: string[]): Promise<CliResult> =>
  runCli([
    ...["launch", "--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
    ...["--app", "maya/2024", "--home", home, ...more],
  ]);

const workDir = (s: EngineStudio) => path.join(s.localRoot, "Proj/assets/characters/hero/work/modeling");

/**
 * Every folder and file under `dir` with a hash of its bytes: stricter than
 * the helpers' snapshot (sizes of files only), since a dry run must not even
 * create an empty work folder. The store's files are compared by rows.
 */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.name.startsWith("sitesync.db") || entry.name === ".settings-cache.json") continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full)] = entry.isDirectory()
      ? "folder"
      : createHash("sha256").update(readFileSync(full)).digest("hex");
  }
  return out;
}

/** The store's sync state and claims, row by row, read without writing. */
function storeRows(home: string): { counts: Record<string, number>; state: unknown[]; claims: unknown[] } {
  const db = new Database(path.join(home, "sitesync.db"), { readonly: true });
  try {
    return {
      counts: rowCounts(home),
      state: db.prepare("SELECT * FROM sync_state ORDER BY representation_id, site").all(),
      claims: db.prepare("SELECT * FROM claims ORDER BY representation_id, site, file_id").all(),
    };
  } finally {
    db.close();
  }
}

/** A studio hook folder: one hook that writes a marker (no dry-run support), one that plans. */
function studioHooks(): { dir: string; marker: string } {
  const dir = tempDir("sitesync-dry-hooks-");
  const marker = path.join(dir, "marker-written");
  writeFileSync(
    path.join(dir, "studio.mjs"),
    `import { writeFileSync } from "node:fs";
     export const marker = { name: "studio-marker", order: 3,
       execute() { writeFileSync(${JSON.stringify(marker)}, "ran"); } };
     export const planner = { name: "studio-planner", order: 4, dryRun: true,
       execute({ data, dryRun }) {
         data.env.STUDIO_PLANNER = data.last_workfile_path;
         return dryRun ? { would: "set STUDIO_PLANNER" } : undefined;
       } };`,
  );
  return { dir, marker };
}

interface DryRunJson {
  command: string[];
  data: { last_workfile_path: string; source_filepath?: string; env: Record<string, string> };
  hooks: Array<{ name: string; plan?: unknown; skipped?: string; note?: string; result?: unknown }>;
}

describe("sitesync launch --dry-run", () => {
  it("shows the hooks' plans (files to bring, sizes, sites, the workfile) and changes nothing anywhere; a real launch then does it", async () => {
    const hooks = studioHooks();
    const s = await hookStudio({ hookDirs: [hooks.dir] });
    studio = s;
    const model = await s.publishFiles(
      { "model.abc": "referenced geometry" },
      { product: "modelMain", productType: "model" },
    );
    const scene = await s.publishFiles(
      { "scene.ma": "//Maya scene", "res/textures/wood.png": "wood pixels", "res/cache/hero.abc": "alembic" },
      { links: [`reference:${model.versionId}`] },
    );
    const filesBefore = tree(s.dir);
    const rowsBefore = storeRows(s.home);

    const result = await launch(s.home, "--dry-run", "--json");
    expect(result.code, result.stderr).toBe(0);
    const work = workDir(s);
    // Nothing changed: no file or folder (not even the work area), no state, no claim, no studio hook run.
    expect(tree(s.dir)).toEqual(filesBefore);
    expect(existsSync(work)).toBe(false);
    expect(storeRows(s.home)).toEqual(rowsBefore);
    expect(existsSync(hooks.marker)).toBe(false);

    const dry = result.json() as DryRunJson;
    const workfile = path.join(work, "PR_hero_modeling_v002.ma");
    expect(dry.command.at(-1)).toBe(workfile);
    expect(dry.data.last_workfile_path).toBe(workfile);
    expect(dry.data.source_filepath).toBe(fillRootless(scene.paths[0] as string, { work: s.localRoot }));
    expect(dry.data.env.STUDIO_PLANNER).toBe(workfile);
    expect(dry.hooks).toEqual([
      { name: "copy-last-published-workfile", plan: expect.any(Object) },
      { name: "studio-marker", skipped: "would run (does not support dry run)" },
      { name: "studio-planner", plan: { would: "set STUDIO_PLANNER" } },
    ]);

    const plan = dry.hooks[0]?.plan as CopyHookPlan;
    expect(plan).toMatchObject({
      action: "copy",
      last_workfile_path: workfile,
      linked_representation_ids: [model.representationId],
    });
    const local = (rootless: string) => fillRootless(rootless, { work: s.localRoot });
    const expected = [scene, model].flatMap((published) =>
      published.paths.map((rootless) => ({
        representation_id: published.representationId,
        path: local(rootless),
        size: readFileSync(fillRootless(rootless, { work: s.studioRoot })).length,
        action: "transfer",
        from: "studio",
      })),
    );
    expect(plan.files).toHaveLength(4);
    expect(plan.files).toEqual(expect.arrayContaining(expected));
    expect(plan.transfer_bytes).toBe(
      "//Maya scene".length + "wood pixels".length + "alembic".length + "referenced geometry".length,
    );
    expect(plan.resources.map((r) => [r.target, r.action]).sort()).toEqual([
      [path.join(work, "resources/cache/hero.abc"), "copy"],
      [path.join(work, "resources/textures/wood.png"), "copy"],
    ]);

    const real = await launch(s.home);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toContain(`stand-in maya opened ${workfile}`);
    expect(real.stdout).toContain("stand-in maya   resource textures/wood.png");
    expect(readFileSync(workfile, "utf8")).toBe("//Maya scene");
    expect(readFileSync(local(model.paths[0] as string), "utf8")).toBe("referenced geometry");
    expect(existsSync(hooks.marker)).toBe(true);
    expect(storeRows(s.home).state).not.toEqual(rowsBefore.state);
  });

  it("prints the command, the workfile and each hook's plan as text", async () => {
    const hooks = studioHooks();
    const s = await hookStudio({ hookDirs: [hooks.dir] });
    studio = s;
    const { paths } = await s.publishFiles({ "scene.ma": "published", "res/tex/a.png": "A" });
    const result = await launch(s.home, "--dry-run");
    expect(result.code, result.stderr).toBe(0);
    const workfile = path.join(workDir(s), "PR_hero_modeling_v002.ma");
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^command: ".*standin-dcc\.mjs" ".*PR_hero_modeling_v002\.ma"$/);
    expect(lines).toContain(`last_workfile_path: ${workfile}`);
    expect(result.stdout).toContain("hook copy-last-published-workfile: would copy ");
    expect(lines).toContain(`    -> ${workfile}`);
    expect(result.stdout).toMatch(/bring 2 file\(s\): 0 already here, 2 to transfer \(10 bytes\)/);
    const published = paths.map((p) => fillRootless(p, { work: s.localRoot })).find((p) => p.endsWith(".ma"));
    expect(lines).toContain(`    ${published} (9 bytes) from studio`);
    expect(result.stdout).toContain("resources: 1 to copy, 0 already there, 0 kept");
    expect(lines).toContain("hook studio-marker: would run (does not support dry run)");
    expect(lines).toContain('hook studio-planner: {"would":"set STUDIO_PLANNER"}');
    expect(existsSync(workDir(s))).toBe(false);
    expect(existsSync(hooks.marker)).toBe(false);
  });

  it("plans only the missing resources when the last workfile exists, restoring nothing", async () => {
    const s = await hookStudio();
    studio = s;
    await s.publishFiles({ "scene.ma": "published", "res/tex/a.png": "A", "res/tex/b.png": "B" });
    expect((await launch(s.home)).code).toBe(0);
    const work = workDir(s);
    rmSync(path.join(work, "resources/tex/a.png"));
    const filesBefore = tree(s.dir);
    const rowsBefore = storeRows(s.home);

    const result = await launch(s.home, "--dry-run", "--json");
    expect(result.code, result.stderr).toBe(0);
    const dry = result.json() as DryRunJson;
    const workfile = path.join(work, "PR_hero_modeling_v002.ma");
    expect(dry.data.last_workfile_path).toBe(workfile);
    const plan = dry.hooks[0]?.plan as CopyHookPlan;
    expect(plan).toMatchObject({ action: "restore-resources", reason: "the last workfile exists" });
    // The representation is already here (the first launch brought it): nothing to transfer.
    expect(plan.files).toEqual([]);
    expect(plan.resources.map((r) => [path.relative(work, r.target), r.action]).sort()).toEqual([
      ["resources/tex/a.png", "copy"],
      ["resources/tex/b.png", "present"],
    ]);
    expect(tree(s.dir)).toEqual(filesBefore);
    expect(storeRows(s.home)).toEqual(rowsBefore);
  });
});
