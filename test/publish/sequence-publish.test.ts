/**
 * `sitesync publish` of image sequences and UDIM tiles through the built
 * command (issue 14 items 1, 2 and 5): every pattern syntax, gaps, --frames,
 * the bad input that exits 2 with nothing written, status, hero and a sync.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { openContext } from "../../lib/context.js";
import { SyncStatus } from "../../lib/store/status.js";
import { makeStudio, type Studio, snapshot } from "../helpers/cli.js";

const FOLDER = "Proj/assets/characters/hero/publish";

interface PublishJson {
  versionId: string;
  version: number;
  representationId: string;
  files: Array<{ id: string; path: string }>;
  sites: Record<string, number>;
  hero?: { representationId: string; files: Array<{ path: string }> };
}

interface StatusRow {
  representationId: string;
  version: number;
  representation: string;
  frames?: string;
  udims?: string;
  localStatus: { status: number };
  remoteStatus: { status: number };
}

/** `sitesync publish` of renderMain (product type render) with `--file` for each of `files`. */
function publish(studio: Studio, files: string[], ...more: string[]) {
  return studio.run(
    ...["publish", "--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
    ...["--product", "renderMain", "--product-type", "render"],
    ...files.flatMap((f) => ["--file", f]),
    ...more,
  );
}

async function published(studio: Studio, files: string[], ...more: string[]): Promise<PublishJson> {
  const result = await publish(studio, files, "--json", ...more);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.json() as PublishJson;
}

/** Files `names` in `<studio>/src/<sub>`, each holding its own name; returns that folder. */
function sources(studio: Studio, names: string[], sub = ""): string {
  const dir = path.join(studio.dir, "src", sub);
  mkdirSync(dir, { recursive: true });
  for (const name of names) writeFileSync(path.join(dir, name), `content of ${name}`);
  return dir;
}

const frames = (prefix: string, list: number[], suffix = ".exr", padding = 4) =>
  list.map((f) => `${prefix}${String(f).padStart(padding, "0")}${suffix}`);

const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

/** The names of a published version's files on a site root. */
function namesOn(root: string, product: string, version: string): string[] {
  const dir = path.join(root, FOLDER, product, version);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

async function representationContext(studio: Studio, id: string): Promise<Record<string, unknown>> {
  const context = await openContext({ home: studio.home, env: { ...process.env, AYON_SITE_ID: "" } });
  try {
    const [representation] = await context.store.getRepresentations("Proj", { ids: [id] });
    return representation?.context ?? {};
  } finally {
    await context.store.close();
  }
}

async function statusRows(studio: Studio, ...more: string[]): Promise<StatusRow[]> {
  const result = await studio.run("status", "--project", "Proj", "--json", ...more);
  expect(result.code).toBe(0);
  return (result.json() as { representations: StatusRow[] }).representations;
}

describe("publish --file with a frame pattern", () => {
  it("publishes Nuke's ####, ffmpeg's %04d and Houdini's $F4 as one file per frame through the template", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, frames("r.", range(1001, 1004)));
    const expected = (v: string) => frames(`PR_hero_renderMain_${v}.`, range(1001, 1004));
    for (const [i, pattern] of ["r.####.exr", "r.%04d.exr", "r.$F4.exr"].entries()) {
      const v = `v00${i + 1}`;
      const result = await published(studio, [path.join(dir, pattern)], "--site", "studio");
      expect(result.files.map((f) => path.posix.basename(f.path))).toEqual(expected(v));
      expect(result.files[0]?.path).toBe(
        `{root[work]}/${FOLDER}/render/renderMain/${v}/PR_hero_renderMain_${v}.1001.exr`,
      );
      expect(namesOn(studio.studioRoot, "render/renderMain", v)).toEqual(expected(v));
      const third = path.join(studio.studioRoot, FOLDER, "render/renderMain", v, expected(v)[2] as string);
      expect(readFileSync(third, "utf8")).toBe("content of r.1003.exr");
    }
  });

  it("records the frames in the representation context; the name stays the extension", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, frames("r.", [...range(1001, 1003), 1005, 1006]));
    const result = await published(studio, [path.join(dir, "r.####.exr")], "--site", "studio");
    expect(result.files).toHaveLength(5);
    const context = await representationContext(studio, result.representationId);
    expect(context).toMatchObject({
      representation: "exr",
      ext: "exr",
      frame: "1001",
      frameStart: 1001,
      frameEnd: 1006,
      frames: "1001-1003,1005-1006",
    });
    const [row] = await statusRows(studio, "--local-site", "studio");
    expect(row).toMatchObject({ representation: "exr", frames: "1001-1003,1005-1006" });
  });

  it("keeps a source padding wider than frame_padding and pads a narrower one", async () => {
    const studio = await makeStudio();
    const wide = sources(studio, frames("w.", [1, 2], ".exr", 6), "wide");
    const narrow = sources(studio, ["n.8.exr", "n.9.exr", "n.10.exr"], "narrow");
    const first = await published(studio, [path.join(wide, "w.######.exr")], "--site", "studio");
    expect(first.files.map((f) => path.posix.basename(f.path))).toEqual([
      "PR_hero_renderMain_v001.000001.exr",
      "PR_hero_renderMain_v001.000002.exr",
    ]);
    const second = await published(studio, [path.join(narrow, "n.%d.exr")], "--site", "studio");
    expect(second.files.map((f) => path.posix.basename(f.path))).toEqual(
      frames("PR_hero_renderMain_v002.", [8, 9, 10]),
    );
  });

  it("publishes a list of --file paths that differ only in the frame as one sequence", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, frames("r.", [1001, 1002, 1004]));
    const files = frames("r.", [1004, 1001, 1002]).map((n) => path.join(dir, n));
    const result = await published(studio, files, "--site", "studio");
    expect(result.files.map((f) => path.posix.basename(f.path))).toEqual(
      frames("PR_hero_renderMain_v001.", [1001, 1002, 1004]),
    );
    expect(await representationContext(studio, result.representationId)).toMatchObject({
      frameStart: 1001,
      frameEnd: 1004,
      frames: "1001-1002,1004",
    });
  });

  it("--frames publishes the range; --allow-missing-frames publishes what exists and records the gaps", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, frames("r.", [1001, 1002, 1004, 1005, 1006]));
    const pattern = path.join(dir, "r.####.exr");
    const ranged = await published(studio, [pattern], "--frames", "1002-1005", "--allow-missing-frames");
    expect(ranged.files.map((f) => path.posix.basename(f.path))).toEqual(
      frames("PR_hero_renderMain_v001.", [1002, 1004, 1005]),
    );
    expect(await representationContext(studio, ranged.representationId)).toMatchObject({
      frameStart: 1002,
      frameEnd: 1005,
      frames: "1002,1004-1005",
    });
    const exact = await published(studio, [pattern], "--frames", "1004-1006");
    expect(exact.files).toHaveLength(3);
  });
});

