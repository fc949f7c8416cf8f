/**
 * The engine moving files between a local site and an SFTP site served by a
 * real OpenSSH sshd: uploads, downloads, the alternative-site case, a large
 * file, many small files over parallel connections, and sshd dying mid-transfer.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { sshdForStudios, vendorSite } from "../helpers/sftp-studio.js";
import type { SshdServer } from "../helpers/sshd.js";

let server: SshdServer;
let studio: EngineStudio | undefined;

sshdForStudios({
  started: (started) => {
    server = started;
  },
  studio: () => studio,
  reset: () => {
    studio = undefined;
  },
});

/**
 * Everything the test wrote that could hold a secret (the store, its write-ahead log and the
 * command outputs given) holds neither the server's password nor the key's passphrase. Called at
 * the end of each test, so a leak fails the test that wrote it.
 */
function expectNoSecretWritten(...outputs: string[]): void {
  const home = studio?.home;
  expect(home).toBeDefined();
  const written = [...outputs];
  for (const name of ["sitesync.db", "sitesync.db-wal"]) {
    const file = path.join(home as string, name);
    if (existsSync(file)) written.push(readFileSync(file).toString("latin1"));
  }
  const everything = written.join("\n");
  expect(everything.length).toBeGreaterThan(0);
  // Not `not.toContain`: a failure would print the whole store.
  expect(everything.includes(server.password), "the SFTP password was written").toBe(false);
  expect(everything.includes(server.passphrase), "the key passphrase was written").toBe(false);
}

const partials = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((n) => n.includes(".sitesync-"))
    : [];

