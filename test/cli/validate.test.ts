import { cpSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { makeStudio } from "../helpers/cli.js";

interface StatusJson {
  representations: Array<{ localStatus: { status: number }; files: Array<{ path: string }> }>;
}

describe("sitesync validate", () => {
  it("marks files found on the site OK, and queues missing ones again only with --reset-missing", async () => {
    const studio = await makeStudio();
    const scene = path.join(studio.dir, "scene.ma");
    cpSync(path.join(studio.dir, "project.yaml"), scene);
    const published = await studio.run(
      ...["publish", "--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
      ...["--product", "workfileModeling", "--product-type", "workfile", "--file", scene, "--site", "studio"],
    );
    expect(published.code).toBe(0);
    const status = async () =>
      ((await studio.run("status", "--project", "Proj", "--json")).json() as StatusJson).representations[0];
    const rootless = (await status())?.files[0]?.path as string;
    expect((await status())?.localStatus.status).toBe(1);

    // The artist copied the file by hand: validate notices it.
    cpSync(
      fillRootless(rootless, { work: studio.studioRoot }),
      fillRootless(rootless, { work: studio.localRoot }),
    );
    const found = await studio.run("validate", "--project", "Proj", "--site", "local", "--json");
    expect(found.code).toBe(0);
    expect(found.json()).toMatchObject({ site: "artist1", present: 1, missing: 0 });
    expect((await status())?.localStatus.status).toBe(4);

    rmSync(fillRootless(rootless, { work: studio.localRoot }));
    const kept = await studio.run("validate", "--project", "Proj", "--site", "local", "--json");
    expect(kept.json()).toMatchObject({ missing: 1, reset: 0 });
    expect((await status())?.localStatus.status).toBe(4);
    const reset = await studio.run(
      "validate",
      "--project",
      "Proj",
      "--site",
      "local",
      "--reset-missing",
      "--json",
    );
    expect(reset.json()).toMatchObject({ missing: 1, reset: 1 });
    expect((await status())?.localStatus.status).toBe(1);
  });

  it("rejects an unknown site with exit 2", async () => {
    const studio = await makeStudio();
    const result = await studio.run("validate", "--project", "Proj", "--site", "mars");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown site "mars"');
  });
});
