import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeStudio, runCli } from "../helpers/cli.js";
import { rowCounts } from "../helpers/db.js";
import { tempDir } from "../helpers/tmp.js";

describe("sitesync init", () => {
  it("creates the home with settings from templates, a site id and the store", async () => {
    const dir = tempDir();
    const home = path.join(dir, "home");
    const result = await runCli(["init", "--home", home, "--site-id", "ws-42", "--json"]);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ home, siteId: "ws-42", createdSettings: true });
    expect(readFileSync(path.join(home, "site_id"), "utf8").trim()).toBe("ws-42");
    const settings = readFileSync(path.join(home, "settings.yaml"), "utf8");
    expect(settings).toContain(JSON.stringify(path.join(home, "studio")));
    expect(settings).toContain("use_last_published_workfile: true");
    expect(rowCounts(home).projects).toBe(0);
  });

  it("keeps existing settings and refuses to change the site id", async () => {
    const home = path.join(tempDir(), "home");
    await runCli(["init", "--home", home, "--site-id", "ws-1"]);
    writeFileSync(path.join(home, "settings.yaml"), "studio: {sitesync: {enabled: true}}\n");
    const again = await runCli(["init", "--home", home, "--json"]);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ siteId: "ws-1", createdSettings: false });
    expect(readFileSync(path.join(home, "settings.yaml"), "utf8")).toBe(
      "studio: {sitesync: {enabled: true}}\n",
    );
    const clash = await runCli(["init", "--home", home, "--site-id", "ws-2"]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('already has site id "ws-1"');
  });

  it("takes the home from SITESYNC_HOME", async () => {
    const home = path.join(tempDir(), "envhome");
    const result = await runCli(["init", "--json"], { env: { SITESYNC_HOME: home } });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ home });
  });

  it("rejects an invalid site id with exit 2", async () => {
    const home = path.join(tempDir(), "home");
    const result = await runCli(["init", "--home", home, "--site-id", "no spaces"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--site-id: "no spaces" is not a valid site id');
  });
});

describe("sitesync project import", () => {
  it("is idempotent: importing twice keeps one set of folders and tasks", async () => {
    const studio = await makeStudio();
    const before = rowCounts(studio.home);
    const again = await studio.run("project", "import", path.join(studio.dir, "project.yaml"), "--json");
    expect(again.code).toBe(0);
    expect(again.json()).toEqual({ name: "Proj", code: "PR", folders: 1 });
    expect(rowCounts(studio.home)).toEqual(before);
    expect(before).toMatchObject({ projects: 1, folders: 3, tasks: 2 });
  });

  it("adds folders and tasks on a second import of a grown file", async () => {
    const studio = await makeStudio();
    const file = path.join(studio.dir, "more.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "Proj",
        code: "PR",
        folders: [
          { path: "/shots/sq01/sh010", type: "Shot", tasks: [{ name: "comp", type: "Compositing" }] },
        ],
      }),
    );
    expect((await studio.run("project", "import", file)).code).toBe(0);
    expect(rowCounts(studio.home)).toMatchObject({ projects: 1, folders: 6, tasks: 3 });
  });

  it("fails with exit 2 on a command against a home that was never initialised", async () => {
    const home = path.join(tempDir(), "nothing");
    const result = await runCli(["status", "--project", "Proj", "--home", home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is not a sitesync home");
  });
});

describe("exit codes", () => {
  it("exits 0 for --help and 2 for an unknown command", async () => {
    expect((await runCli(["--help"])).code).toBe(0);
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command");
  });

  it("prints a JSON error object on stdout under --json", async () => {
    const studio = await makeStudio();
    const result = await studio.run("status", "--project", "Nope", "--json");
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({ error: { kind: "input", exitCode: 2 } });
  });
});
