import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeStudio, type Studio } from "../helpers/cli.js";

interface StatusJson {
  representations: Array<{
    remoteStatus: { status: number; priority: number };
    localStatus: { status: number };
  }>;
}

async function publishOn(
  studio: Studio,
  site: string,
): Promise<{ representationId: string; files: Array<{ path: string }> }> {
  const src = path.join(studio.dir, "src");
  mkdirSync(path.join(src, "res/deep"), { recursive: true });
  writeFileSync(path.join(src, "scene.ma"), "scene");
  writeFileSync(path.join(src, "res/deep/tex.png"), "png");
  const result = await studio.run(
    "publish",
    ...["--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
    ...["--product", "workfileModeling", "--product-type", "workfile", "--file", path.join(src, "scene.ma")],
    ...["--resources", path.join(src, "res"), "--site", site, "--json"],
  );
  if (result.code !== 0) throw new Error(result.stderr);
  return result.json() as { representationId: string; files: Array<{ path: string }> };
}

const status = async (studio: Studio, local: string, remote: string) =>
  (
    await studio.run("status", "--project", "Proj", "--local-site", local, "--remote-site", remote, "--json")
  ).json() as StatusJson;

describe("sitesync site", () => {
  it("adds a site as QUEUED, refuses a second add without --force, and resets with --force", async () => {
    const studio = await makeStudio();
    const { representationId } = await publishOn(studio, "studio");
    const target = ["--project", "Proj", "--representation", representationId];
    const added = await studio.run("site", "add", ...target, "--site", "elsewhere", "--json");
    expect(added.code).toBe(2);
    expect(added.stderr).toContain('unknown site "elsewhere"');
    await studio.run("site", "remove", ...target, "--site", "local");
    expect((await studio.run("site", "add", ...target, "--site", "local", "--priority", "90")).code).toBe(0);
    const again = await studio.run("site", "add", ...target, "--site", "local");
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("use --force");
    expect((await studio.run("site", "add", ...target, "--site", "local", "--force")).code).toBe(0);
    const [row] = (await status(studio, "studio", "local")).representations;
    expect(row?.remoteStatus).toMatchObject({ status: 1, priority: 90 });
  });

  it("resets a site to QUEUED and refuses to reset a site without state", async () => {
    const studio = await makeStudio();
    const { representationId } = await publishOn(studio, "studio");
    const target = ["--project", "Proj", "--representation", representationId];
    expect((await studio.run("site", "reset", ...target, "--site", "studio")).code).toBe(0);
    expect((await status(studio, "studio", "local")).representations[0]?.localStatus.status).toBe(1);
    await studio.run("site", "remove", ...target, "--site", "local");
    const missing = await studio.run("site", "reset", ...target, "--site", "local");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("has no state");
  });

  it("removes this workstation's files and the folders they leave empty, but never another site's", async () => {
    const studio = await makeStudio();
    const { representationId } = await publishOn(studio, "local");
    const target = ["--project", "Proj", "--representation", representationId];
    const publishDir = path.join(
      studio.localRoot,
      "Proj/assets/characters/hero/publish/workfile/workfileModeling/v001",
    );
    expect(existsSync(path.join(publishDir, "resources/deep/tex.png"))).toBe(true);
    const refused = await studio.run("site", "remove", ...target, "--site", "studio", "--remove-local-files");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("only this workstation's own site");
    const removed = await studio.run(
      "site",
      "remove",
      ...target,
      "--site",
      "local",
      "--remove-local-files",
      "--json",
    );
    expect(removed.code).toBe(0);
    expect((removed.json() as { removedFiles: string[] }).removedFiles).toHaveLength(2);
    expect(existsSync(path.join(studio.localRoot, "Proj"))).toBe(false);
    expect(existsSync(studio.localRoot)).toBe(true);
    expect((await status(studio, "local", "studio")).representations[0]?.localStatus.status).toBe(-1);
  });

  it("rejects an unknown representation with exit 2", async () => {
    const studio = await makeStudio();
    const result = await studio.run(
      "site",
      "add",
      "--project",
      "Proj",
      "--representation",
      "f".repeat(32),
      "--site",
      "local",
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`unknown representation "${"f".repeat(32)}"`);
  });
});
