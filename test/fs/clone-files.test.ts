import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cloneFilesAtomic } from "../../lib/fs/atomic-copy.js";
import { tempDir } from "../helpers/tmp.js";

function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

describe("copying verified files into the work area", () => {
  it("copies every group with its layout and the source mtime, leaving no temporary name", async () => {
    const src = tempDir();
    const dst = tempDir();
    mkdirSync(path.join(src, "tex"), { recursive: true });
    writeFileSync(path.join(src, "tex", "a.png"), "aaa");
    writeFileSync(path.join(src, "scene.ma"), "scene");
    utimesSync(path.join(src, "scene.ma"), 1_600_000_000, 1_600_000_000);
    await cloneFilesAtomic([
      [{ source: path.join(src, "tex", "a.png"), target: path.join(dst, "resources", "tex", "a.png") }],
      [{ source: path.join(src, "scene.ma"), target: path.join(dst, "scene_v004.ma") }],
    ]);
    expect(listAll(dst)).toEqual(["resources/tex/a.png", "scene_v004.ma"]);
    expect(readFileSync(path.join(dst, "scene_v004.ma"), "utf8")).toBe("scene");
    expect(statSync(path.join(dst, "scene_v004.ma")).mtimeMs).toBe(1_600_000_000_000);
  });

  it("never overwrites an existing file, and a later group is not placed after a failure", async () => {
    const src = tempDir();
    const dst = tempDir();
    writeFileSync(path.join(src, "a.png"), "new");
    writeFileSync(path.join(src, "scene.ma"), "scene");
    writeFileSync(path.join(dst, "a.png"), "the artist's");
    await expect(
      cloneFilesAtomic([
        [{ source: path.join(src, "a.png"), target: path.join(dst, "a.png") }],
        [{ source: path.join(src, "scene.ma"), target: path.join(dst, "scene_v002.ma") }],
      ]),
    ).rejects.toThrow(`${path.join(dst, "a.png")} already exists`);
    expect(readFileSync(path.join(dst, "a.png"), "utf8")).toBe("the artist's");
    expect(listAll(dst)).toEqual(["a.png"]);
  });

  it("names the missing source and writes nothing", async () => {
    const src = tempDir();
    const dst = tempDir();
    writeFileSync(path.join(src, "a.png"), "a");
    await expect(
      cloneFilesAtomic([
        [
          { source: path.join(src, "a.png"), target: path.join(dst, "a.png") },
          { source: path.join(src, "gone.png"), target: path.join(dst, "gone.png") },
        ],
      ]),
    ).rejects.toThrow(path.join(src, "gone.png"));
    expect(listAll(dst)).toEqual([]);
  });
});
