/**
 * Every option of every command in README's CLI tables, through the built
 * command, each checked by its effect (rows filtered, files moved, state
 * written), not by its exit code alone (issue 11 item 2: `status --version 1`
 * printed the program's version for months because nothing ran it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { openContext } from "../../lib/context.js";
import { SyncStatus } from "../../lib/store/status.js";
import { registerProvider } from "../../providers/registry.js";
import { createSlowDriveFactory } from "../fixtures/providers/slow-drive-impl.mjs";
import { CLI, makeStudio, runCli, type Studio } from "../helpers/cli.js";
import type { EngineStudio } from "../helpers/engine.js";
import { type HookJson, hookStudio } from "../helpers/hook.js";
import { tempDir } from "../helpers/tmp.js";

registerProvider(createSlowDriveFactory("slow_drive", 50), { replace: true });
const SLOW_MODULE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/providers/slow-drive.mjs",
);

let engineStudio: EngineStudio | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill("SIGKILL");
  child = undefined;
  await engineStudio?.closeAll();
  engineStudio = undefined;
});

const HERO = "/assets/characters/hero";
const CHAIR = "/assets/props/chair";
const PROJECT_WITH_CHAIR = `name: Proj
code: PR
folders:
  - path: ${HERO}
    tasks:
      - {name: modeling, type: Modeling}
  - path: ${CHAIR}
    tasks:
      - {name: modeling, type: Modeling}
`;

interface StatusRow {
  representationId: string;
  folder: string;
  product: string;
  version: number;
  representation: string;
  priority: number;
  paused: boolean;
  localStatus: { status: number; priority: number };
  remoteStatus: { status: number };
  files: Array<{ path: string }>;
}
interface StatusJson {
  localSite: string;
  remoteSite: string;
  total: number;
  page: number;
  pages: number;
  paused: { service: boolean; project: boolean };
  representations: StatusRow[];
}
interface PublishJson {
  versionId: string;
  version: number;
  representationId: string;
  site: string;
  files: Array<{ id: string; path: string }>;
  sites: Record<string, number>;
}
interface SyncJson {
  projects: Array<{ project: string; skipped?: string; transferred: number }>;
}

function ok<T>(result: { code: number | null; stderr: string; json: () => unknown }): T {
  expect(result.code, result.stderr).toBe(0);
  return result.json() as T;
}

/** A source file (or folder of files) under the studio's temp dir. */
function source(studio: Studio, name: string, content = name): string {
  const file = path.join(studio.dir, "src", name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const publishArgs = (folder: string, product: string, productType: string, ...more: string[]) => [
  ...["publish", "--project", "Proj", "--folder", folder, "--task", "modeling"],
  ...["--product", product, "--product-type", productType, ...more, "--json"],
];

/**
 * Proj with hero and chair, three representations:
 * hero/workfileModeling v001 "ma" on studio, v002 "ma" on the artist's site,
 * chair/modelMain v001 "abc" on studio.
 */
async function threeRepresentations(): Promise<
  Studio & { r1: PublishJson; r2: PublishJson; r3: PublishJson }
> {
  const studio = await makeStudio();
  writeFileSync(path.join(studio.dir, "project.yaml"), PROJECT_WITH_CHAIR);
  ok(await studio.run("project", "import", path.join(studio.dir, "project.yaml"), "--json"));
  const scene = source(studio, "scene.ma", "scene");
  const r1 = ok<PublishJson>(
    await studio.run(
      ...publishArgs(HERO, "workfileModeling", "workfile", "--file", scene, "--site", "studio"),
    ),
  );
  const r2 = ok<PublishJson>(
    await studio.run(
      ...publishArgs(HERO, "workfileModeling", "workfile", "--file", scene, "--site", "local"),
    ),
  );
  const model = source(studio, "chair.abc", "geometry");
  const r3 = ok<PublishJson>(
    await studio.run(
      ...publishArgs(
        CHAIR,
        "modelMain",
        "model",
        "--file",
        model,
        "--representation",
        "abc",
        "--site",
        "studio",
      ),
    ),
  );
  return { ...studio, r1, r2, r3 };
}

async function status(studio: Studio, ...args: string[]): Promise<StatusJson> {
  return ok<StatusJson>(await studio.run("status", "--project", "Proj", "--json", ...args));
}
const ids = (json: StatusJson) => json.representations.map((r) => r.representationId);

/** A long-running command as a real process, its stderr followed as JSON log lines. */
function follow(args: string[]) {
  const started = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, AYON_SITE_ID: "", SITESYNC_HOME: "", SITESYNC_STORE_URL: "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child = started;
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: () => void }> = [];
  let buffer = "";
  started.stderr?.on("data", (data: Buffer) => {
    buffer += data.toString();
    for (let cut = buffer.indexOf("\n"); cut >= 0; cut = buffer.indexOf("\n")) {
      const text = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.match(line)) w.resolve();
        else waiters.push(w);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => started.on("exit", (code) => resolve(code)));
  return {
    lines,
    waitFor: (match: (l: Record<string, unknown>) => boolean) =>
      lines.some(match)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ match, resolve })),
            exited.then((code) => {
              throw new Error(
                `exited with ${code} first; log:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`,
              );
            }),
          ]),
    stop: () => {
      started.kill("SIGTERM");
      return exited;
    },
  };
}

