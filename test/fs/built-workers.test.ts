/**
 * The worker modules (lib/fs/workers/*.mjs) are loaded by URL, not imported,
 * so only running the build proves they ship: the built command, started from
 * a folder far from the package, publishes a file, which hashes it on the
 * hash worker.
 */
import { createHash } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { CLI, PROJECT_YAML, publishArgs, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

describe("the built command's worker modules", () => {
  it("are in dist next to the compiled lib/fs", () => {
    const workers = path.join(path.dirname(CLI), "../fs/workers");
    for (const name of ["hash-worker.mjs", "copy-worker.mjs", "protocol.mjs", "times.mjs"]) {
      expect(existsSync(path.join(workers, name)), name).toBe(true);
    }
  });

  it("hash a published file when the command runs from another folder", async () => {
    const cwd = tempDir();
    const home = path.join(cwd, "home");
    const run = (...args: string[]) => runCli([...args, "--home", home], { cwd });
    const init = await run(
      "init",
      "--site-id",
      "artist1",
      "--studio-root",
      path.join(cwd, "studio"),
      "--local-root",
      path.join(cwd, "local"),
    );
    expect(init.stderr).toBe("");
    writeFileSync(path.join(cwd, "project.yaml"), PROJECT_YAML);
    expect((await run("project", "import", "project.yaml")).code).toBe(0);
    const bytes = Buffer.from("//Maya ASCII scene\n".repeat(1000));
    writeFileSync(path.join(cwd, "scene.ma"), bytes);
    const published = await run(...publishArgs(path.join(cwd, "scene.ma")), "--site", "studio", "--json");
    expect(published.stderr).toBe("");
    expect(published.code).toBe(0);
    const db = new Database(path.join(home, "sitesync.db"), { readonly: true });
    try {
      const rows = db.prepare("SELECT sha256 FROM files").all();
      expect(rows).toEqual([{ sha256: createHash("sha256").update(bytes).digest("hex") }]);
    } finally {
      db.close();
    }
  });
});
