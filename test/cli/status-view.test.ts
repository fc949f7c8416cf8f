/**
 * `status` and `project list` for people (issue 11 items 3 and 7), through
 * the built command: unknown sites refused, short ids shown and accepted,
 * pauses, priorities, human sizes, cut messages, pages and summaries, with
 * --json keeping exact bytes and full text.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openContext } from "../../lib/context.js";
import { SyncStatus } from "../../lib/store/status.js";
import { runCli } from "../helpers/cli.js";
import { type EngineStudio, engineStudio } from "../helpers/engine.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

interface Row {
  representationId: string;
  shortId: string;
  paused: boolean;
  priority: number;
  size: number;
  version: number;
  localStatus: { status: number; message: string | null; priority: number };
  remoteStatus: { status: number; message: string | null };
}

interface StatusJson {
  localSite: string;
  remoteSite: string;
  total: number;
  page: number;
  pages: number;
  pageLength: number;
  paused: { service: boolean; project: boolean };
  counts: { local: Record<string, number>; remote: Record<string, number> };
  representations: Row[];
}

async function started(): Promise<EngineStudio> {
  studio = await engineStudio();
  return studio;
}

/** Publishes `n` versions on studio (each QUEUED on the artist's site); their representation ids in order. */
async function publishMany(s: EngineStudio, n: number, content: string | Buffer = "x"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await s.publishFiles({ "scene.ma": content })).representationId);
  return ids;
}

/**
 * Gives representations chosen ids, so a test can make two share a long
 * prefix (real ids are random). Run while no command is running.
 */
function renameRepresentations(home: string, renames: Record<string, string>): void {
  const db = new Database(path.join(home, "sitesync.db"));
  // The rows that point at a representation are renamed with it, in one transaction.
  db.pragma("defer_foreign_keys = ON");
  try {
    db.transaction(() => {
      for (const [from, to] of Object.entries(renames)) {
        db.prepare("UPDATE representations SET id = ? WHERE id = ?").run(to, from);
        db.prepare("UPDATE files SET representation_id = ? WHERE representation_id = ?").run(to, from);
        db.prepare("UPDATE sync_state SET representation_id = ? WHERE representation_id = ?").run(to, from);
      }
    })();
  } finally {
    db.close();
  }
}

const statusJson = async (s: EngineStudio, ...args: string[]) => {
  const result = await s.run("status", "--project", "Proj", "--json", ...args);
  expect(result.code, result.stderr).toBe(0);
  return result.json() as StatusJson;
};

/** The table's data lines (after the header, before the page line). */
function tableLines(stdout: string): string[] {
  const lines = stdout.split("\n");
  const head = lines.findIndex((l) => l.startsWith("id "));
  const end = lines.findIndex((l, i) => i > head && /^(\d+ representations?|representations )/.test(l));
  return lines.slice(head + 1, end);
}

describe("status: sites", () => {
  it("exits 2 on an unknown --local-site or --remote-site, naming the project's sites", async () => {
    const s = await started();
    await publishMany(s, 1);
    for (const option of ["--local-site", "--remote-site"]) {
      const result = await s.run("status", "--project", "Proj", option, "nosuch");
      expect(result.code, option).toBe(2);
      expect(result.stderr).toContain(`${option}: unknown site "nosuch"`);
      expect(result.stderr).toContain("sites: studio, artist1");
      expect(result.stdout).toBe("");
      const json = await s.run("status", "--project", "Proj", option, "nosuch", "--json");
      expect(json.code).toBe(2);
      expect(json.json()).toMatchObject({ error: { kind: "input", exitCode: 2 } });
    }
  });
});

