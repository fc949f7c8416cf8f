import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeStudio, publishArgs, type Studio } from "../helpers/cli.js";

interface PublishJson {
  versionId: string;
  version: number;
  representationId: string;
  files: Array<{ id: string; path: string }>;
}

interface StatusJson {
  representations: Array<{
    representationId: string;
    version: number;
    localStatus: { status: number; size: number; totalSize: number };
    remoteStatus: { status: number };
    files: Array<{ path: string; localStatus: { status: number }; remoteStatus: { status: number } }>;
  }>;
}

function workfileWithResources(studio: Studio): { scene: string; resources: string } {
  const src = path.join(studio.dir, "src");
  mkdirSync(path.join(src, "resources/textures/wood"), { recursive: true });
  writeFileSync(path.join(src, "scene.ma"), "//Maya ASCII scene\n");
  writeFileSync(path.join(src, "resources/textures/wood/albedo.png"), Buffer.alloc(4096, 7));
  writeFileSync(path.join(src, "resources/cache.abc"), "cache");
  return { scene: path.join(src, "scene.ma"), resources: path.join(src, "resources") };
}

const publishJson = (scene: string, ...more: string[]) => publishArgs(scene, "--json", ...more);

describe("sitesync publish", () => {
  it("copies a workfile and its resources to the publish template path on studio and registers them rootless", async () => {
    const studio = await makeStudio();
    const { scene, resources } = workfileWithResources(studio);
    const result = await studio.run(...publishJson(scene, "--resources", resources, "--site", "studio"));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const published = result.json() as PublishJson;
    expect(published.version).toBe(1);
    const dir = "{root[work]}/Proj/assets/characters/hero/publish/workfile/workfileModeling/v001";
    expect(published.files.map((f) => f.path)).toEqual([
      `${dir}/PR_hero_workfileModeling_v001.ma`,
      `${dir}/resources/cache.abc`,
      `${dir}/resources/textures/wood/albedo.png`,
    ]);
    const onDisk = path.join(
      studio.studioRoot,
      "Proj/assets/characters/hero/publish/workfile/workfileModeling/v001",
    );
    expect(readFileSync(path.join(onDisk, "PR_hero_workfileModeling_v001.ma"), "utf8")).toBe(
      "//Maya ASCII scene\n",
    );
    expect(readFileSync(path.join(onDisk, "resources/textures/wood/albedo.png"))).toEqual(
      Buffer.alloc(4096, 7),
    );
  });

  it("shows the publish in status with studio OK and the remote site QUEUED", async () => {
    const studio = await makeStudio();
    const { scene, resources } = workfileWithResources(studio);
    const published = (
      await studio.run(...publishJson(scene, "--resources", resources, "--site", "studio"))
    ).json() as PublishJson;
    const status = await studio.run(
      "status",
      "--project",
      "Proj",
      "--local-site",
      "studio",
      "--remote-site",
      "local",
      "--json",
    );
    expect(status.code).toBe(0);
    const [row] = (status.json() as StatusJson).representations;
    expect(row?.representationId).toBe(published.representationId);
    expect(row?.localStatus).toMatchObject({ status: 4, size: 4096 + 5 + 19, totalSize: 4096 + 5 + 19 });
    expect(row?.remoteStatus.status).toBe(1);
    expect(row?.files.every((f) => f.localStatus.status === 4 && f.remoteStatus.status === 1)).toBe(true);
  });

  it("publishes the next version number per product", async () => {
    const studio = await makeStudio();
    const { scene } = workfileWithResources(studio);
    const v1 = (await studio.run(...publishJson(scene, "--site", "studio"))).json() as PublishJson;
    const v2 = (await studio.run(...publishJson(scene, "--site", "studio"))).json() as PublishJson;
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v2.files[0]?.path).toMatch(/\/v002\/PR_hero_workfileModeling_v002\.ma$/);
  });

  it("publishes on the active site by default, leaving the remote site QUEUED", async () => {
    const studio = await makeStudio("artist7");
    const { scene } = workfileWithResources(studio);
    const result = await studio.run(...publishJson(scene));
    expect(result.code).toBe(0);
    const local = path.join(
      studio.localRoot,
      "Proj/assets/characters/hero/publish/workfile/workfileModeling/v001",
    );
    expect(readFileSync(path.join(local, "PR_hero_workfileModeling_v001.ma"), "utf8")).toContain("Maya");
    const status = (await studio.run("status", "--project", "Proj", "--json")).json() as StatusJson;
    expect(status.representations[0]?.localStatus.status).toBe(4);
    expect(status.representations[0]?.remoteStatus.status).toBe(1);
  });

  it("records a reference link to another version", async () => {
    const studio = await makeStudio();
    const { scene } = workfileWithResources(studio);
    const model = (await studio.run(...publishJson(scene, "--site", "studio"))).json() as PublishJson;
    const rig = await studio.run(
      ...publishJson(scene, "--site", "studio", "--link", `reference:${model.versionId}`).map((a) =>
        a === "workfileModeling" ? "workfileRigging" : a,
      ),
    );
    expect(rig.code).toBe(0);
    const bad = await studio.run(
      ...publishJson(scene, "--site", "studio", "--link", `reference:${"0".repeat(32)}`),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`version ${"0".repeat(32)} does not exist`);
  });
});

