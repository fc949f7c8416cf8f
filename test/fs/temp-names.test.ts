import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  isTempName,
  NAME_MAX,
  parseTempName,
  sweepSiteTemps,
  sweepTemps,
  tempNameFor,
} from "../../lib/fs/temp-names.js";
import { localDriveFactory } from "../../providers/local-drive.js";
import { deadPid, fileAged } from "../helpers/temps.js";
import { tempDir } from "../helpers/tmp.js";

const LEASE_MS = 30_000;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** True when the text survives UTF-8 encoding: no character was cut in half. */
const wholeCharacters = (text: string) => Buffer.from(text, "utf8").toString("utf8") === text;

describe("tempNameFor", () => {
  it("gives a 250-byte Japanese file name a temporary name of at most 255 bytes that can be created", () => {
    dir = tempDir();
    const final = `${"背景".repeat(41)}.abc`;
    expect(Buffer.byteLength(final)).toBe(250);
    const temp = tempNameFor(path.join(dir, final));
    const name = path.basename(temp);
    expect(path.dirname(temp)).toBe(dir);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(NAME_MAX);
    expect(wholeCharacters(name)).toBe(true);
    expect(isTempName(name)).toBe(true);
    // Cut: it is a prefix of the final name, and the final name is not claimed from it.
    expect(final.startsWith(name.slice(1, name.indexOf(".sitesync-")))).toBe(true);
    expect(parseTempName(name)).toMatchObject({ pid: process.pid, finalName: undefined });
    writeFileSync(temp, "bytes");
    expect(readdirSync(dir)).toEqual([name]);
  });

  it("never splits an emoji (a surrogate pair) when it cuts a long name", () => {
    dir = tempDir();
    // The leading "a" puts every emoji at an odd UTF-16 offset, where a cut by code units splits one.
    for (const final of [`a${"😀".repeat(62)}.ma`, `ab${"😀".repeat(62)}.ma`, `${"é".repeat(125)}.ma`]) {
      const temp = tempNameFor(path.join(dir, final));
      const name = path.basename(temp);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(NAME_MAX);
      expect(wholeCharacters(name)).toBe(true);
      expect(isTempName(name)).toBe(true);
      writeFileSync(temp, "bytes");
      expect(readdirSync(dir)).toContain(name);
    }
  });

  it("keeps a short name whole, next to the final path, in either separator style", () => {
    const posix = tempNameFor("/srv/projects/Proj/.hidden scene.ma");
    expect(posix).toMatch(
      /^\/srv\/projects\/Proj\/\.\.hidden scene\.ma\.sitesync-\d+-[0-9a-z]+-[0-9a-f]{12}\.part$/,
    );
    const before = Date.now();
    expect(parseTempName(path.posix.basename(tempNameFor("/srv/projects/Proj/.hidden scene.ma")))).toEqual({
      pid: process.pid,
      madeMs: expect.any(Number),
      finalName: ".hidden scene.ma",
    });
    const made = parseTempName(path.posix.basename(tempNameFor("/srv/a.ma")))?.madeMs ?? 0;
    expect(made).toBeGreaterThanOrEqual(before);
    expect(made).toBeLessThanOrEqual(Date.now());
    const windows = tempNameFor("C:\\projects\\Proj\\scene.ma");
    expect(windows.startsWith(`C:\\projects\\Proj\\.scene.ma.sitesync-${process.pid}-`)).toBe(true);
    if (process.platform !== "win32") {
      // In a POSIX path a backslash belongs to the file name.
      expect(tempNameFor("/srv/Proj/a\\b.ma").startsWith("/srv/Proj/.a\\b.ma.sitesync-")).toBe(true);
    }
    expect(tempNameFor("/a/scene.ma")).not.toBe(tempNameFor("/a/scene.ma"));
  });
});

describe("isTempName", () => {
  it("recognises exactly the package's pattern", () => {
    expect(isTempName(".scene.ma.sitesync-4242-mfz1k2a3-0123456789ab.part")).toBe(true);
    for (const other of [
      "scene.ma",
      "render.part",
      ".x.sitesync-notes.part.txt",
      "x.sitesync-1-mfz1k2a3-0123456789ab.part",
      ".x.sitesync-1-mfz1k2a3-abc.part",
      ".x.sitesync-1-mfz1k2a3-0123456789AB.part",
      ".x.sitesync-1-MFZ1K2A3-0123456789ab.part",
      ".x.sitesync-1-0123456789ab.part",
      ".x.sitesync-mfz1k2a3-0123456789ab.part",
      ".x.sitesync--1-mfz1k2a3-0123456789ab.part",
      ".scene.ma.sitesync-4242-mfz1k2a3-0123456789ab.part.bak",
      ".sitesync-4242-mfz1k2a3-0123456789ab.part",
    ]) {
      expect(isTempName(other), other).toBe(false);
    }
  });
});