describe("status: short ids", () => {
  it("shows 8 characters, more when two representations share them, and --json carries them", async () => {
    const s = await started();
    const [a, b, c] = await publishMany(s, 3);
    renameRepresentations(s.home, {
      [a as string]: `abcdef0123${"1".repeat(22)}`,
      [b as string]: `abcdef0123${"2".repeat(22)}`,
    });
    const json = await statusJson(s);
    const shortIds = Object.fromEntries(json.representations.map((r) => [r.representationId, r.shortId]));
    // 10 shared characters: 11 tell them apart, and the whole page uses that length.
    expect(shortIds).toEqual({
      [`abcdef0123${"1".repeat(22)}`]: `abcdef01231`,
      [`abcdef0123${"2".repeat(22)}`]: `abcdef01232`,
      [c as string]: (c as string).slice(0, 11),
    });
    const text = await s.run("status", "--project", "Proj");
    expect(text.stdout.split("\n")[0]).toMatch(/^id {11}folder/);
    expect(
      tableLines(text.stdout)
        .map((l) => l.split(" ")[0])
        .sort(),
    ).toEqual(Object.values(shortIds).sort());

    // A page without the twins needs only 8.
    renameRepresentations(s.home, { [`abcdef0123${"2".repeat(22)}`]: `ffffffff${"3".repeat(24)}` });
    const [first] = (await statusJson(s, "--sort", "representation", "--page-length", "1")).representations;
    expect(first?.shortId).toHaveLength(8);
  });

  it("takes a short id in site add/remove/reset and pause/unpause; an ambiguous, unknown or too short one exits 2", async () => {
    const s = await started();
    const [a, b] = await publishMany(s, 2);
    const twin1 = `abcdef0123${"1".repeat(22)}`;
    const twin2 = `abcdef0123${"2".repeat(22)}`;
    renameRepresentations(s.home, { [a as string]: twin1, [b as string]: twin2 });
    const target = (id: string) => ["--project", "Proj", "--representation", id];

    const removed = await s.run("site", "remove", ...target("abcdef01231"), "--site", "local", "--json");
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.json()).toMatchObject({ site: "artist1", representationId: twin1 });
    const added = await s.run("site", "add", ...target("ABCDEF01231"), "--site", "local", "--priority", "77");
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(`${twin1} on artist1: QUEUED`);
    const reset = await s.run("site", "reset", ...target("abcdef01231"), "--site", "local");
    expect(reset.code, reset.stderr).toBe(0);
    const byId = async () =>
      Object.fromEntries((await statusJson(s)).representations.map((r) => [r.representationId, r]));
    expect((await byId())[twin1]?.priority).toBe(77);

    expect((await s.run("pause", ...target("abcdef01232"))).code).toBe(0);
    expect((await byId())[twin2]?.paused).toBe(true);
    expect((await s.run("unpause", ...target(twin2))).code).toBe(0);
    expect((await byId())[twin2]?.paused).toBe(false);

    for (const command of [["site", "add"], ["site", "remove"], ["site", "reset"], ["pause"], ["unpause"]]) {
      const site = command[0] === "site" ? ["--site", "local"] : [];
      const ambiguous = await s.run(...command, ...target("abcdef0123"), ...site);
      expect(ambiguous.code, command.join(" ")).toBe(2);
      expect(ambiguous.stderr).toContain('"abcdef0123" is ambiguous');
      expect(ambiguous.stderr).toContain(twin1);
      expect(ambiguous.stderr).toContain(twin2);
      const unknown = await s.run(...command, ...target("0000000000"), ...site);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown representation "0000000000"');
      const short = await s.run(...command, ...target("abcd"), ...site);
      expect(short.code).toBe(2);
      expect(short.stderr).toContain("at least its first 8 characters");
    }
  });
});

