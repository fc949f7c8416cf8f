/**
 * The prelaunch hook (`sitesync hook run copy-last-published-workfile`) with the studio site in a Dropbox
 * team folder (the Dropbox emulator): the last published workfile of the task and its resources come down
 * through the engine and the dropbox provider and are saved as the next workfile version in the work area;
 * a refresh token Dropbox refuses fails the hook with Dropbox's reason and leaves the work area untouched.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { HookJson } from "../helpers/hook.js";
import { APP_KEY, APP_SECRET } from "./fixtures.js";
import { type DropboxHome, dropboxForStudios, dropboxHome, freshRoot } from "./studio.js";

const world = dropboxForStudios();

const hook = (home: DropboxHome, ...args: string[]) =>
  home.cli(
    ...["hook", "run", "copy-last-published-workfile", "--project", "Proj"],
    ...["--folder", "/assets/characters/hero", "--task", "modeling", "--app", "maya/2024"],
    ...args,
  );
const workDir = (home: DropboxHome) => path.join(home.localRoot, "Proj/assets/characters/hero/work/modeling");
const partials = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((n) => n.includes(".sitesync-"))
    : [];

describe("copy-last-published-workfile from a studio site in a Dropbox team folder", () => {
  it("brings the last published workfile and its resources from Dropbox and saves it as the next version", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await dropboxHome(w, { root, launch: true });
    await artist.publish({ "scene.ma": "//Maya scene v1", "res/tex/old.png": "old" }, "--site", "studio");
    const scene = Buffer.alloc(700 * 1024, 5);
    scene.write("//Maya scene v2", 0);
    const last = await artist.publish(
      { "scene.ma": scene, "res/textures/wood/albedo.png": "albedo", "res/caches/hero.abc": "alembic" },
      "--site",
      "studio",
    );
    // Published straight to the team folder: nothing of it is on this workstation yet.
    for (const file of last.files) {
      expect(w.folder.get(fillRootless(file.path, { work: root }))).toBeDefined();
      expect(existsSync(fillRootless(file.path, { work: artist.localRoot }))).toBe(false);
    }
    const since = w.emulator.calls.length;
    const result = await hook(artist, "--json");
    expect(result.code, result.stderr).toBe(0);
    const json = result.json() as HookJson;
    const work = workDir(artist);
    expect(json).toMatchObject({ status: "copied", reason: null, linked_representation_ids: [] });
    expect(json.last_workfile_path).toBe(path.join(work, "PR_hero_modeling_v003.ma"));
    expect(readFileSync(json.last_workfile_path).equals(scene)).toBe(true);
    expect(json.resources.sort()).toEqual([
      path.join(work, "resources/caches/hero.abc"),
      path.join(work, "resources/textures/wood/albedo.png"),
    ]);
    expect(readFileSync(path.join(work, "resources/textures/wood/albedo.png"), "utf8")).toBe("albedo");
    // One download each, as the team member in the team folder, recorded OK on the local site.
    const downloads = w.emulator.calls.slice(since).filter((c) => c.route === "files/download");
    expect(downloads).toHaveLength(3);
    for (const call of downloads) expect(call.selectUser).toBe(w.bob.teamMemberId);
    const [state] = await (await artist.open()).store.getSiteStates(
      "Proj",
      [last.representationId],
      ["artist1"],
    );
    expect(state?.status).toBe(SyncStatus.OK);
    expect(partials(artist.localRoot)).toEqual([]);
  }, 60_000);

  it("fails with exit 1 and Dropbox's reason when Dropbox refuses the refresh token, with nothing in the work area", async () => {
    const w = world();
    const root = freshRoot();
    const refresh = w.emulator.teamToken(APP_KEY);
    const artist = await dropboxHome(w, { root, launch: true, token: `${APP_KEY}:${APP_SECRET}:${refresh}` });
    await artist.publish({ "scene.ma": "locked", "res/a.png": "a" }, "--site", "studio");
    w.emulator.accounts.refreshTokens.delete(refresh);
    const result = await hook(artist);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Dropbox refused the refresh token in the token setting (invalid_grant");
    for (const secret of [refresh, APP_SECRET]) expect(result.stderr.includes(secret)).toBe(false);
    expect(existsSync(workDir(artist))).toBe(false);
    expect(partials(artist.localRoot)).toEqual([]);
  }, 60_000);
});
