/**
 * Issue 11 item 8 over SFTP, against a real OpenSSH sshd: an upload and a
 * download through the engine keep the source's modification time (to the
 * second, all SFTP v3 carries), so AYON's op3 hash (`basename|mtime|size`,
 * lib/publish/hash.ts) of a file with a whole-second mtime agrees between
 * the sites.
 */
import { statSync, utimesSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { op3Hash } from "../../lib/publish/hash.js";
import { onSftpWarning } from "../../providers/sftp/warnings.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { sshdForStudios, vendorSite } from "../helpers/sftp-studio.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";

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

function op3(file: string): string {
  const s = statSync(file);
  return op3Hash(file, s.mtimeMs, s.size);
}

/** Whole seconds (an SFTP server keeps no finer), years ago: a copy made now cannot have it by chance. */
const MTIME = 1_500_000_000;

/** A small file and one of several SFTP requests. */
const FILES = { "scene.ma": Buffer.alloc(3 * 1024 * 1024 + 5, 3), "res/tex/a.png": "small texture" };

function expectSameTimes(copy: string, source: string): void {
  expect(Math.floor(statSync(copy).mtimeMs / 1000)).toBe(Math.floor(statSync(source).mtimeMs / 1000));
  expect(op3(copy)).toBe(op3(source));
}

describe("SFTP transfers keep the source's modification time", () => {
  it("uploads to the SFTP site with the local file's mtime and op3 hash", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [vendorSite(server)] }),
    });
    const { paths } = await studio.publishFiles(FILES, { site: "local" });
    const sources = paths.map((p) => fillRootless(p, { work: studio?.localRoot ?? "" }));
    sources.forEach((source, i) => {
      utimesSync(source, MTIME, MTIME + i);
    });
    const report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => [o.job.direction, o.status])).toEqual([
      ["upload", "ok"],
      ["upload", "ok"],
    ]);
    paths.forEach((p, i) => {
      expectSameTimes(fillRootless(p, { work: server.root }), sources[i] as string);
    });
  }, 60_000);

  it("downloads from the SFTP site with the server file's mtime and op3 hash", async () => {
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(
          { studio: server.root, local: roots.local },
          { remote: "vendor", sites: [vendorSite(server, { site: "alternative_sites: [studio]," })] },
        ),
    });
    const { paths } = await studio.publishFiles(FILES);
    const sources = paths.map((p) => fillRootless(p, { work: server.root }));
    sources.forEach((source, i) => {
      utimesSync(source, MTIME, MTIME + i);
    });
    const report = await (await studio.engine()).engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => [o.job.direction, o.status])).toEqual([
      ["download", "ok"],
      ["download", "ok"],
    ]);
    paths.forEach((p, i) => {
      expectSameTimes(fillRootless(p, { work: studio?.localRoot ?? "" }), sources[i] as string);
    });
  }, 60_000);

  it("keeps the whole seconds of a finer local mtime on upload", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [vendorSite(server)] }),
    });
    const { paths } = await studio.publishFiles({ "scene.ma": "fine mtime" }, { site: "local" });
    const source = fillRootless(paths[0] as string, { work: studio.localRoot });
    utimesSync(source, MTIME, MTIME + 0.75);
    await (await studio.engine()).engine.runPass();
    const copy = fillRootless(paths[0] as string, { work: server.root });
    expect(statSync(copy).mtimeMs).toBe(MTIME * 1000);
  }, 60_000);

  it("still uploads, warning once, when the server refuses to set times", async () => {
    const strict = await startSshd({ extraConfig: ["ForceCommand internal-sftp -P setstat,fsetstat"] });
    const warnings: string[] = [];
    onSftpWarning((message) => warnings.push(message));
    try {
      studio = await engineStudio({
        settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [vendorSite(strict)] }),
      });
      const { paths } = await studio.publishFiles(
        { "scene.ma": "refused times", "res/a.png": "a" },
        { site: "local" },
      );
      for (const p of paths) utimesSync(fillRootless(p, { work: studio.localRoot }), MTIME, MTIME);
      const report = await (await studio.engine()).engine.runPass();
      expect(report.projects[0]?.outcomes.map((o) => o.status)).toEqual(["ok", "ok"]);
      const copy = fillRootless(paths[0] as string, { work: strict.root });
      expect(statSync(copy).mtimeMs).toBeGreaterThan(MTIME * 1000);
      const refused = warnings.filter((w) => w.includes("refuses to set modification times"));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toContain("(permission denied)");
    } finally {
      onSftpWarning((message) => process.emitWarning(message, "SitesyncSftp"));
      await strict.stop();
    }
  }, 60_000);
});
