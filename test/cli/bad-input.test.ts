/**
 * The bad-input corpus (test/fixtures/bad-input): every case must exit 2 with
 * a message naming the cause, and write nothing: no file under the site
 * roots, no row in the store, settings untouched.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { makeStudio, snapshot } from "../helpers/cli.js";
import { rowCounts } from "../helpers/db.js";

const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/bad-input");

interface Case {
  description: string;
  args: string[];
  expect: string[];
  forbid?: string[];
  import?: string;
}

/**
 * The cases the Foundation issue lists. They run with the corpus's others, so
 * one that goes missing fails its run (there is no case.yaml to read) instead
 * of dropping out of the suite unnoticed.
 */
const REQUIRED = [
  "malformed-yaml",
  "unknown-provider",
  "missing-required-key",
  "wrong-type",
  "unknown-project",
  "unknown-folder",
  "unknown-task",
  "path-traversal-template",
  "unknown-template-key",
];

const cases = [...new Set([...REQUIRED, ...readdirSync(CORPUS)])].sort();

describe("bad input corpus", () => {
  it.each(cases)("%s: exits 2, names the cause, writes nothing", async (name) => {
    const dir = path.join(CORPUS, name);
    expect(existsSync(path.join(dir, "case.yaml")), `the corpus has no case ${name}`).toBe(true);
    const spec = parse(readFileSync(path.join(dir, "case.yaml"), "utf8")) as Case;
    const studio = await makeStudio();
    const scene = path.join(studio.dir, "scene.ma");
    writeFileSync(scene, "//Maya ASCII\n");
    if (spec.import) {
      const imported = await studio.run("project", "import", path.join(dir, spec.import));
      expect(imported.stderr).toBe("");
    }
    const settingsFile = path.join(studio.home, "settings.yaml");
    if (existsSync(path.join(dir, "settings.yaml")))
      copyFileSync(path.join(dir, "settings.yaml"), settingsFile);
    const before = {
      roots: snapshot(studio.dir),
      rows: rowCounts(studio.home),
      settings: readFileSync(settingsFile, "utf8"),
    };

    const args = spec.args.map((a) =>
      a.replace("$SCENE", scene).replace("$DIR", studio.dir).replace("$CASE", dir),
    );
    const result = await studio.run(...args);

    expect(result.code, result.stderr).toBe(2);
    for (const needle of spec.expect) expect(result.stderr).toContain(needle);
    for (const secret of spec.forbid ?? []) expect(result.stderr + result.stdout).not.toContain(secret);
    expect(snapshot(studio.dir)).toEqual(before.roots);
    expect(rowCounts(studio.home)).toEqual(before.rows);
    expect(readFileSync(settingsFile, "utf8")).toBe(before.settings);
  });
});