describe("the program", () => {
  it("prints its version for --version and -V", async () => {
    const version = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
    for (const flag of ["--version", "-V"]) {
      const result = await runCli([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(version);
    }
  });

  it("--home picks the home and --json the output", async () => {
    const studio = await makeStudio();
    const elsewhere = path.join(tempDir(), "nothing");
    const missing = await runCli(["status", "--project", "Proj", "--home", elsewhere]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${elsewhere} is not a sitesync home`);
    const text = await studio.run("status", "--project", "Proj");
    expect(text.stdout).toBe("0 representations\n");
    const json = ok<StatusJson>(await studio.run("status", "--project", "Proj", "--json"));
    expect(json).toMatchObject({ localSite: "artist1", remoteSite: "studio", total: 0 });
  });
});

describe("init", () => {
  it("--site-id, --studio-root and --local-root set the id and the two sites' roots", async () => {
    const dir = tempDir();
    const home = path.join(dir, "home");
    const studioRoot = path.join(dir, "S");
    const localRoot = path.join(dir, "L");
    const init = await runCli([
      "init",
      "--home",
      home,
      "--site-id",
      "ws42",
      "--studio-root",
      studioRoot,
      "--local-root",
      localRoot,
      "--json",
    ]);
    expect(ok(init)).toMatchObject({ home, siteId: "ws42", createdSettings: true });
    expect(readFileSync(path.join(home, "site_id"), "utf8")).toBe("ws42\n");
    writeFileSync(path.join(dir, "p.yaml"), PROJECT_WITH_CHAIR);
    ok(await runCli(["project", "import", path.join(dir, "p.yaml"), "--home", home, "--json"]));
    writeFileSync(path.join(dir, "a.ma"), "a");
    const published = ok<PublishJson>(
      await runCli([
        ...publishArgs(
          HERO,
          "workfileModeling",
          "workfile",
          "--file",
          path.join(dir, "a.ma"),
          "--site",
          "studio",
        ),
        "--home",
        home,
      ]),
    );
    expect(existsSync(fillRootless(published.files[0]?.path as string, { work: studioRoot }))).toBe(true);
    const sync = ok<SyncJson>(
      await runCli(["sync", "--project", "Proj", "--once", "--json", "--home", home]),
    );
    expect(sync.projects[0]).toMatchObject({ transferred: 1 });
    expect(existsSync(fillRootless(published.files[0]?.path as string, { work: localRoot }))).toBe(true);
  });
});

describe("project import and list", () => {
  it("import FILE creates the folders; list shows the project", async () => {
    const studio = await makeStudio();
    expect(
      (await studio.run(...publishArgs(CHAIR, "modelMain", "model", "--file", source(studio, "c.abc")))).code,
    ).toBe(2);
    writeFileSync(path.join(studio.dir, "project.yaml"), PROJECT_WITH_CHAIR);
    expect(
      ok(await studio.run("project", "import", path.join(studio.dir, "project.yaml"), "--json")),
    ).toEqual({
      name: "Proj",
      code: "PR",
      folders: 2,
    });
    ok(await studio.run(...publishArgs(CHAIR, "modelMain", "model", "--file", source(studio, "c.abc"))));
    const list = ok<{ projects: Array<{ name: string; representations: number }> }>(
      await studio.run("project", "list", "--json"),
    );
    expect(list.projects).toMatchObject([{ name: "Proj", representations: 1 }]);
  });
});

describe("publish", () => {
  it("every option: files, resources, representation name, link, site", async () => {
    const studio = await threeRepresentations();
    const a = source(studio, "cache/a.abc", "A");
    const b = source(studio, "cache/b.json", "B");
    source(studio, "res/tex/wood.png", "wood");
    const result = ok<PublishJson>(
      await studio.run(
        ...publishArgs(HERO, "animMain", "animation", "--file", a, "--file", b),
        ...["--resources", path.join(studio.dir, "src/res"), "--representation", "alembic"],
        ...["--link", `reference:${studio.r3.versionId}`, "--site", "local"],
      ),
    );
    expect(result.files.map((f) => path.posix.basename(f.path)).sort()).toEqual(
      ["PR_hero_animMain_v001.abc", "PR_hero_animMain_v001.json", "wood.png"].sort(),
    );
    expect(result.files.find((f) => f.path.endsWith("/resources/tex/wood.png"))).toBeDefined();
    expect(result.site).toBe("artist1");
    expect(result.sites).toEqual({ artist1: SyncStatus.OK, studio: SyncStatus.QUEUED });
    for (const f of result.files)
      expect(existsSync(fillRootless(f.path, { work: studio.localRoot }))).toBe(true);
    const [row] = (await status(studio, "--product", "animMain")).representations;
    expect(row).toMatchObject({ folder: HERO, product: "animMain", representation: "alembic", version: 1 });
    const context = await openContext({ home: studio.home, env: { ...process.env, AYON_SITE_ID: "" } });
    try {
      expect(await context.store.getVersionLinks("Proj", [result.versionId])).toEqual([
        { inputVersionId: studio.r3.versionId, outputVersionId: result.versionId, linkType: "reference" },
      ]);
      const [product] = await context.store.getProducts("Proj", { names: ["animMain"] });
      expect(product?.productType).toBe("animation");
    } finally {
      await context.store.close();
    }
  });
});

describe("publish: sequences and tiles", () => {
  it("--frames with --allow-missing-frames, and --udim", async () => {
    const studio = await threeRepresentations();
    for (const frame of [1001, 1002, 1004]) source(studio, `render/r.${frame}.exr`, `frame ${frame}`);
    const frames = ok<PublishJson>(
      await studio.run(
        ...publishArgs(
          HERO,
          "renderMain",
          "render",
          "--file",
          path.join(studio.dir, "src/render/r.####.exr"),
        ),
        ...["--frames", "1001-1004", "--allow-missing-frames", "--site", "studio"],
      ),
    );
    expect(frames.files.map((f) => path.posix.basename(f.path))).toEqual([
      "PR_hero_renderMain_v001.1001.exr",
      "PR_hero_renderMain_v001.1002.exr",
      "PR_hero_renderMain_v001.1004.exr",
    ]);
    const tiles = [1001, 1002].map((tile) => source(studio, `tex/t.${tile}.exr`, `tile ${tile}`));
    const udim = ok<PublishJson>(
      await studio.run(
        ...publishArgs(HERO, "texMain", "texture", ...tiles.flatMap((t) => ["--file", t])),
        ...["--udim", "--site", "studio"],
      ),
    );
    expect(udim.files.map((f) => path.posix.basename(f.path))).toEqual([
      "PR_hero_texMain_v001_1001.exr",
      "PR_hero_texMain_v001_1002.exr",
    ]);
  });
});

describe("status", () => {
  it("--local-site/--remote-site choose the pair ('local' is this workstation); an unknown one exits 2", async () => {
    const studio = await threeRepresentations();
    const swapped = await status(studio, "--local-site", "studio", "--remote-site", "local");
    expect([swapped.localSite, swapped.remoteSite]).toEqual(["studio", "artist1"]);
    const r2 = swapped.representations.find((r) => r.representationId === studio.r2.representationId);
    expect([r2?.localStatus.status, r2?.remoteStatus.status]).toEqual([SyncStatus.QUEUED, SyncStatus.OK]);
    for (const option of ["--local-site", "--remote-site"]) {
      const bad = await studio.run("status", "--project", "Proj", option, "nosuch");
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("(sites: studio, artist1;");
    }
  });

  it("--folder, --product, --version and --representation filter", async () => {
    const { r1, r2, r3, ...studio } = await threeRepresentations();
    expect(ids(await status(studio, "--folder", "chair"))).toEqual([r3.representationId]);
    expect(ids(await status(studio, "--product", "WORKFILE")).sort()).toEqual(
      [r1.representationId, r2.representationId].sort(),
    );
    expect(ids(await status(studio, "--version", "2"))).toEqual([r2.representationId]);
    expect(ids(await status(studio, "--version", "1")).sort()).toEqual(
      [r1.representationId, r3.representationId].sort(),
    );
    expect(ids(await status(studio, "--representation", "abc"))).toEqual([r3.representationId]);
    expect((await status(studio, "--representation", "abc", "--representation", "ma")).total).toBe(3);
  });

  it("--local-status and --remote-status filter by name or code, repeatable", async () => {
    const { r1, r2, r3, ...studio } = await threeRepresentations();
    expect(ids(await status(studio, "--local-status", "OK"))).toEqual([r2.representationId]);
    expect(ids(await status(studio, "--local-status", "queued", "--local-status", "-1")).sort()).toEqual(
      [r1.representationId, r3.representationId].sort(),
    );
    expect(ids(await status(studio, "--remote-status", "1"))).toEqual([r2.representationId]);
    expect((await studio.run("status", "--project", "Proj", "--remote-status", "DONE")).code).toBe(2);
  });

  it("--sort, --desc, --page and --page-length order and cut the rows", async () => {
    const { r1, r2, r3, ...studio } = await threeRepresentations();
    expect(ids(await status(studio, "--sort", "product"))[0]).toBe(r3.representationId);
    expect(ids(await status(studio, "--sort", "product", "--desc"))[2]).toBe(r3.representationId);
    expect(ids(await status(studio, "--sort", "localStatus", "--desc"))[0]).toBe(r2.representationId);
    const byVersion = ids(await status(studio, "--sort", "version", "--desc", "--product", "workfile"));
    expect(byVersion).toEqual([r2.representationId, r1.representationId]);
    const page = await status(studio, "--sort", "product", "--page", "2", "--page-length", "2");
    expect(page).toMatchObject({ total: 3, page: 2, pages: 2 });
    expect(page.representations).toHaveLength(1);
    expect((await studio.run("status", "--project", "Proj", "--sort", "size")).code).toBe(2);
  });
});

describe("site add/remove/reset", () => {
  it("add: --site, --force, --priority", async () => {
    const { r1, ...studio } = await threeRepresentations();
    const target = ["--project", "Proj", "--representation", r1.representationId];
    const again = await studio.run("site", "add", ...target, "--site", "local");
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("use --force");
    ok(
      await studio.run("site", "add", ...target, "--site", "local", "--force", "--priority", "80", "--json"),
    );
    const row = (await status(studio)).representations.find(
      (r) => r.representationId === r1.representationId,
    );
    expect(row?.localStatus).toMatchObject({ status: SyncStatus.QUEUED, priority: 80 });
  });

  it("remove forgets the state; --remove-local-files also deletes this workstation's copies", async () => {
    const { r1, r2, ...studio } = await threeRepresentations();
    ok(
      await studio.run(
        ...[
          "site",
          "remove",
          "--project",
          "Proj",
          "--representation",
          r1.representationId,
          "--site",
          "local",
        ],
        "--json",
      ),
    );
    const local = fillRootless(r2.files[0]?.path as string, { work: studio.localRoot });
    expect(existsSync(local)).toBe(true);
    const removed = ok<{ removedFiles: string[] }>(
      await studio.run(
        ...[
          "site",
          "remove",
          "--project",
          "Proj",
          "--representation",
          r2.representationId,
          "--site",
          "local",
        ],
        ...["--remove-local-files", "--json"],
      ),
    );
    expect(removed.removedFiles).toEqual([local]);
    expect(existsSync(local)).toBe(false);
    const rows = (await status(studio)).representations;
    for (const id of [r1.representationId, r2.representationId]) {
      expect(rows.find((r) => r.representationId === id)?.localStatus.status).toBe(SyncStatus.NA);
    }
  });

  it("reset queues the site's files again", async () => {
    const { r2, ...studio } = await threeRepresentations();
    ok(
      await studio.run(
        ...["site", "reset", "--project", "Proj", "--representation", r2.representationId, "--site", "local"],
        "--json",
      ),
    );
    const row = (await status(studio)).representations.find(
      (r) => r.representationId === r2.representationId,
    );
    expect(row?.localStatus.status).toBe(SyncStatus.QUEUED);
  });

  it("each exits 2 on an unknown --site, naming the sites", async () => {
    const { r1, ...studio } = await threeRepresentations();
    for (const command of ["add", "remove", "reset"]) {
      const result = await studio.run(
        ...[
          "site",
          command,
          "--project",
          "Proj",
          "--representation",
          r1.representationId,
          "--site",
          "nosuch",
        ],
      );
      expect(result.code, command).toBe(2);
      expect(result.stderr).toContain('--site: unknown site "nosuch" (sites: studio, artist1)');
    }
  });
});

describe("sync", () => {
  it("--once runs one pass and exits with its result", async () => {
    const { r1, r2, r3, ...studio } = await threeRepresentations();
    const sync = ok<SyncJson>(await studio.run("sync", "--project", "Proj", "--once", "--json"));
    // r1 and r3 come down from studio, r2 (published here) goes up.
    expect(sync.projects).toMatchObject([{ project: "Proj", transferred: 3 }]);
    for (const r of [r1, r3]) {
      expect(existsSync(fillRootless(r.files[0]?.path as string, { work: studio.localRoot }))).toBe(true);
    }
    expect(existsSync(fillRootless(r2.files[0]?.path as string, { work: studio.studioRoot }))).toBe(true);
  });

  it("without --once loops until SIGTERM (exit 0); --verbose adds debug lines; --log-format json|pretty", async () => {
    const { r1, ...studio } = await threeRepresentations();
    const loop = (...more: string[]) => follow(["sync", "--project", "Proj", "--home", studio.home, ...more]);
    const quiet = loop("--log-format", "json");
    await quiet.waitFor((l) => l.msg === "pass done" && l.ok === 3);
    expect(await quiet.stop()).toBe(0);
    expect(existsSync(fillRootless(r1.files[0]?.path as string, { work: studio.localRoot }))).toBe(true);
    expect(quiet.lines.filter((l) => (l.level as number) < 30)).toEqual([]);

    const verbose = loop("--log-format", "json", "--verbose");
    await verbose.waitFor((l) => l.msg === "pass finished" && l.level === 20);
    expect(await verbose.stop()).toBe(0);

    const pretty = loop("--log-format", "pretty", "--verbose");
    await pretty.waitFor((l) => /^\[\d\d:\d\d:\d\d\] DEBUG: pass finished$/.test(String(l.msg)));
    expect(await pretty.stop()).toBe(0);
  });
});

describe("syncservice", () => {
  it("--active-site and AYON's --active_site both name the service's site", async () => {
    const studio = await makeStudio();
    for (const option of ["--active-site", "--active_site"]) {
      const service = follow([
        "syncservice",
        option,
        "artist1",
        "--home",
        studio.home,
        "--log-format",
        "json",
      ]);
      // Not "sync service started": that line comes before the service handles SIGTERM.
      await service.waitFor(
        (l) => l.msg === "sync service listening for wake requests on 127.0.0.1" && l.site === "artist1",
      );
      expect(await service.stop(), option).toBe(0);
    }
    const wrong = await studio.run("syncservice", "--active-site", "studio");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the sync service for site "studio" has nothing to do');
  });
});

describe("pause/unpause", () => {
  it("--project, --representation and --service hold a sync; unpause lets it go", async () => {
    const { r1, r3, ...studio } = await threeRepresentations();
    const once = async () => ok<SyncJson>(await studio.run("sync", "--project", "Proj", "--once", "--json"));
    const target = ["--project", "Proj"];

    ok(await studio.run("pause", "--service", "--json"));
    expect((await once()).projects[0]?.skipped).toBe("the sync service is paused");
    expect((await status(studio)).paused.service).toBe(true);
    ok(await studio.run("unpause", "--service", "--json"));

    ok(await studio.run("pause", ...target, "--json"));
    expect((await once()).projects[0]?.skipped).toBe("the project is paused");
    expect((await status(studio)).paused).toEqual({ service: false, project: true });
    ok(await studio.run("unpause", ...target, "--json"));

    ok(await studio.run("pause", ...target, "--representation", r1.representationId, "--json"));
    // r2 goes up and r3 comes down; r1 waits.
    expect((await once()).projects[0]?.transferred).toBe(2);
    const local = (r: PublishJson) => fillRootless(r.files[0]?.path as string, { work: studio.localRoot });
    expect([existsSync(local(r1)), existsSync(local(r3))]).toEqual([false, true]);
    ok(await studio.run("unpause", ...target, "--representation", r1.representationId, "--json"));
    expect((await once()).projects[0]?.transferred).toBe(1);
    expect(existsSync(local(r1))).toBe(true);

    expect((await studio.run("pause")).code).toBe(2);
    expect((await studio.run("pause", "--service", "--project", "Proj")).code).toBe(2);
  });
});

describe("validate", () => {
  it("--site marks files found OK; --reset-missing queues missing ones; an unknown site exits 2", async () => {
    const { r1, r2, ...studio } = await threeRepresentations();
    cpSync(
      fillRootless(r1.files[0]?.path as string, { work: studio.studioRoot }),
      fillRootless(r1.files[0]?.path as string, { work: studio.localRoot }),
    );
    rmSync(fillRootless(r2.files[0]?.path as string, { work: studio.localRoot }));
    const checked = ok(await studio.run("validate", "--project", "Proj", "--site", "local", "--json"));
    // r2 is missing although OK; r3 is missing and QUEUED, as it should be.
    expect(checked).toMatchObject({ site: "artist1", present: 1, missing: 2, reset: 0 });
    const local = async (r: PublishJson) =>
      (await status(studio)).representations.find((x) => x.representationId === r.representationId)
        ?.localStatus.status;
    expect(await local(r1)).toBe(SyncStatus.OK);
    expect(await local(r2)).toBe(SyncStatus.OK);
    const reset = ok(
      await studio.run("validate", "--project", "Proj", "--site", "local", "--reset-missing", "--json"),
    );
    expect(reset).toMatchObject({ missing: 2, reset: 1 });
    expect(await local(r2)).toBe(SyncStatus.QUEUED);
    const bad = await studio.run("validate", "--project", "Proj", "--site", "nosuch");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--site: unknown site "nosuch" (sites: studio, artist1)');
  });
});

describe("hook run", () => {
  const workDir = (s: EngineStudio) => path.join(s.localRoot, "Proj/assets/characters/hero/work/modeling");

  it("--project, --folder, --task and --app pick the task; --workfile and --last-workfile change what it does", async () => {
    const s = await hookStudio();
    engineStudio = s;
    await s.publishFiles({ "scene.ma": "published" });
    const explicit = ok<HookJson>(await s.hook("--workfile", "/somewhere/explicit.ma", "--json"));
    expect(explicit).toMatchObject({ status: "skipped", reason: "an explicit workfile_path was given" });
    const mine = path.join(s.dir, "mine.ma");
    writeFileSync(mine, "the artist's own");
    const existing = ok<HookJson>(await s.hook("--last-workfile", mine, "--json"));
    expect(existing).toMatchObject({ status: "skipped", reason: "the last workfile exists" });
    const copied = ok<HookJson>(await s.hook("--json"));
    expect(copied).toMatchObject({
      status: "copied",
      last_workfile_path: path.join(workDir(s), "PR_hero_modeling_v002.ma"),
    });
    const otherTask = await runCli([
      ...["hook", "run", "copy-last-published-workfile", "--project", "Proj", "--folder", HERO],
      ...["--task", "nosuch", "--app", "maya/2024", "--home", s.home],
    ]);
    expect(otherTask.code).toBe(2);
    expect(otherTask.stderr).toContain("nosuch");
  });

  it("--timeout gives up with exit 1", async () => {
    const s = await hookStudio({
      remote: "slow",
      sites: (roots) => [
        `- {name: slow, provider: slow_drive, alternative_sites: [studio], slow_drive: {roots: "${roots.studio}", delay_ms: 50}}`,
      ],
    });
    engineStudio = s;
    await s.publishFiles({ "scene.ma": Buffer.alloc(4 * 1024 * 1024, 1) });
    const result = await runCli(
      [
        ...["hook", "run", "copy-last-published-workfile", "--project", "Proj", "--folder", HERO],
        ...["--task", "modeling", "--app", "maya/2024", "--timeout", "1", "--home", s.home],
      ],
      { env: { SITESYNC_PROVIDER_MODULES: SLOW_MODULE } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("timed out after 1 s");
  });
});

describe("launch", () => {
  const launchArgs = (home: string, ...more: string[]) => [
    ...["launch", "--project", "Proj", "--folder", HERO, "--task", "modeling", "--app", "maya/2024"],
    ...["--home", home, ...more],
  ];

  it("--dry-run prints the command with the -- arguments; without it the application runs", async () => {
    const s = await hookStudio();
    engineStudio = s;
    await s.publishFiles({ "scene.ma": "published" });
    const workfile = path.join(
      s.localRoot,
      "Proj/assets/characters/hero/work/modeling/PR_hero_modeling_v002.ma",
    );
    const dry = ok<{ command: string[] }>(
      await runCli(launchArgs(s.home, "--dry-run", "--json", "--", "-batch")),
    );
    expect(dry.command.slice(1)).toEqual(["-batch", workfile]);
    expect(existsSync(workfile)).toBe(false);
    const run = await runCli(launchArgs(s.home));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`stand-in maya opened ${workfile}`);
  });
});
