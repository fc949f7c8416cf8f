/**
 * The dropbox provider end to end, through the public CLI (`publish`, `sync --once`, `site add`) and the
 * engine, against the Dropbox emulator: an artist's workfile with its resources goes up to a `studio` site
 * in a team folder and down to another workstation byte for byte, every file request carrying the team
 * headers; a file past the one-call limit goes through an upload session; rate limits are waited out;
 * listings and team lookups follow their cursors; no secret reaches the store or the output.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { APP_SECRET, type DropboxWorld } from "./fixtures.js";
import { type DropboxHome, dropboxForStudios, dropboxHome, freshRoot, type SyncJson } from "./studio.js";

// Two entries a page: team lookups and listings need their cursors.
const world = dropboxForStudios({ pageSize: 2 });

async function syncOnce(home: DropboxHome) {
  // --verbose: the logs are among the outputs checked for secrets.
  const result = await home.cli("sync", "--project", "Proj", "--once", "--json", "--verbose");
  return { ...result, report: result.json() as SyncJson };
}

/** The published files' bytes in the team folder equal the artist's local copies. */
function expectInTeamFolder(w: DropboxWorld, home: DropboxHome, paths: string[]): void {
  for (const rootless of paths) {
    const entry = w.folder.get(fillRootless(rootless, { work: home.root }));
    expect(entry, rootless).toBeDefined();
    expect(entry?.content.equals(readFileSync(fillRootless(rootless, { work: home.localRoot })))).toBe(true);
  }
}

/** Neither the store nor the outputs hold the app secret, the refresh token or an access token. */
function expectNoSecretWritten(w: DropboxWorld, home: DropboxHome, ...outputs: string[]): void {
  const written = [...outputs];
  for (const name of ["sitesync.db", "sitesync.db-wal"]) {
    const file = path.join(home.home, name);
    if (existsSync(file)) written.push(readFileSync(file).toString("latin1"));
  }
  const everything = written.join("\n");
  const secrets = [APP_SECRET, w.teamSetting.split(":")[2] ?? "", ...w.emulator.accounts.accessTokens.keys()];
  for (const secret of secrets) expect(everything.includes(secret), "a secret was written").toBe(false);
}

const tempsIn = (w: DropboxWorld, root: string) =>
  [...w.folder.entries.keys()].filter(
    (key) => key.startsWith(root.toLowerCase()) && key.includes(".sitesync-"),
  );