describe("publish --file with UDIM tiles", () => {
  it("publishes tex.<UDIM>.exr and a --udim list filling {udim}", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, frames("tex.", [1001, 1002, 1011]));
    const expected = (v: string) => frames(`PR_hero_renderMain_${v}_`, [1001, 1002, 1011]);
    const udim = await published(studio, [path.join(dir, "tex.<UDIM>.exr")], "--site", "studio");
    expect(udim.files.map((f) => path.posix.basename(f.path))).toEqual(expected("v001"));
    expect(namesOn(studio.studioRoot, "render/renderMain", "v001")).toEqual(expected("v001"));
    expect(await representationContext(studio, udim.representationId)).toMatchObject({
      udim: 1001,
      udims: "1001-1002,1011",
    });
    const listed = frames("tex.", [1001, 1002, 1011]).map((n) => path.join(dir, n));
    const list = await published(studio, listed, "--udim", "--site", "studio");
    expect(list.files.map((f) => path.posix.basename(f.path))).toEqual(expected("v002"));
    const rows = await statusRows(studio, "--local-site", "studio");
    expect(rows.map((r) => r.udims)).toEqual(["1001-1002,1011", "1001-1002,1011"]);
  });
});

describe("publish of sequences: bad input exits 2 with nothing written", () => {
  async function refused(studio: Studio, files: string[], expected: string, ...more: string[]) {
    const before = snapshot(studio.dir);
    const result = await publish(studio, files, "--site", "studio", ...more);
    expect(result.stderr).toContain(expected);
    expect(result.code).toBe(2);
    expect(snapshot(studio.dir)).toEqual(before);
    expect(await statusRows(studio, "--local-site", "studio")).toEqual([]);
  }

  it("--frames with frames missing on disk lists the first missing frames", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, frames("r.", [1001, 1002, 1005]));
    await refused(
      studio,
      [path.join(dir, "r.####.exr")],
      `--frames 1001-1020: 17 of 20 frames missing for "${path.join(dir, "r.####.exr")}": 1003, 1004, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013 and 7 more`,
      "--frames",
      "1001-1020",
    );
  });

  it("a pattern matching no file, mixed paddings, a UDIM outside 1001-1999, a bad --frames", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, ["r.1001.exr", "r.01002.exr", "tex.1001.exr", "tex.2001.exr"]);
    await refused(
      studio,
      [path.join(dir, "s.####.exr")],
      `--file: "${path.join(dir, "s.####.exr")}" matches no file`,
    );
    await refused(studio, [path.join(dir, "r.####.exr")], "r.01002.exr has 5 digits: mixed paddings");
    await refused(
      studio,
      ["r.1001.exr", "r.01002.exr"].map((n) => path.join(dir, n)),
      "mixed paddings",
    );
    await refused(
      studio,
      [path.join(dir, "tex.<UDIM>.exr")],
      "UDIM 2001 (tex.2001.exr) is outside 1001-1999",
    );
    await refused(
      studio,
      [path.join(dir, "tex.1001.exr"), path.join(dir, "tex.2001.exr")],
      "UDIM 2001",
      "--udim",
    );
    await refused(
      studio,
      [path.join(dir, "tex.1001.exr")],
      '--frames: "1001-x" is not a frame range',
      ...["--frames", "1001-x"],
    );
  });

  it("two patterns resolving to the same target", async () => {
    const studio = await makeStudio();
    const a = sources(studio, frames("r.", [1001, 1002]), "a");
    const b = sources(studio, frames("r.", [1002, 1003]), "b");
    await refused(
      studio,
      [path.join(a, "r.####.exr"), path.join(b, "r.%04d.exr")],
      `two files would publish to the same path {root[work]}/${FOLDER}/render/renderMain/v001/PR_hero_renderMain_v001.1002.exr`,
    );
  });
});