describe("sweepTemps (a folder on this machine)", () => {
  it("removes only a dead writer's temporary file older than the lease", async () => {
    dir = tempDir();
    const dead = deadPid();
    const old = 10 * 60_000;
    const stale = fileAged(path.join(dir, `.scene.ma.sitesync-${dead}-{made}-0123456789ab.part`), old);
    const fresh = fileAged(path.join(dir, `.scene.ma.sitesync-${dead}-{made}-ba9876543210.part`), 1_000);
    const live = fileAged(path.join(dir, `.other.ma.sitesync-${process.pid}-{made}-0123456789ab.part`), old);
    const kept = [
      fresh,
      live,
      fileAged(path.join(dir, ".x.sitesync-notes.part.txt"), old),
      fileAged(path.join(dir, `x.sitesync-${dead}-{made}-0123456789ab.part`), old),
      fileAged(path.join(dir, `.x.sitesync-${dead}-{made}-0123456789ab.part.bak`), old),
      fileAged(path.join(dir, "scene.ma"), old),
    ];
    // A copy finished a moment ago whose writer gave it the source's old mtime: young by its name.
    kept.push(
      fileAged(
        path.join(dir, `.copied.ma.sitesync-${dead}-${Date.now().toString(36)}-0123456789ab.part`),
        old,
      ),
    );
    const folder = path.join(dir, `.y.sitesync-${dead}-${(Date.now() - old).toString(36)}-0123456789ab.part`);
    mkdirSync(folder);
    const then = (Date.now() - old) / 1000;
    utimesSync(folder, then, then);

    expect(await sweepTemps(dir, { olderThanMs: LEASE_MS })).toEqual([stale]);
    expect(existsSync(stale)).toBe(false);
    for (const file of [...kept, folder]) expect(existsSync(file), file).toBe(true);
  });

  it("removes a young or live-pid temporary file of a name the caller holds the claim on, and no other", async () => {
    dir = tempDir();
    // Another writer lost these names' claims (killed just before its lease lapsed): young, pid maybe alive.
    const formerYoung = fileAged(
      path.join(dir, `.a.exr.sitesync-${deadPid()}-{made}-0123456789ab.part`),
      1_000,
    );
    const formerLive = fileAged(
      path.join(dir, `.b.exr.sitesync-${process.pid}-{made}-0123456789ab.part`),
      1_000,
    );
    const othersYoung = fileAged(
      path.join(dir, `.c.exr.sitesync-${deadPid()}-{made}-0123456789ab.part`),
      1_000,
    );
    const claimedNames = new Set(["a.exr", "b.exr"]);
    expect(await sweepTemps(dir, { olderThanMs: LEASE_MS, claimedNames })).toEqual(
      [formerLive, formerYoung].sort(),
    );
    expect(existsSync(othersYoung)).toBe(true);
  });

  it("finds nothing to sweep in a folder that does not exist", async () => {
    dir = tempDir();
    expect(await sweepTemps(path.join(dir, "missing"), { olderThanMs: LEASE_MS })).toEqual([]);
  });
});

describe("sweepSiteTemps (a site's folder, through its provider)", () => {
  it("removes temporary files older than the lease whatever their pid, and keeps younger ones and other files", async () => {
    dir = tempDir();
    const site = localDriveFactory.create({ siteName: "studio", config: {}, roots: { work: dir } });
    const old = 10 * 60_000;
    // Another machine's pid can be anything, a pid alive here included: on a site only the age counts.
    const stale = fileAged(path.join(dir, `.scene.ma.sitesync-${process.pid}-{made}-0123456789ab.part`), old);
    const kept = [
      fileAged(path.join(dir, `.scene.ma.sitesync-${process.pid}-{made}-ba9876543210.part`), 1_000),
      fileAged(path.join(dir, ".x.sitesync-notes.part.txt"), old),
      fileAged(path.join(dir, "scene.ma"), old),
    ];
    expect(await sweepSiteTemps(site, dir, { olderThanMs: LEASE_MS })).toEqual([stale]);
    expect(existsSync(stale)).toBe(false);
    for (const file of kept) expect(existsSync(file), file).toBe(true);
  });

  it("removes a young temporary file of a name the caller holds the claim on", async () => {
    dir = tempDir();
    const site = localDriveFactory.create({ siteName: "vendor", config: {}, roots: { work: dir } });
    const former = fileAged(path.join(dir, `.a.exr.sitesync-${process.pid}-{made}-0123456789ab.part`), 1_000);
    const other = fileAged(path.join(dir, `.c.exr.sitesync-${process.pid}-{made}-0123456789ab.part`), 1_000);
    const options = { olderThanMs: LEASE_MS, claimedNames: new Set(["a.exr"]) };
    expect(await sweepSiteTemps(site, dir, options)).toEqual([former]);
    expect(existsSync(other)).toBe(true);
  });
});
