import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { openContext } from "../../lib/context.js";
import { newId } from "../../lib/store/ids.js";
import { PAGE_SIZE } from "../../lib/store/paging.js";
import { SyncStatus } from "../../lib/store/status.js";
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

  it("walks a project of more representations than a page and checks each once", async () => {
    const studio = await makeStudio();
    const count = 2 * PAGE_SIZE + 100;
    const open = () =>
      openContext({ home: studio.home, env: { ...process.env, AYON_SITE_ID: "", SITESYNC_STORE_URL: "" } });
    const context = await open();
    const folder = await context.store.getFolderByPath("Proj", "/assets/characters/hero");
    if (!folder) throw new Error("the project has no hero folder");
    // Odd representations are on the local site; every fourth is recorded OK there but missing.
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const fileId = newId();
      const rootless = `{root[work]}/Proj/many/r${i}.ma`;
      if (i % 2 === 1) {
        const local = fillRootless(rootless, { work: studio.localRoot });
        mkdirSync(path.dirname(local), { recursive: true });
        writeFileSync(local, "abc");
      }
      ids.push(newId());
      await context.store.registerPublish("Proj", {
        product: {
          folderId: folder.id,
          name: `many${i}`,
          productType: "workfile",
          productBaseType: "workfile",
        },
        version: { id: newId(), version: 1, taskId: null, author: "tester" },
        representation: {
          id: ids[i] as string,
          name: "ma",
          context: { ext: "ma", version: 1 },
          files: [{ id: fileId, name: `r${i}.ma`, path: rootless, size: 3, hash: `h${i}`, hashType: "op3" }],
        },
        links: [],
        siteStates: [
          { site: "studio", files: [{ fileId, status: SyncStatus.OK, size: 3 }] },
          {
            site: "artist1",
            files: [
              { fileId, status: i % 4 === 0 ? SyncStatus.OK : SyncStatus.QUEUED, size: i % 4 === 0 ? 3 : 0 },
            ],
          },
        ],
      });
    }
    await context.store.close();

    const result = await studio.run(
      "validate",
      "--project",
      "Proj",
      "--site",
      "local",
      "--reset-missing",
      "--json",
    );
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      site: "artist1",
      representations: count,
      present: count / 2,
      missing: count / 2,
      reset: count / 4,
    });
    const after = await open();
    const states = await after.store.getSiteStates("Proj", ids, ["artist1"]);
    await after.store.close();
    const statusOf = new Map(states.map((s) => [s.representationId, s.status]));
    const expected = ids.map((_, i) => (i % 2 === 1 ? SyncStatus.OK : SyncStatus.QUEUED));
    expect(ids.map((id) => statusOf.get(id))).toEqual(expected);
  });

  it("rejects an unknown site with exit 2", async () => {
    const studio = await makeStudio();
    const result = await studio.run("validate", "--project", "Proj", "--site", "mars");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown site "mars"');
  });
});