describe("status of a sequence", () => {
  it("shows one representation with its frame range", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, frames("r.", [...range(1001, 1050), ...range(1052, 1100)]));
    const result = await published(studio, [path.join(dir, "r.####.exr")], "--site", "studio");
    expect(result.files).toHaveLength(99);
    const text = await studio.run("status", "--project", "Proj", "--local-site", "studio");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("exr [1001-1050,1052-1100]");
    expect(text.stdout).toContain("1 representation\n");
    const plain = await studio.run("publish", "--help");
    expect(plain.stdout).toContain("--allow-missing-frames");
  });
});

describe("hero version of a sequence", () => {
  it("fills the hero template's frame for every frame and drops frames the next hero lacks", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, frames("r.", range(1001, 1004)));
    const heroDir = path.join(studio.studioRoot, FOLDER, "render/renderMain/hero");
    const first = await published(studio, [path.join(dir, "r.####.exr")], "--site", "studio", "--hero");
    expect(first.hero?.files.map((f) => path.posix.basename(f.path))).toEqual(
      frames("PR_hero_renderMain_hero.", range(1001, 1004)),
    );
    expect(readdirSync(heroDir).sort()).toEqual(frames("PR_hero_renderMain_hero.", range(1001, 1004)));
    expect(readFileSync(path.join(heroDir, "PR_hero_renderMain_hero.1002.exr"), "utf8")).toBe(
      "content of r.1002.exr",
    );
    const second = await published(
      studio,
      [path.join(dir, "r.####.exr")],
      ...["--site", "studio", "--hero", "--frames", "1001-1002"],
    );
    expect(second.hero?.representationId).toBe(first.hero?.representationId);
    expect(readdirSync(heroDir).sort()).toEqual(frames("PR_hero_renderMain_hero.", [1001, 1002]));
    const rows = await statusRows(studio, "--local-site", "studio");
    expect(rows.find((r) => r.version < 0)).toMatchObject({ frames: "1001-1002" });
  });
});

describe("a sequence between sites", () => {
  it("syncs from studio to the local site and back after the local copies are removed", async () => {
    const studio = await makeStudio();
    const list = range(1001, 1020);
    const dir = sources(studio, frames("r.", list));
    const result = await published(studio, [path.join(dir, "r.####.exr")], "--site", "studio");
    expect(result.sites).toEqual({ studio: SyncStatus.OK, artist1: SyncStatus.QUEUED });
    const local = (p: string) => fillRootless(p, { work: studio.localRoot });
    const allArrived = () =>
      result.files.every((f, i) => {
        const file = local(f.path);
        return existsSync(file) && readFileSync(file, "utf8") === `content of r.${list[i]}.exr`;
      });

    expect((await studio.run("sync", "--project", "Proj", "--once")).code).toBe(0);
    expect(allArrived()).toBe(true);
    const [row] = await statusRows(studio);
    expect(row).toMatchObject({ frames: "1001-1020", localStatus: { status: SyncStatus.OK } });
    expect(row?.remoteStatus.status).toBe(SyncStatus.OK);

    const target = ["--project", "Proj", "--representation", result.representationId, "--site", "local"];
    expect((await studio.run("site", "remove", ...target, "--remove-local-files")).code).toBe(0);
    expect(result.files.some((f) => existsSync(local(f.path)))).toBe(false);
    expect((await studio.run("site", "add", ...target)).code).toBe(0);
    expect((await studio.run("sync", "--project", "Proj", "--once")).code).toBe(0);
    expect(allArrived()).toBe(true);
  });

  it("syncs a sequence published on the local site up to studio", async () => {
    const studio = await makeStudio();
    const dir = sources(studio, frames("r.", range(1001, 1010)));
    const result = await published(studio, [path.join(dir, "r.####.exr")]);
    expect(result.sites).toEqual({ artist1: SyncStatus.OK, studio: SyncStatus.QUEUED });
    expect((await studio.run("sync", "--project", "Proj", "--once")).code).toBe(0);
    for (const [i, file] of result.files.entries()) {
      expect(readFileSync(fillRootless(file.path, { work: studio.studioRoot }), "utf8")).toBe(
        `content of r.${1001 + i}.exr`,
      );
    }
    const [row] = await statusRows(studio);
    expect([row?.localStatus.status, row?.remoteStatus.status]).toEqual([SyncStatus.OK, SyncStatus.OK]);
  });
});