describe("engine with an SFTP site", () => {
  it("uploads from the artist's site to the SFTP site and downloads back, logging no secret", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [vendorSite(server)] }),
    });
    const { representationId, paths } = await studio.publishFiles(
      { "scene.ma": "from the freelancer", "res/tex/a.png": "A" },
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
    expect(sync.json()).toMatchObject({ projects: [{ transferred: 2, failed: [] }] });
    for (const rootless of paths) {
      expect(readFileSync(fillRootless(rootless, { work: server.root }))).toEqual(
        readFileSync(fillRootless(rootless, { work: studio.localRoot })),
      );
    }
    expect(partials(server.root)).toEqual([]);

    // The artist loses the local copy; validate resets it and a pass brings it back over SFTP.
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
    const { engine } = await studio.engine();
    const report = await engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => [o.job.direction, o.status])).toEqual([
      ["download", "ok"],
      ["download", "ok"],
    ]);
    expect(readFileSync(fillRootless(paths[0] as string, { work: studio.localRoot }), "utf8")).toBe(
      "from the freelancer",
    );
    const [state] = await (await studio.open()).store.getSiteStates("Proj", [representationId], ["artist1"]);
    expect(state?.status).toBe(SyncStatus.OK);
    expectNoSecretWritten(sync.stdout, sync.stderr, reset.stdout, reset.stderr);
  });

  it("counts a publish to studio as on the SFTP site when the SFTP root is the studio folder, and downloads a 256 MiB file with progress", async () => {
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(
          { studio: server.root, local: roots.local },
          { remote: "vendor", sites: [vendorSite(server, { site: "alternative_sites: [studio]," })] },
        ),
    });
    const big = Buffer.alloc(256 * 1024 * 1024, 9);
    big.write("header", 0);
    const { representationId, paths } = await studio.publishFiles({ "scene.ma": big });
    const context = await studio.open();
    const [vendor] = await context.store.getSiteStates("Proj", [representationId], ["vendor"]);
    expect(vendor?.status).toBe(SyncStatus.OK);
    const { engine, events } = await studio.engine();
    const report = await engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => o.status)).toEqual(["ok"]);
    const progress = events.flatMap((e) => (e.type === "file-progress" ? [e.transferred] : []));
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)).toBe(big.length);
    expect(readFileSync(fillRootless(paths[0] as string, { work: studio.localRoot })).equals(big)).toBe(true);
    expectNoSecretWritten();
  }, 120_000);

  it("with verify: sha256, refuses a download whose bytes differ from the publish, hashed on the way, leaving nothing at the final path", async () => {
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(
          { studio: server.root, local: roots.local },
          {
            remote: "vendor",
            config: "{retry_cnt: 2}",
            sites: [vendorSite(server, { site: "alternative_sites: [studio],", sftp: "verify: sha256," })],
          },
        ),
    });
    // Several pieces, so the in-order hash of pieces written out of order is exercised too.
    const published = Buffer.alloc(3 * 1024 * 1024 + 17, 5);
    const { representationId, paths } = await studio.publishFiles({ "scene.ma": published });
    // Someone overwrites the file on the server after the publish: same size, one byte changed.
    const onServer = Buffer.from(published);
    onServer[2 * 1024 * 1024] = 6;
    writeFileSync(fillRootless(paths[0] as string, { work: server.root }), onServer);
    const { engine } = await studio.engine({ retryBaseMs: 10 });
    const report = await engine.runPass();
    const outcome = report.projects[0]?.outcomes[0];
    expect(outcome?.status).toBe("failed");
    expect(outcome?.status === "failed" && outcome.message).toMatch(
      /content hash .* differs from the published/,
    );
    const local = fillRootless(paths[0] as string, { work: studio.localRoot });
    expect(existsSync(local)).toBe(false);
    expect(partials(studio.localRoot)).toEqual([]);
    const [state] = await (await studio.open()).store.getSiteStates("Proj", [representationId], ["artist1"]);
    expect(state?.files[0]).toMatchObject({ status: SyncStatus.FAILED, retries: 2 });
    expectNoSecretWritten();
  }, 60_000);

  it("by default checks sizes only (an SFTP server cannot hash): a same-size change passes, a different size does not", async () => {
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(
          { studio: server.root, local: roots.local },
          {
            remote: "vendor",
            config: "{retry_cnt: 1}",
            sites: [vendorSite(server, { site: "alternative_sites: [studio]," })],
          },
        ),
    });
    const published = { "same.ma": Buffer.alloc(1024 * 1024, 5), "res/shorter.exr": Buffer.alloc(4096, 7) };
    const { paths } = await studio.publishFiles(published);
    const [same, shorter] = paths.map((p) => fillRootless(p, { work: server.root }));
    const changed = Buffer.from(published["same.ma"]);
    changed[1000] = 6;
    writeFileSync(same as string, changed);
    writeFileSync(shorter as string, Buffer.alloc(4000, 7));
    const { engine } = await studio.engine({ retryBaseMs: 10 });
    const report = await engine.runPass();
    const outcomes = report.projects[0]?.outcomes ?? [];
    const byPath = (rootless: string | undefined) => outcomes.find((o) => o.job.file.path === rootless);
    expect(byPath(paths[0])?.status).toBe("ok");
    const shorterOutcome = byPath(paths[1]);
    expect(shorterOutcome?.status).toBe("failed");
    expect(shorterOutcome?.status === "failed" && shorterOutcome.message).toMatch(/shorter\.exr.*4000 bytes/);
    const [localSame, localShorter] = paths.map((p) => fillRootless(p, { work: studio?.localRoot ?? "" }));
    expect(readFileSync(localSame as string).equals(changed)).toBe(true);
    expect(existsSync(localShorter as string)).toBe(false);
    expect(partials(studio.localRoot)).toEqual([]);
    expectNoSecretWritten();
  }, 60_000);

  it("moves many small files over parallel SFTP connections", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [vendorSite(server)] }),
    });
    const files: Record<string, string> = { "scene.ma": "scene" };
    for (let i = 0; i < 200; i++)
      files[`res/tex/t${String(i).padStart(3, "0")}.png`] = `texture ${i}`.repeat(400);
    const before = readFileSync(server.logFile, "utf8").split("Accepted password").length;
    const { paths } = await studio.publishFiles(files, { site: "local" });
    const report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.outcomes.filter((o) => o.status === "ok")).toHaveLength(201);
    const sample = paths[150] as string;
    expect(readFileSync(fillRootless(sample, { work: server.root }), "utf8")).toBe(
      readFileSync(fillRootless(sample, { work: studio.localRoot }), "utf8"),
    );
    const sessions = readFileSync(server.logFile, "utf8").split("Accepted password").length - before;
    expect(sessions).toBeGreaterThanOrEqual(2);
    expect(sessions).toBeLessThanOrEqual(4);
    expectNoSecretWritten();
  }, 60_000);

  it("retries when sshd dies mid-transfer, fails at retry_cnt without a partial file, and completes once sshd is back", async () => {
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(
          { studio: server.root, local: roots.local },
          {
            remote: "vendor",
            config: "{retry_cnt: 3}",
            sites: [vendorSite(server, { site: "alternative_sites: [studio]," })],
          },
        ),
    });
    const big = Buffer.alloc(128 * 1024 * 1024, 4);
    const { representationId, paths } = await studio.publishFiles({ "scene.ma": big });
    const local = fillRootless(paths[0] as string, { work: studio.localRoot });
    const { engine } = await studio.engine({ retryBaseMs: 50 });
    let killed: Promise<void> | undefined;
    engine.on((event) => {
      if (event.type === "file-progress" && !killed) killed = server.kill("SIGKILL");
    });
    const report = await engine.runPass();
    await killed;
    const outcome = report.projects[0]?.outcomes[0];
    expect(outcome?.status).toBe("failed");
    const [state] = await (await studio.open()).store.getSiteStates("Proj", [representationId], ["artist1"]);
    expect(state?.status).toBe(SyncStatus.FAILED);
    expect(state?.files[0]?.retries).toBe(3);
    expect(state?.files[0]?.message).toMatch(/sftp|connect/i);
    expect(existsSync(local)).toBe(false);
    expect(partials(studio.localRoot)).toEqual([]);

    await server.restart();
    const reset = await runCli([
      "site",
      "reset",
      "--project",
      "Proj",
      "--representation",
      representationId,
      "--site",
      "local",
      "--home",
      studio.home,
    ]);
    expect(reset.code).toBe(0);
    const again = await (await studio.engine()).engine.runPass();
    expect(again.projects[0]?.outcomes.map((o) => o.status)).toEqual(["ok"]);
    expect(readFileSync(local).equals(big)).toBe(true);
    expectNoSecretWritten(reset.stdout, reset.stderr);
  }, 120_000);

  it("fails sync --once with exit 1 when the server's host key changed, and says so in status", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [vendorSite(server)] }),
    });
    await studio.publishFiles({ "scene.ma": "before the key changed" }, { site: "local" });
    const outputs: string[] = [];
    const cli = async (...args: string[]) => {
      const result = await runCli([...args, "--home", studio?.home as string]);
      outputs.push(result.stdout, result.stderr);
      return result;
    };
    // accept-new records the key on the first connection.
    expect((await cli("sync", "--project", "Proj", "--once")).code).toBe(0);
    await server.regenerateHostKey();
    await server.restart();
    try {
      await studio.publishFiles({ "scene.ma": "after" }, { site: "local", product: "workfileLater" });
      const sync = await cli("sync", "--project", "Proj", "--once");
      expect(sync.code, sync.stderr).toBe(1);
      expect(sync.stdout).toContain('Proj: cannot sync: site "vendor" is not active');
      expect(sync.stdout).toContain("has CHANGED");
      const status = await cli("status", "--project", "Proj");
      expect(status.code).toBe(0);
      expect(status.stdout).toContain("site vendor cannot be used");
      expect(status.stdout).toContain("has CHANGED");
    } finally {
      writeFileSync(path.join(server.dir, "client_known_hosts"), `${server.knownHostsLine}\n`);
    }
    expectNoSecretWritten(...outputs);
  }, 60_000);
});