describe("status: pauses, priority, sizes", () => {
  it("marks a paused representation, project and service, in text and JSON", async () => {
    const s = await started();
    const [a] = await publishMany(s, 2);
    const short = (a as string).slice(0, 8);
    expect((await s.run("pause", "--project", "Proj", "--representation", a as string)).code).toBe(0);
    let text = (await s.run("status", "--project", "Proj")).stdout;
    expect(tableLines(text).find((l) => l.startsWith(short))).toMatch(new RegExp(`^${short} paused `));
    expect(tableLines(text).filter((l) => l.includes(" paused "))).toHaveLength(1);
    expect(text).not.toContain("paused: ");

    expect((await s.run("pause", "--project", "Proj")).code).toBe(0);
    expect((await s.run("pause", "--service")).code).toBe(0);
    text = (await s.run("status", "--project", "Proj")).stdout;
    expect(text).toContain("paused: the sync service");
    expect(text).toContain("paused: project Proj");
    const json = await statusJson(s);
    expect(json.paused).toEqual({ service: true, project: true });
    expect(json.representations.map((r) => r.paused).sort()).toEqual([false, true]);
  });

  it("has a priority column and sizes in KiB/MiB with exact bytes under --json", async () => {
    const s = await started();
    const [small] = await publishMany(s, 1, Buffer.alloc(3000, 1));
    const [big] = await publishMany(s, 1, Buffer.alloc(1.5 * 1048576, 2));
    expect(
      (
        await s.run(
          ...["site", "add", "--project", "Proj", "--representation", big as string],
          ...["--site", "local", "--force", "--priority", "90"],
        )
      ).code,
    ).toBe(0);
    const text = await s.run("status", "--project", "Proj");
    const header = text.stdout.split("\n")[0] ?? "";
    expect(header).toMatch(/ size +priority +local \(artist1\) +remote \(studio\)$/);
    const line = (id: string) => tableLines(text.stdout).find((l) => l.startsWith(id.slice(0, 8))) ?? "";
    expect(line(small as string)).toMatch(/ 2\.9 KiB +50 +QUEUED +OK$/);
    expect(line(big as string)).toMatch(/ 1\.5 MiB +90 +QUEUED +OK$/);
    const json = await statusJson(s);
    const sizes = Object.fromEntries(
      json.representations.map((r) => [r.representationId, [r.size, r.priority]]),
    );
    expect(sizes).toEqual({ [small as string]: [3000, 50], [big as string]: [1572864, 90] });
  });
});

describe("status: messages, pages, summary", () => {
  it("cuts a message to the terminal width; --verbose and --json keep it whole", async () => {
    const s = await started();
    const [id] = await publishMany(s, 1);
    const message = `copy failed: ${"a very long reason ".repeat(10)}end`;
    const context = await openContext({ home: s.home, env: { ...process.env, AYON_SITE_ID: "" } });
    try {
      const [representation] = await context.store.getRepresentations("Proj", { ids: [id as string] });
      await context.store.setSiteState("Proj", id as string, "artist1", {
        files: (representation?.files ?? []).map((f) => ({
          fileId: f.id,
          status: SyncStatus.FAILED,
          retries: 2,
          message,
        })),
      });
    } finally {
      await context.store.close();
    }
    const narrow = await runCli(["status", "--project", "Proj", "--home", s.home], {
      env: { COLUMNS: "60" },
    });
    expect(narrow.code).toBe(0);
    const cut = narrow.stdout.split("\n").find((l) => l.includes("local: copy failed"));
    expect(cut).toHaveLength(60);
    expect(cut).toMatch(/^ {4}local: copy failed: a very long reason.*…$/);
    expect(tableLines(narrow.stdout)[0]).toMatch(/FAILED retries 2 +OK$/);

    const verbose = await runCli(["status", "--project", "Proj", "--home", s.home, "--verbose"], {
      env: { COLUMNS: "60" },
    });
    expect(verbose.stdout).toContain(`    local: ${message}\n`);
    const [row] = (await statusJson(s)).representations;
    expect(row?.localStatus.message).toBe(message);
  });

  it('says "page 2 of 3" and sums every status over all pages', async () => {
    const s = await started();
    const ids = await publishMany(s, 5);
    // One of the five is already on the artist's site.
    expect(
      (
        await s.run(
          ...["site", "add", "--project", "Proj", "--representation", ids[0] as string],
          ...["--site", "local", "--force"],
        )
      ).code,
    ).toBe(0);
    const context = await openContext({ home: s.home, env: { ...process.env, AYON_SITE_ID: "" } });
    try {
      const [representation] = await context.store.getRepresentations("Proj", { ids: [ids[0] as string] });
      await context.store.setSiteState("Proj", ids[0] as string, "artist1", {
        files: (representation?.files ?? []).map((f) => ({
          fileId: f.id,
          status: SyncStatus.OK,
          size: f.size,
        })),
      });
    } finally {
      await context.store.close();
    }
    const text = await s.run("status", "--project", "Proj", "--page-length", "2", "--page", "2");
    expect(text.code).toBe(0);
    expect(tableLines(text.stdout)).toHaveLength(2);
    const lines = text.stdout.trimEnd().split("\n");
    const at = lines.indexOf("representations 3-4 of 5, page 2 of 3");
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1)).toEqual([
      "status  local (artist1)  remote (studio)",
      "QUEUED                4                0",
      "OK                    1                5",
    ]);
    const json = await statusJson(s, "--page-length", "2", "--page", "2");
    expect(json).toMatchObject({ total: 5, page: 2, pages: 3, pageLength: 2 });
    expect(json.counts.local).toMatchObject({ QUEUED: 4, OK: 1, NA: 0, FAILED: 0 });
    expect(json.counts.remote).toMatchObject({ OK: 5, QUEUED: 0 });
    const one = await s.run("status", "--project", "Proj");
    expect(one.stdout).toContain("\n5 representations\n");
    expect(one.stdout).not.toContain("page ");
  });
});

