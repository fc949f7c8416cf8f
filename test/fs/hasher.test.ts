import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sha256File, WorkerSha256 } from "../../lib/fs/hasher.js";
import { tempDir } from "../helpers/tmp.js";

describe("sha256 on a worker thread", () => {
  it("hashes pieces in the order given, in batches, and hands each piece's memory back", async () => {
    const data = randomBytes(9 * 1024 * 1024 + 5);
    const returned: ArrayBuffer[] = [];
    const hasher = new WorkerSha256((memory) => returned.push(memory));
    const pieceSize = 256 * 1024;
    let pieces = 0;
    for (let at = 0; at < data.length; at += pieceSize) {
      const piece = Buffer.allocUnsafeSlow(pieceSize);
      const length = data.copy(piece, 0, at, Math.min(at + pieceSize, data.length));
      hasher.update(piece, length);
      pieces += 1;
    }
    expect(await hasher.digest()).toBe(createHash("sha256").update(data).digest("hex"));
    expect(returned).toHaveLength(pieces);
    expect(returned.every((m) => m.byteLength === pieceSize)).toBe(true);
  });

  it("refuses a piece that shares memory with others, and digests nothing as the empty hash", async () => {
    expect(() => new WorkerSha256().update(Buffer.from("pooled"))).toThrow(/own its memory/);
    expect(await new WorkerSha256().digest()).toBe(createHash("sha256").digest("hex"));
  });

  it("hashes a whole file, and names a missing one", async () => {
    const dir = tempDir();
    const data = randomBytes(3 * 1024 * 1024 + 1);
    writeFileSync(path.join(dir, "scene.ma"), data);
    expect(await sha256File(path.join(dir, "scene.ma"))).toBe(
      createHash("sha256").update(data).digest("hex"),
    );
    await expect(sha256File(path.join(dir, "gone.ma"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
