/**
 * Issue 14, "Publishing at VFX scale": every step is linear in the number of
 * files of a representation (publish, planning, transfer, recording, status,
 * validate, the hook). Through the built command, the first test publishes one
 * representation of 10,000 files (a 10,000-frame sequence, `r.#####.exr`),
 * queues it for the workstation's local site, syncs it there and checks it
 * with status and validate; the second publishes a workfile with 9,999
 * resources and runs the prelaunch hook, which brings all 10,000 files to the
 * local site and copies the resources into the work area.
 *
 * It exists to keep every step linear: it asserts no time, but a step that is
 * quadratic in the files of a representation (a lookup by scanning the file
 * list per file, a statement per file in a loop that rereads the state) would
 * take minutes at 10,000 files and time out, where the linear steps take
 * seconds. The files are a few bytes each, so the bytes cost nothing and the
 * per-file work is all that is measured.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { makeStudio, publishArgs } from "../helpers/cli.js";
import type { EngineStudio } from "../helpers/engine.js";
import { type HookJson, hookStudio } from "../helpers/hook.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const FRAMES = 10_000;
const FIRST = 10_001;
const LAST = FIRST + FRAMES - 1;
const frameName = (frame: number) => `r.${frame}.exr`;
const content = (frame: number) => `f${frame}`;

interface StatusRow {
  representationId: string;
  frames?: string;
  localStatus: { status: number };
  remoteStatus: { status: number };
}

describe("a representation of 10,000 files", () => {
  it("publishes, queues, syncs, shows in status and validates, every step linear in the files", {
    timeout: 180_000,
  }, async () => {
    const studio = await makeStudio();
    const src = path.join(studio.dir, "src");
    mkdirSync(src, { recursive: true });
    for (let frame = FIRST; frame <= LAST; frame++)
      writeFileSync(path.join(src, frameName(frame)), content(frame));

    // Publish: planning (the pattern against one listing), the transfer to studio, the recording.
    const published = await studio.run(
      ...["publish", "--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
      ...["--product", "renderMain", "--product-type", "render", "--file", path.join(src, "r.#####.exr")],
      ...["--site", "studio", "--json"],
    );
    expect(published.code, published.stderr).toBe(0);
    const result = published.json() as {
      representationId: string;
      files: Array<{ path: string }>;
      sites: Record<string, number>;
    };
    expect(result.files).toHaveLength(FRAMES);
    expect(result.sites).toEqual({ studio: SyncStatus.OK, artist1: SyncStatus.QUEUED });
    const publishDir = path.dirname(
      fillRootless(result.files[0]?.path as string, { work: studio.studioRoot }),
    );
    expect(readdirSync(publishDir)).toHaveLength(FRAMES);

    // Queue it for the workstation's site again, all 10,000 files reset in one command.
    const target = ["--project", "Proj", "--representation", result.representationId, "--site", "local"];
    const added = await studio.run("site", "add", ...target, "--force");
    expect(added.code, added.stderr).toBe(0);

    // The transfer to the local site and the recording of each file's result.
    const synced = await studio.run("sync", "--project", "Proj", "--once");
    expect(synced.code, synced.stderr).toBe(0);
    const local = result.files.map((f) => fillRootless(f.path, { work: studio.localRoot }));
    expect(readdirSync(path.dirname(local[0] as string)).sort()).toEqual(
      local.map((f) => path.basename(f)).sort(),
    );
    // File i is frame FIRST + i (the catalog lists a sequence by frame): a sample of them, first and last.
    for (let i = 0; i < FRAMES; i += 997) {
      expect(readFileSync(local[i] as string, "utf8")).toBe(content(FIRST + i));
    }
    expect(readFileSync(local[FRAMES - 1] as string, "utf8")).toBe(content(LAST));

    const status = await studio.run("status", "--project", "Proj", "--json");
    expect(status.code, status.stderr).toBe(0);
    const rows = (status.json() as { representations: StatusRow[] }).representations;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      representationId: result.representationId,
      frames: `${FIRST}-${LAST}`,
      localStatus: { status: SyncStatus.OK },
      remoteStatus: { status: SyncStatus.OK },
    });

    const validated = await studio.run("validate", "--project", "Proj", "--site", "local", "--json");
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.json()).toMatchObject({ representations: 1, present: FRAMES, missing: 0, reset: 0 });
  });

  it("brings a workfile with 9,999 resources to the local site and into the work area (the hook)", {
    timeout: 180_000,
  }, async () => {
    const s = await hookStudio();
    studio = s;
    const src = path.join(s.dir, "src");
    const res = path.join(src, "res");
    const RESOURCES = FRAMES - 1;
    const resource = (i: number) => `d${i % 10}/t${i}.png`;
    for (let i = 0; i < 10; i++) mkdirSync(path.join(res, `d${i}`), { recursive: true });
    for (let i = 0; i < RESOURCES; i++) writeFileSync(path.join(res, resource(i)), content(i));
    writeFileSync(path.join(src, "scene.ma"), "//Maya scene v1");
    const published = await s.run(
      ...publishArgs(path.join(src, "scene.ma"), "--resources", res, "--site", "studio", "--json"),
    );
    expect(published.code, published.stderr).toBe(0);
    expect((published.json() as { files: unknown[] }).files).toHaveLength(FRAMES);

    const hooked = await s.hook("--json");
    expect(hooked.code, hooked.stderr).toBe(0);
    const json = hooked.json() as HookJson;
    expect(json).toMatchObject({ status: "copied", reason: null });
    const work = path.dirname(json.last_workfile_path);
    expect(readFileSync(json.last_workfile_path, "utf8")).toBe("//Maya scene v1");
    expect(json.resources).toHaveLength(RESOURCES);
    const inWork = readdirSync(path.join(work, "resources"), { recursive: true, withFileTypes: true }).filter(
      (entry) => entry.isFile(),
    );
    expect(inWork).toHaveLength(RESOURCES);
    for (let i = 0; i < RESOURCES; i += 997) {
      expect(readFileSync(path.join(work, "resources", resource(i)), "utf8")).toBe(content(i));
    }

    const status = await s.run("status", "--project", "Proj", "--json");
    expect(status.code, status.stderr).toBe(0);
    expect((status.json() as { representations: StatusRow[] }).representations).toMatchObject([
      { localStatus: { status: SyncStatus.OK }, remoteStatus: { status: SyncStatus.OK } },
    ]);
  });
});
