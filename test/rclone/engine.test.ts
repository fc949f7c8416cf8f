/**
 * The rclone provider through the engine and the prelaunch hook, as a studio
 * runs it: an `rclone` site in settings.yaml (AYON's block, the inline
 * `config_web` way, an sftp remote on a real sshd), `sitesync sync` moving
 * files both ways, and `sitesync hook run copy-last-published-workfile`
 * bringing the last workfile from it. Nothing the commands print or store
 * holds a value of the site's configuration.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { type HookJson, hookStudio } from "../helpers/hook.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";
import { sftpParams, sftpSite } from "./remotes.js";

let server: SshdServer;
let knownHosts = "";
let studio: EngineStudio | undefined;

beforeAll(async () => {
  server = await startSshd();
  knownHosts = path.join(server.dir, "rclone_known_hosts");
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
}, 60_000);
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
  rmSync(path.join(server.root, "Proj"), { recursive: true, force: true });
});
afterAll(async () => {
  await server?.stop();
});

/** `- {name: vendor, provider: rclone, rclone: {...}}`: AYON's block as JSON, which YAML reads as a flow mapping. */
function rcloneVendor(extra = ""): string {
  const block = sftpSite("config_web", server, knownHosts, server.dir);
  return `- {name: vendor, provider: rclone, ${extra} rclone: ${JSON.stringify(block)}}`;
}

/** Everything the commands printed and the store holds: no value of config_params in it. */
function expectNoValueWritten(...outputs: string[]): void {
  const written = [...outputs];
  for (const name of ["sitesync.db", "sitesync.db-wal"]) {
    const file = path.join(studio?.home ?? "", name);
    if (existsSync(file)) written.push(readFileSync(file).toString("latin1"));
  }
  const everything = written.join("\n");
  expect(everything.length).toBeGreaterThan(0);
  for (const { key, value } of sftpParams(server, knownHosts)) {
    if (key === "host" || key === "port") continue; // 127.0.0.1 and a port number appear for other reasons
    expect(everything.includes(value), `the value of ${key} was written`).toBe(false);
  }
}

const partials = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((n) => n.includes(".sitesync-"))
    : [];

describe("engine with an rclone site (sftp remote, inline configuration)", () => {
  it("uploads to the rclone site and downloads back, leaving no temporary file and writing no configured value", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [rcloneVendor()] }),
    });
    const { representationId, paths } = await studio.publishFiles(
      {
        "scene.ma": "from the freelancer",
        "res/tex/a.png": "A",
        "res/tex/b.png": Buffer.alloc(17 * 1024 * 1024, 7),
      },
      { site: "local" },
    );
    const sync = await runCli([
      "sync",
      "--project",
      "Proj",
      "--once",
      "--verbose",
      "--json",
      "--home",
      studio.home,
    ]);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.json()).toMatchObject({ projects: [{ transferred: 3, failed: [] }] });
    for (const rootless of paths) {
      const there = fillRootless(rootless, { work: server.root });
      expect(
        readFileSync(there).equals(readFileSync(fillRootless(rootless, { work: studio.localRoot }))),
        there,
      ).toBe(true);
    }
    expect(partials(server.root)).toEqual([]);

    // The artist loses the local copy; validate resets it and a pass brings it back through rclone.
    rmSync(path.join(studio.localRoot, "Proj"), { recursive: true });
    const reset = await runCli([
      "validate",
      "--project",
      "Proj",
      "--site",
      "local",
      "--reset-missing",
      "--home",
      studio.home,
    ]);
    expect(reset.code).toBe(0);
    const again = await runCli(["sync", "--project", "Proj", "--once", "--verbose", "--home", studio.home]);
    expect(again.code, again.stderr).toBe(0);
    for (const rootless of paths) {
      const here = fillRootless(rootless, { work: studio.localRoot });
      expect(
        readFileSync(here).equals(readFileSync(fillRootless(rootless, { work: server.root }))),
        here,
      ).toBe(true);
    }
    expect(partials(studio.localRoot)).toEqual([]);
    const [state] = await (await studio.open()).store.getSiteStates("Proj", [representationId], ["artist1"]);
    expect(state?.status).toBe(SyncStatus.OK);
    expectNoValueWritten(sync.stdout, sync.stderr, reset.stdout, reset.stderr, again.stdout, again.stderr);
  }, 120_000);

  it("fails a pass permanently, with rclone's reason and no configured value, when the password is wrong", async () => {
    const wrong = "definitely-not-the-password";
    const block = sftpSite("config_web", server, knownHosts, server.dir);
    const params = (block.config_web?.config_params ?? []).map((p) =>
      p.key === "pass" ? { ...p, value: wrong } : p,
    );
    const site = `- {name: vendor, provider: rclone, rclone: ${JSON.stringify({ ...block, config_web: { type: "sftp", config_params: params } })}}`;
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(roots, { remote: "vendor", sites: [site], config: "{retry_cnt: 1}" }),
    });
    await studio.publishFiles({ "scene.ma": "x" }, { site: "local" });
    const sync = await runCli(["sync", "--project", "Proj", "--once", "--verbose", "--home", studio.home]);
    const output = `${sync.stdout}\n${sync.stderr}`;
    expect(output).toContain("unable to authenticate");
    expect(output.includes(wrong)).toBe(false);
    expect(output.includes(server.user)).toBe(false);
  }, 60_000);
});

describe("copy-last-published-workfile from an rclone studio site", () => {
  it("brings the last published workfile and its resources through rclone and saves it as the next version", async () => {
    const hooked = await hookStudio({
      sites: () => [rcloneVendor()],
      remote: "vendor",
    });
    studio = hooked;
    // Published on this workstation, synced to the rclone site, then the local copies lost.
    const last = await hooked.publishFiles(
      { "scene.ma": "//Maya scene v1", "res/tex/wood.png": "wood" },
      { site: "local" },
    );
    const sync = await runCli(["sync", "--project", "Proj", "--once", "--home", hooked.home]);
    expect(sync.code, sync.stderr).toBe(0);
    rmSync(path.join(hooked.localRoot, "Proj"), { recursive: true });
    const reset = await runCli([
      "validate",
      "--project",
      "Proj",
      "--site",
      "local",
      "--reset-missing",
      "--home",
      hooked.home,
    ]);
    expect(reset.code).toBe(0);

    const result = await hooked.hook("--json");
    expect(result.code, result.stderr).toBe(0);
    const json = result.json() as HookJson;
    expect(json).toMatchObject({ status: "copied", reason: null });
    expect(readFileSync(json.last_workfile_path, "utf8")).toBe("//Maya scene v1");
    expect(json.resources.map((r) => readFileSync(r, "utf8"))).toEqual(["wood"]);
    for (const file of last.paths)
      expect(existsSync(fillRootless(file, { work: hooked.localRoot }))).toBe(true);
    expect(partials(hooked.localRoot)).toEqual([]);
    expectNoValueWritten(result.stdout, result.stderr);
  }, 120_000);
});