describe("sitesync publish failures", () => {
  it("exits 1 when a file of the next version already sits on the site unregistered, and touches nothing", async () => {
    const studio = await makeStudio();
    const { scene, resources } = workfileWithResources(studio);
    const dir = path.join(
      studio.studioRoot,
      "Proj/assets/characters/hero/publish/workfile/workfileModeling/v001",
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "PR_hero_workfileModeling_v001.ma"), "left over");
    const result = await studio.run(...publishJson(scene, "--resources", resources, "--site", "studio"));
    expect(result.code).toBe(1);
    expect(result.json()).toMatchObject({ error: { kind: "provider", exitCode: 1 } });
    expect(result.stderr).toContain('already exists on site "studio" but version 1 is not registered');
    expect(readFileSync(path.join(dir, "PR_hero_workfileModeling_v001.ma"), "utf8")).toBe("left over");
    expect(existsSync(path.join(dir, "resources"))).toBe(false);
    const status = (await studio.run("status", "--project", "Proj", "--json")).json() as StatusJson;
    expect(status.representations).toEqual([]);
  });
});

describe("sitesync publish --hero", () => {
  it("keeps one hero version whose re-publish replaces its files and resets every site that had it", async () => {
    const studio = await makeStudio();
    const { scene, resources } = workfileWithResources(studio);
    const first = await studio.run(
      ...publishJson(scene, "--resources", resources, "--site", "studio", "--hero"),
    );
    expect(first.code, first.stderr).toBe(0);
    const hero1 = (first.json() as { hero: { representationId: string; files: Array<{ path: string }> } })
      .hero;
    const heroDir = path.join(
      studio.studioRoot,
      "Proj/assets/characters/hero/publish/workfile/workfileModeling/hero",
    );
    expect(readFileSync(path.join(heroDir, "PR_hero_workfileModeling_hero.ma"), "utf8")).toBe(
      "//Maya ASCII scene\n",
    );
    expect(hero1.files.map((f) => f.path.split("/hero/").pop())).toContain(
      "resources/textures/wood/albedo.png",
    );

    // The artist's site got the hero; then a new version is published as hero without resources.
    const target = [
      "--project",
      "Proj",
      "--representation",
      hero1.representationId,
      "--site",
      "local",
      "--force",
    ];
    expect((await studio.run("site", "add", ...target)).code).toBe(0);
    writeFileSync(scene, "//Maya ASCII scene v2\n");
    const second = await studio.run(...publishJson(scene, "--site", "studio", "--hero"));
    expect(second.code, second.stderr).toBe(0);
    const result = second.json() as PublishJson & {
      hero: { representationId: string; sites: Record<string, number> };
    };
    expect(result.version).toBe(2);
    expect(result.hero.representationId).toBe(hero1.representationId);
    expect(result.hero.sites).toMatchObject({ studio: 4, artist1: 1 });
    expect(readFileSync(path.join(heroDir, "PR_hero_workfileModeling_hero.ma"), "utf8")).toBe(
      "//Maya ASCII scene v2\n",
    );
    expect(existsSync(path.join(heroDir, "resources/textures/wood/albedo.png"))).toBe(false);
    const status = (
      await studio.run(
        "status",
        "--project",
        "Proj",
        "--local-site",
        "studio",
        "--remote-site",
        "local",
        "--version=-2",
        "--json",
      )
    ).json() as StatusJson;
    expect(status.representations).toHaveLength(1);
    expect(status.representations[0]?.files.map((f) => f.path)).toEqual([
      "{root[work]}/Proj/assets/characters/hero/publish/workfile/workfileModeling/hero/PR_hero_workfileModeling_hero.ma",
    ]);
  });
});