describe("project list", () => {
  it("lists each project's sync state: enabled, paused, sites, counts per status", async () => {
    const s = await started();
    await publishMany(s, 3);
    const other = path.join(s.dir, "other.yaml");
    writeFileSync(other, "name: Other\ncode: OT\nfolders: []\n");
    expect((await s.run("project", "import", other)).code).toBe(0);
    const settings = path.join(s.home, "settings.yaml");
    const { readFileSync } = await import("node:fs");
    writeFileSync(
      settings,
      readFileSync(settings, "utf8").replace(
        "projects: {}",
        "projects:\n  Other:\n    sitesync:\n      enabled: false",
      ),
    );
    expect((await s.run("pause", "--project", "Proj")).code).toBe(0);

    const json = await s.run("project", "list", "--json");
    expect(json.code, json.stderr).toBe(0);
    expect(json.json()).toEqual({
      servicePaused: false,
      projects: [
        {
          name: "Other",
          code: "OT",
          paused: false,
          pausedRepresentations: 0,
          syncEnabled: false,
          activeSite: "studio",
          remoteSite: "studio",
          representations: 0,
          counts: {
            active: { NA: 0, IN_PROGRESS: 0, QUEUED: 0, FAILED: 0, PAUSED: 0, OK: 0 },
            remote: { NA: 0, IN_PROGRESS: 0, QUEUED: 0, FAILED: 0, PAUSED: 0, OK: 0 },
          },
        },
        {
          name: "Proj",
          code: "PR",
          paused: true,
          pausedRepresentations: 0,
          syncEnabled: true,
          activeSite: "artist1",
          remoteSite: "studio",
          representations: 3,
          counts: {
            active: { NA: 0, IN_PROGRESS: 0, QUEUED: 3, FAILED: 0, PAUSED: 0, OK: 0 },
            remote: { NA: 0, IN_PROGRESS: 0, QUEUED: 0, FAILED: 0, PAUSED: 0, OK: 3 },
          },
        },
      ],
    });

    expect((await s.run("pause", "--service")).code).toBe(0);
    const text = await s.run("project", "list");
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")).toEqual([
      'paused: the sync service (nothing syncs; "sitesync unpause --service")',
      "project  code  sync      active   remote  representations  on active  on remote",
      "Other    OT    disabled  studio   studio                0  none       none",
      "Proj     PR    paused    artist1  studio                3  QUEUED 3   OK 3",
      "",
    ]);
  });
});