describe("a studio site in a Dropbox team folder", () => {
  it("uploads a workfile with its resources as the team member, and another home downloads them byte for byte", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await dropboxHome(w, { root });
    const scene = Buffer.alloc(600 * 1024, 3);
    scene.write("//Maya ASCII scene", 0);
    const published = await artist.publish(
      { "scene.ma": scene, "res/textures/wood/albedo.png": "albedo", "res/caches/hero.abc": "alembic" },
      "--site",
      "local",
    );
    const paths = published.files.map((f) => f.path);
    expect(paths).toHaveLength(3);
    w.emulator.calls.length = 0;
    const up = await syncOnce(artist);
    expect(up.code, up.stderr).toBe(0);
    expect(up.report.projects[0]).toMatchObject({ transferred: 3, failed: [] });
    expectInTeamFolder(w, artist, paths);
    expect(tempsIn(w, root)).toEqual([]);
    // The member was found on a later page of the team's members, and every file call acts as it.
    const routes = w.emulator.calls.map((call) => call.route);
    expect(routes).toContain("team/members/list/continue_v2");
    const pathRoot = JSON.stringify({ ".tag": "namespace_id", namespace_id: w.folder.id });
    const fileCalls = w.emulator.calls.filter((call) => call.route.startsWith("files/"));
    expect(fileCalls.length).toBeGreaterThan(3);
    for (const call of fileCalls) expect(call).toMatchObject({ selectUser: w.bob.teamMemberId, pathRoot });

    const other = await dropboxHome(w, { root, siteId: "artist2" }, artist);
    const added = await other.cli(
      "site",
      "add",
      "--project",
      "Proj",
      "--representation",
      published.representationId,
      "--site",
      "local",
    );
    expect(added.code, added.stderr).toBe(0);
    const down = await syncOnce(other);
    expect(down.code, down.stderr).toBe(0);
    expect(down.report.projects[0]).toMatchObject({ transferred: 3, failed: [] });
    for (const rootless of paths) {
      expect(readFileSync(fillRootless(rootless, { work: other.localRoot }))).toEqual(
        readFileSync(fillRootless(rootless, { work: artist.localRoot })),
      );
    }
    expectNoSecretWritten(w, artist, up.stdout, up.stderr);
    expectNoSecretWritten(w, other, down.stdout, down.stderr, added.stdout, added.stderr);
  }, 60_000);

  it("sends a file past the one-call limit through an upload session, and waits out a rate limit as Retry-After says", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await dropboxHome(w, { root });
    const big = Buffer.alloc(20 * 1024 * 1024 + 5, 7);
    big.write("header", 0);
    const published = await artist.publish({ "scene.ma": big, "res/a.png": "A" }, "--site", "local");
    w.emulator.calls.length = 0;
    w.emulator.faults.rateLimit(2, { retryAfterS: 1 });
    const up = await syncOnce(artist);
    expect(up.code, up.stderr).toBe(0);
    expect(up.report.projects[0]).toMatchObject({ transferred: 2, failed: [] });
    expectInTeamFolder(
      w,
      artist,
      published.files.map((f) => f.path),
    );
    const routes = w.emulator.calls.map((call) => call.route);
    expect(routes).toContain("files/upload_session/start");
    expect(routes).toContain("files/upload_session/finish");
    // Both rate-limited calls were answered 429 and made again at once by the provider, so nothing failed.
    const limited = w.emulator.calls.flatMap((call, i) => (call.limited ? [i] : []));
    expect(limited).toHaveLength(2);
    for (const i of limited) expect(w.emulator.calls[i + 1]?.route).toBe(w.emulator.calls[i]?.route);
    const status = await artist.cli("status", "--project", "Proj", "--json");
    const row = (
      status.json() as {
        representations: Array<{
          representationId: string;
          remoteStatus: { status: number; retries: number };
        }>;
      }
    ).representations.find((r) => r.representationId === published.representationId);
    expect(row?.remoteStatus).toMatchObject({ status: SyncStatus.OK, retries: 0 });
  }, 60_000);

  it("sweeps a dead writer's temporary file that a folder's listing gives only on a later page", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await dropboxHome(w, { root });
    const published = await artist.publish(
      { "scene.ma": "scene", "res/tex/a.png": "A", "res/tex/b.png": "B", "res/tex/c.png": "C" },
      "--site",
      "local",
    );
    const png = published.files.map((f) => f.path).find((p) => p.endsWith("a.png")) as string;
    const folder = path.posix.dirname(fillRootless(png, { work: root }));
    // Listed first, two a page: ".a" and ".b" fill the first page, the litter is on the second.
    const dayAgo = Date.now() - 24 * 3600 * 1000;
    w.folder.makeFolders(folder);
    w.folder.put(`${folder}/.a`, "file", Buffer.from("a"), dayAgo);
    w.folder.put(`${folder}/.b`, "file", Buffer.from("b"), dayAgo);
    const litter = `${folder}/.a.png.sitesync-4242-${dayAgo.toString(36)}-0123456789ab.part`;
    w.folder.put(litter, "file", Buffer.from("half of a"), dayAgo);
    w.emulator.calls.length = 0;
    const up = await syncOnce(artist);
    expect(up.code, up.stderr).toBe(0);
    expect(up.report.projects[0]).toMatchObject({ transferred: 4, failed: [] });
    expect(w.emulator.calls.map((call) => call.route)).toContain("files/list_folder/continue");
    expect(w.folder.get(litter)).toBeUndefined();
    expect(w.folder.get(`${folder}/.a`)).toBeDefined();
    expectInTeamFolder(
      w,
      artist,
      published.files.map((f) => f.path),
    );
  }, 60_000);

  it("skips the site, naming the members there are, when the settings name no member of the team", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await dropboxHome(w, { root, config: "{retry_cnt: 1}" });
    const settings = path.join(artist.home, "settings.yaml");
    writeFileSync(settings, readFileSync(settings, "utf8").replace("Bob Builder", "Nobody Here"));
    await artist.publish({ "scene.ma": "scene" }, "--site", "local");
    const up = await syncOnce(artist);
    expect(up.report.projects[0]).toMatchObject({ problem: true, transferred: 0 });
    const skipped = (up.report.projects[0] as { skipped?: string }).skipped ?? "";
    expect(skipped).toContain('site "studio" is not active');
    expect(skipped).toContain(
      'acting_as_member "Nobody Here" is not a member of the team; members: Alice Artist, Bob Builder',
    );
    expect(w.folder.get(`${root}/Proj`)).toBeUndefined();
    expectNoSecretWritten(w, artist, up.stdout, up.stderr);
  }, 60_000);
});
