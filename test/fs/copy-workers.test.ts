import { createHash } from "node:crypto";
import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { copySmallFile } from "../../lib/fs/copy-workers.js";
import { tempDir } from "../helpers/tmp.js";

describe("small-file copies on worker threads", () => {
  it("copies the bytes, keeps the source mtime and returns the size and sha256", async () => {
    const dir = tempDir();
    const source = path.join(dir, "a.png");
    writeFileSync(source, "texture bytes");
    utimesSync(source, 1_700_000_000, 1_700_000_000);
    const result = await copySmallFile(source, path.join(dir, "b.png"), true);
    expect(result).toEqual({ size: 13, hash: createHash("sha256").update("texture bytes").digest("hex") });
    expect(readFileSync(path.join(dir, "b.png"), "utf8")).toBe("texture bytes");
    expect(statSync(path.join(dir, "b.png")).mtimeMs).toBe(1_700_000_000_000);
  });

  it("refuses an existing target and leaves it untouched; a missing source leaves nothing behind", async () => {
    const dir = tempDir();
    const source = path.join(dir, "a.png");
    const target = path.join(dir, "taken.png");
    writeFileSync(source, "new");
    writeFileSync(target, "someone else's");
    await expect(copySmallFile(source, target, false)).rejects.toMatchObject({ code: "EEXIST" });
    expect(readFileSync(target, "utf8")).toBe("someone else's");
    await expect(
      copySmallFile(path.join(dir, "gone.png"), path.join(dir, "out.png"), false),
    ).rejects.toMatchObject({
      code: "ENOENT",
    });
    expect(() => statSync(path.join(dir, "out.png"))).toThrow();
  });

  it("runs many copies at once", async () => {
    const dir = tempDir();
    const copies = Array.from({ length: 100 }, (_, i) => {
      const source = path.join(dir, `s${i}`);
      writeFileSync(source, `file ${i}`);
      return copySmallFile(source, path.join(dir, `t${i}`), false);
    });
    const results = await Promise.all(copies);
    expect(results.map((r) => r.size)).toEqual(Array.from({ length: 100 }, (_, i) => `file ${i}`.length));
    expect(readFileSync(path.join(dir, "t42"), "utf8")).toBe("file 42");
  });
});
