/**
 * Issue 11 item 12 at the command line: local root names are checked against
 * the projects' anatomy roots, `init` says when it kept settings a root flag
 * would have changed, and under --json every error is the documented object.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeStudio, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

interface JsonError {
  error: { kind: string; message: string; exitCode: number };
}

describe("local roots against anatomy roots", () => {
  it("refuses a local root whose name is no anatomy root, naming both and the file", async () => {
    const studio = await makeStudio();
    const file = path.join(studio.home, "settings.yaml");
    const text = readFileSync(file, "utf8");
    // The template's local root is the only `- name: work` under local_roots.
    writeFileSync(file, text.replace(/(local_roots:\s*\n\s*- name: )work/, "$1wrk"));
    expect(readFileSync(file, "utf8")).toContain("name: wrk");
    const result = await studio.run("status", "--project", "Proj", "--json");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain('site.sitesync.local_setting.local_roots[0].name: local root "wrk"');
    expect(result.stderr).toMatch(/matches no anatomy root of any project \(anatomy roots: work\)/);
    expect((result.json() as JsonError).error).toMatchObject({ kind: "settings", exitCode: 2 });
  });

  it("still imports a project while settings name a root only that project has", async () => {
    const studio = await makeStudio();
    const file = path.join(studio.home, "settings.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        /(local_roots:\s*\n)/,
        `$1        - {name: render, path: ${JSON.stringify(path.join(studio.dir, "render"))}}\n`,
      ),
    );
    expect((await studio.run("status", "--project", "Proj")).code).toBe(2);
    const project = path.join(studio.dir, "render.yaml");
    writeFileSync(
      project,
      "name: Render\ncode: RN\nanatomy:\n  roots:\n    work: {windows: C:/w, linux: /w, darwin: /w}\n    render: {windows: C:/r, linux: /r, darwin: /r}\n",
    );
    expect((await studio.run("project", "import", project)).code).toBe(0);
    expect((await studio.run("status", "--project", "Proj")).code).toBe(0);
  });
});

describe("init on an existing home", () => {
  it("says the settings were kept and how to change the roots when --studio-root or --local-root is given", async () => {
    const home = path.join(tempDir(), "home");
    expect((await runCli(["init", "--home", home, "--site-id", "ws-1"])).code).toBe(0);
    const file = path.join(home, "settings.yaml");
    const before = readFileSync(file, "utf8");
    const elsewhere = path.join(tempDir(), "projects");
    const again = await runCli(["init", "--home", home, "--studio-root", elsewhere, "--json"]);
    expect(again.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(before);
    const result = again.json() as { createdSettings: boolean; notes: string[] };
    expect(result.createdSettings).toBe(false);
    expect(result.notes).toHaveLength(1);
    expect(result.notes[0]).toContain(`--studio-root ${elsewhere} was not applied`);
    expect(result.notes[0]).toContain(`${file} already exists and was kept`);
    expect(result.notes[0]).toContain(`"${path.join(home, "studio")}"`);
    expect(result.notes[0]).toMatch(
      /To change it, edit the "work" root .* of the "studio" site's local_drive\.roots/,
    );
    expect(again.stderr).toContain(`note: --studio-root ${elsewhere} was not applied`);

    const local = await runCli(["init", "--home", home, "--local-root", elsewhere]);
    expect(local.code).toBe(0);
    expect(local.stderr).toMatch(/--local-root .* was not applied/);
    expect(local.stderr).toContain("site.sitesync.local_setting.local_roots");
  });

  it("says nothing when the root given is the one the settings already have", async () => {
    const home = path.join(tempDir(), "home");
    await runCli(["init", "--home", home, "--site-id", "ws-1"]);
    const same = await runCli(["init", "--home", home, "--studio-root", path.join(home, "studio"), "--json"]);
    expect(same.code).toBe(0);
    expect((same.json() as { notes: string[] }).notes).toEqual([]);
    expect(same.stderr).toBe("");
  });
});

describe("--json errors", () => {
  it("prints a missing required option as the documented error object", async () => {
    const studio = await makeStudio();
    const result = await studio.run("status", "--json");
    expect(result.code).toBe(2);
    expect(result.json()).toEqual({
      error: { kind: "input", message: expect.stringContaining("--project"), exitCode: 2 },
    });
  });

  it("prints an unknown option and an unknown command the same way", async () => {
    for (const args of [["status", "--project", "Proj", "--bogus"], ["frobnicate"]]) {
      const result = await runCli([...args, "--json", "--home", tempDir()]);
      expect(result.code).toBe(2);
      const parsed = result.json() as JsonError;
      expect(parsed.error).toMatchObject({ kind: "input", exitCode: 2 });
      expect(parsed.error.message).not.toMatch(/^error:/);
    }
  });
});
