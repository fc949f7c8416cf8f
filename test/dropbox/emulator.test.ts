/**
 * The Dropbox emulator speaks what the real `dropbox` SDK sends and answers as Dropbox does: OAuth refresh,
 * RPC and content routes, cursors over pages, upload sessions with `incorrect_offset`, team headers, error
 * bodies, and the faults the provider tests arm.
 */
import { randomBytes } from "node:crypto";
import { Dropbox } from "dropbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContentHasher } from "../../providers/dropbox/content-hash.js";
import { dropboxBases, sdkFetch } from "../../providers/dropbox/http.js";
import { dropboxContentHash } from "./emulator.js";
import { APP_KEY, APP_SECRET, type DropboxWorld, dropboxWorld } from "./fixtures.js";

let world: DropboxWorld;

beforeAll(async () => {
  world = await dropboxWorld({ pageSize: 2 });
});
afterAll(() => world.close());

async function tokenFor(setting: string): Promise<string> {
  const [, , refresh] = setting.split(":");
  const response = await fetch(`${world.emulator.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refresh ?? "",
      client_id: APP_KEY,
      client_secret: APP_SECRET,
    }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The SDK as the provider makes it: URLs rewritten to the emulator. */
function sdk(accessToken: string, extra: { selectUser?: string; pathRoot?: string } = {}): Dropbox {
  const bases = dropboxBases({
    SITESYNC_DROPBOX_API_URL: world.emulator.url,
    SITESYNC_DROPBOX_CONTENT_URL: world.emulator.url,
  });
  return new Dropbox({ accessToken, fetch: sdkFetch(bases), ...extra });
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number; error: unknown; headers: Headers }> {
  try {
    await promise;
  } catch (error) {
    return error as { status: number; error: unknown; headers: Headers };
  }
  throw new Error("expected the call to fail");
}

describe("Dropbox emulator", () => {
  it("trades a refresh token for an access token (form or query, secret or Basic), refusing bad ones OAuth's way", async () => {
    expect(await tokenFor(world.userSetting)).toMatch(/^sl\./);
    const refresh = world.userSetting.split(":")[2] ?? "";
    const query = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refresh,
      client_id: APP_KEY,
      client_secret: APP_SECRET,
    });
    const viaQuery = await fetch(`${world.emulator.url}/oauth2/token?${query}`, { method: "POST" });
    expect(viaQuery.status).toBe(200);
    const basic = await fetch(`${world.emulator.url}/oauth2/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${APP_KEY}:${APP_SECRET}`).toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refresh }),
    });
    expect(basic.status).toBe(200);
    const bad = await fetch(`${world.emulator.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: "nope",
        client_id: APP_KEY,
        client_secret: APP_SECRET,
      }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_grant" });
    const wrongSecret = await fetch(`${world.emulator.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: refresh,
        client_id: APP_KEY,
        client_secret: "x",
      }),
    });
    expect(await wrongSecret.json()).toMatchObject({ error: "invalid_client" });
  });

  it("answers the SDK's RPC routes, with Dropbox's 409 error bodies and cursors over several pages", async () => {
    const dbx = sdk(await tokenFor(world.userSetting));
    const missing = await failure(dbx.filesGetMetadata({ path: "/nothing/here" }));
    expect(missing.status).toBe(409);
    expect(missing.error).toEqual({
      error_summary: "path/not_found/..",
      error: { ".tag": "path", path: { ".tag": "not_found" } },
    });
    await dbx.filesCreateFolderV2({ path: "/Pages/Deep" });
    const conflict = await failure(dbx.filesCreateFolderV2({ path: "/pages/deep" }));
    expect((conflict.error as { error_summary: string }).error_summary).toBe("path/conflict/folder/..");
    for (const name of ["a", "B", "c", "d", "e"])
      await dbx.filesUpload({ path: `/Pages/${name}.txt`, contents: Buffer.from(name) });
    const names: string[] = [];
    let page = (await dbx.filesListFolder({ path: "/pages" })).result;
    let pages = 1;
    names.push(...page.entries.map((e) => e.name));
    while (page.has_more) {
      page = (await dbx.filesListFolderContinue({ cursor: page.cursor })).result;
      names.push(...page.entries.map((e) => e.name));
      pages++;
    }
    expect(pages).toBe(3);
    expect(names).toEqual(["a.txt", "B.txt", "c.txt", "d.txt", "Deep", "e.txt"]);
    const root = (await dbx.filesListFolder({ path: "" })).result;
    expect(root.entries.map((e) => e.name)).toEqual(["Pages"]);
    const notFolder = await failure(dbx.filesListFolder({ path: "/Pages/a.txt" }));
    expect((notFolder.error as { error_summary: string }).error_summary).toBe("path/not_folder/..");
    const moved = await dbx.filesMoveV2({ from_path: "/Pages/a.txt", to_path: "/Moved/A.txt" });
    expect(moved.result.metadata.path_display).toBe("/Moved/A.txt");
    const taken = await failure(dbx.filesMoveV2({ from_path: "/Pages/c.txt", to_path: "/Pages/d.txt" }));
    expect((taken.error as { error_summary: string }).error_summary).toBe("to/conflict/file/..");
    await dbx.filesDeleteV2({ path: "/Moved" });
    const gone = await failure(dbx.filesDeleteV2({ path: "/Moved" }));
    expect((gone.error as { error_summary: string }).error_summary).toBe("path_lookup/not_found/..");
  });

  it("takes upload sessions, answering incorrect_offset with the offset it holds, and hashes content Dropbox's way", async () => {
    const dbx = sdk(await tokenFor(world.userSetting));
    const data = randomBytes(9 * 1024 * 1024 + 3);
    const { session_id } = (
      await dbx.filesUploadSessionStart({ contents: data.subarray(0, 5 * 1024 * 1024) })
    ).result;
    const wrong = await failure(
      dbx.filesUploadSessionAppendV2({ cursor: { session_id, offset: 0 }, contents: data.subarray(0, 10) }),
    );
    expect(wrong.status).toBe(409);
    expect(wrong.error).toEqual({
      error_summary: "incorrect_offset/..",
      error: { ".tag": "incorrect_offset", correct_offset: 5 * 1024 * 1024 },
    });
    await dbx.filesUploadSessionAppendV2({
      cursor: { session_id, offset: 5 * 1024 * 1024 },
      contents: data.subarray(5 * 1024 * 1024, 8 * 1024 * 1024),
    });
    const finishWrong = await failure(
      dbx.filesUploadSessionFinish({
        cursor: { session_id, offset: 1 },
        commit: { path: "/s.bin" },
        contents: Buffer.alloc(0),
      }),
    );
    expect((finishWrong.error as { error_summary: string }).error_summary).toBe(
      "lookup_failed/incorrect_offset/..",
    );
    const done = await dbx.filesUploadSessionFinish({
      cursor: { session_id, offset: 8 * 1024 * 1024 },
      commit: { path: "/s.bin", client_modified: "2020-01-02T03:04:05Z" },
      contents: data.subarray(8 * 1024 * 1024),
    });
    // Two implementations of the algorithm agree (the provider's, fed in odd pieces, and the emulator's).
    const hasher = new ContentHasher();
    for (let at = 0; at < data.length; at += 777_777) hasher.update(data.subarray(at, at + 777_777));
    expect(done.result).toMatchObject({
      size: data.length,
      content_hash: dropboxContentHash(data),
      client_modified: "2020-01-02T03:04:05Z",
    });
    expect(hasher.digest()).toBe(done.result.content_hash);
    expect(new ContentHasher().digest()).toBe(dropboxContentHash(Buffer.alloc(0)));
    const gone = await failure(
      dbx.filesUploadSessionAppendV2({
        cursor: { session_id, offset: data.length },
        contents: Buffer.alloc(0),
      }),
    );
    expect((gone.error as { error_summary: string }).error_summary).toBe("not_found/..");

    const download = await fetch(`${world.emulator.url}/2/files/download`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await tokenFor(world.userSetting)}`,
        "dropbox-api-arg": JSON.stringify({ path: "/S.BIN" }),
      },
    });
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);
    expect(JSON.parse(download.headers.get("dropbox-api-result") ?? "{}")).toMatchObject({
      size: data.length,
      name: "s.bin",
    });
    // The SDK's own download reads the body with node-fetch's buffer(), which the provider's fetch adds.
    const viaSdk = await dbx.filesDownload({ path: "/s.bin" });
    expect((viaSdk.result as { fileBinary?: Buffer }).fileBinary?.equals(data)).toBe(true);
    const existing = await failure(
      dbx.filesUpload({ path: "/s.bin", mode: { ".tag": "add" }, contents: Buffer.from("other") }),
    );
    expect((existing.error as { error_summary: string }).error_summary).toBe("path/conflict/file/..");
  });

  it("makes a team token act as the member of Dropbox-API-Select-User, in the namespace of Dropbox-API-Path-Root", async () => {
    const token = await tokenFor(world.teamSetting);
    const team = sdk(token);
    const noMember = await failure(team.filesListFolder({ path: "" }));
    expect(noMember.status).toBe(400);
    expect(String(noMember.error)).toContain("Dropbox-API-Select-User");
    const first = (await team.teamMembersListV2({ limit: 1000 })).result;
    expect(first.members).toHaveLength(2);
    expect(first.has_more).toBe(true);
    const all = [...first.members];
    for (let page = first; page.has_more; ) {
      page = (await team.teamMembersListContinueV2({ cursor: page.cursor })).result;
      all.push(...page.members);
    }
    expect(all.map((m) => m.profile.name.display_name)).toContain("Bob Builder");
    const folders = (await team.teamTeamFolderList({ limit: 1000 })).result;
    expect(folders.team_folders.map((f) => f.name)).toEqual(["Archive", "Studio Projects"]);

    const pathRoot = JSON.stringify({ ".tag": "namespace_id", namespace_id: world.folder.id });
    const bob = sdk(token, { selectUser: world.bob.teamMemberId, pathRoot });
    await bob.filesUpload({ path: "/team.txt", contents: Buffer.from("team") });
    expect(world.folder.get("/team.txt")?.content.toString()).toBe("team");
    expect(world.bob.home.get("/team.txt")).toBeUndefined();
    const call = world.emulator.calls.at(-1);
    expect(call).toMatchObject({ route: "files/upload", selectUser: world.bob.teamMemberId, pathRoot });
    const elsewhere = await failure(
      sdk(token, {
        selectUser: world.bob.teamMemberId,
        pathRoot: JSON.stringify({ ".tag": "namespace_id", namespace_id: "999" }),
      }).filesListFolder({ path: "" }),
    );
    expect(elsewhere.status).toBe(422);
    const user = await failure(sdk(await tokenFor(world.userSetting)).teamMembersListV2({}));
    expect(user.status).toBe(400);
  });

  it("injects faults: 429 with Retry-After, expired tokens, a cut upload that keeps nothing, an upload taken but unanswered", async () => {
    const token = await tokenFor(world.userSetting);
    const dbx = sdk(token);
    world.emulator.faults.rateLimit(1, { reason: "too_many_write_operations", retryAfterS: 2 });
    const limited = await failure(dbx.filesCreateFolderV2({ path: "/limited" }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(limited.error).toMatchObject({
      error_summary: "too_many_write_operations/..",
      error: { retry_after: 2 },
    });
    await dbx.filesCreateFolderV2({ path: "/limited" });

    const { session_id } = (await dbx.filesUploadSessionStart({ contents: Buffer.alloc(0) })).result;
    world.emulator.faults.dropUploadAfter(100_000);
    await failure(
      dbx.filesUploadSessionAppendV2({ cursor: { session_id, offset: 0 }, contents: randomBytes(1_000_000) }),
    );
    expect(world.emulator.sessions.get(session_id)?.offset).toBe(0);
    world.emulator.faults.dropAnswer();
    await failure(
      dbx.filesUploadSessionAppendV2({ cursor: { session_id, offset: 0 }, contents: randomBytes(1000) }),
    );
    expect(world.emulator.sessions.get(session_id)?.offset).toBe(1000);

    world.emulator.faults.expireAccessTokens();
    const expired = await failure(dbx.filesListFolder({ path: "" }));
    expect(expired.status).toBe(401);
    expect(expired.error).toEqual({
      error_summary: "expired_access_token/..",
      error: { ".tag": "expired_access_token" },
    });
    const invalid = await failure(sdk("sl.made-up").filesListFolder({ path: "" }));
    expect((invalid.error as { error_summary: string }).error_summary).toBe("invalid_access_token/..");
  });
});
