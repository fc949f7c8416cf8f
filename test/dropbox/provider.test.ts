/**
 * The dropbox provider with the real `dropbox` SDK against the Dropbox emulator: what the conformance suite
 * does not cover. Tokens refreshed (once for concurrent calls, again when Dropbox says one expired) and never
 * in a message; team members and team folders found on later pages and their headers on every file call;
 * listings over several pages; rate limits waited out as Retry-After says; upload sessions that resume from
 * the engine's token in a new provider (a new process), from a stale token, or start over; dropped and
 * unanswered chunks; errors classified.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../lib/errors.js";
import {
  createDropboxProvider,
  type DropboxConfig,
  type DropboxTuning,
} from "../../providers/dropbox/index.js";
import type { SiteProvider } from "../../providers/provider.js";
import { tempDir } from "../helpers/tmp.js";
import { APP_KEY, APP_SECRET, type DropboxWorld, dropboxWorld } from "./fixtures.js";

const MiB = 1024 * 1024;
const SITE = "dbx";

let world: DropboxWorld;
let here: string;
/** Pauses the provider asked for after a rate limit (none really taken). */
let pauses: number[];
let count = 0;
let root: string;

beforeAll(async () => {
  world = await dropboxWorld({ pageSize: 2 });
  world.useEnv();
});
afterAll(() => world.close());
beforeEach(() => {
  here = tempDir("sitesync-dropbox-here-");
  pauses = [];
  count++;
  root = `/Tests/t${count}`;
  world.emulator.faults.clear();
  world.emulator.calls.length = 0;
});

const opened: SiteProvider[] = [];
afterEach(async () => {
  for (const site of opened.splice(0)) await site.close?.();
});

function provider(config: DropboxConfig = {}, tuning: Partial<DropboxTuning> = {}): SiteProvider {
  const site = createDropboxProvider(
    {
      siteName: SITE,
      config: {
        token: world.teamSetting,
        acting_as_member: "Bob Builder",
        team_folder_name: "Studio Projects",
        ...config,
      },
      roots: { work: root },
    },
    {
      singleMax: MiB,
      chunk: MiB,
      backoff: {
        attempts: 4,
        baseMs: 10,
        maxMs: 60_000,
        sleep: async (ms) => {
          pauses.push(ms);
        },
      },
      ...tuning,
    },
  );
  opened.push(site);
  return site;
}

function localFile(name: string, size: number): { file: string; data: Buffer } {
  const data = randomBytes(size);
  const file = path.join(here, name);
  writeFileSync(file, data);
  return { file, data };
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error("expected the promise to reject");
}

const routes = () => world.emulator.calls.map((call) => call.route);
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
/** Every secret the provider holds: none may appear in a message. */
const secrets = () => [
  APP_SECRET,
  ...world.teamSetting.split(":").slice(2),
  ...world.userSetting.split(":").slice(2),
  ...world.emulator.accounts.accessTokens.keys(),
];
function expectNoSecret(text: string): void {
  for (const secret of secrets()) expect(text.includes(secret), "a secret is in a message").toBe(false);
}

describe("dropbox provider: credentials", () => {
  it("refreshes the access token once for concurrent calls, and again when Dropbox says it expired", async () => {
    const site = provider();
    const before = world.emulator.tokenRequests;
    await site.mkdirs(root);
    await Promise.all(["a", "b", "c", "d"].map((name) => site.mkdirs(`${root}/${name}`)));
    expect(world.emulator.tokenRequests - before).toBe(1);
    world.emulator.faults.expireAccessTokens();
    expect(await site.list(root)).toEqual(["a", "b", "c", "d"]);
    expect(world.emulator.tokenRequests - before).toBe(2);
  });

  it("fails permanently, saying what to do and showing no secret, for a revoked refresh token, a wrong secret or a malformed setting", async () => {
    const revoked = await rejection(provider({ token: `${APP_KEY}:${APP_SECRET}:revoked-token` }).stat(root));
    expect(revoked.retryable).toBe(false);
    expect(revoked.message).toContain("invalid_grant");
    const refresh = world.teamSetting.split(":")[2];
    const wrongSecret = await rejection(
      provider({ token: `${APP_KEY}:not-the-secret:${refresh}` }).list(root),
    );
    expect(wrongSecret.retryable).toBe(false);
    expect(wrongSecret.message).toContain("app key or secret");
    const malformed = await rejection(provider({ token: "just-one-part" }).list(root));
    expect(malformed.message).toContain("app_key:app_secret:refresh_token");
    const empty = await rejection(provider({ token: "" }).list(root));
    expect(empty.message).toContain("empty");
    for (const error of [revoked, wrongSecret, malformed, empty]) {
      expect(error.retryable).toBe(false);
      expectNoSecret(`${error.message} ${String(error.cause)}`);
    }
    expect(await provider({ token: "" }).isActive()).toMatchObject({ active: false });
  });

  it("uses an `sl.` access token as it is, until Dropbox says it expired", async () => {
    const token = world.emulator.accounts.exchange(
      new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: world.userSetting.split(":")[2] ?? "",
        client_id: APP_KEY,
        client_secret: APP_SECRET,
      }),
      undefined,
    ).body as { access_token: string };
    const site = provider({ token: token.access_token, acting_as_member: "", team_folder_name: "" });
    await site.mkdirs(root);
    expect(await site.stat(root)).toMatchObject({ isDirectory: true });
    expect(world.alice.home.get(root)).toBeDefined();
    world.emulator.faults.expireAccessTokens();
    const error = await rejection(site.stat(root));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("expired");
    expectNoSecret(error.message);
  });

  it("works on a personal Dropbox (no team settings) with a PKCE app's key and refresh token", async () => {
    world.emulator.addApp("pkceapp", null);
    const site = provider({
      token: `pkceapp:${world.emulator.userToken("pkceapp", world.alice)}`,
      acting_as_member: "",
      team_folder_name: "",
    });
    await site.mkdirs(root);
    expect(world.alice.home.get(root)?.tag).toBe("folder");
    const calls = world.emulator.calls.filter((call) => call.route.startsWith("files/"));
    expect(calls.every((call) => call.selectUser === undefined && call.pathRoot === undefined)).toBe(true);
  });
});

describe("dropbox provider: team", () => {
  it("finds the member and the team folder on later pages, and sends both headers on every file call", async () => {
    // Five members and two team folders at two a page: "Extra 2" is on the third page.
    world.emulator.addTeamFolder("Zeta Projects");
    const site = provider({ acting_as_member: "extra2@studio.example", team_folder_name: "zeta projects" });
    await site.mkdirs(root);
    const { file } = localFile("f.bin", 3 * MiB);
    await site.upload(file, `${root}/f.bin`);
    await site.download(`${root}/f.bin`, path.join(here, "back.bin"));
    expect(routes()).toEqual(
      expect.arrayContaining([
        "team/members/list_v2",
        "team/members/list/continue_v2",
        "team/team_folder/list",
        "team/team_folder/list/continue",
      ]),
    );
    const extra = world.emulator.accounts.members.find((m) => m.email === "extra2@studio.example");
    const zeta = world.emulator.accounts.teamFolders.find((f) => f.name === "Zeta Projects");
    const pathRoot = JSON.stringify({ ".tag": "namespace_id", namespace_id: zeta?.id });
    const fileCalls = world.emulator.calls.filter((call) => call.route.startsWith("files/"));
    expect(fileCalls.length).toBeGreaterThan(4);
    for (const call of fileCalls) expect(call).toMatchObject({ selectUser: extra?.teamMemberId, pathRoot });
    for (const call of world.emulator.calls.filter((c) => c.route.startsWith("team/")))
      expect(call.selectUser).toBeUndefined();
    expect(zeta?.get(`${root}/f.bin`)?.content.length).toBe(3 * MiB);
  });

  it("names the members or team folders there are when the settings name none of them, permanently", async () => {
    const noMember = await rejection(provider({ acting_as_member: "Nobody" }).list(root));
    expect(noMember.retryable).toBe(false);
    expect(noMember.message).toContain('acting_as_member "Nobody"');
    expect(noMember.message).toContain("Extra 2");
    const noFolder = await rejection(provider({ team_folder_name: "Elsewhere" }).list(root));
    expect(noFolder.message).toContain("Archive, Studio Projects");
    const folderOnly = await rejection(provider({ acting_as_member: "" }).list(root));
    expect(folderOnly.message).toContain("acting_as_member");
    const userToken = await rejection(provider({ token: world.userSetting }).list(root));
    expect(userToken.message).toContain("team token");
    const check = await provider({ acting_as_member: "Nobody" }).isActive();
    expect(check).toMatchObject({ active: false });
    if (!check.active) expect(check.reason).toContain("Nobody");
  });
});

describe("dropbox provider: listings and rate limits", () => {
  it("follows list_folder's cursor over every page", async () => {
    const site = provider();
    const names = ["e", "a", "g", "c", "b", "f", "d"].map((n) => `${n}.txt`);
    for (const name of names) {
      writeFileSync(path.join(here, name), name);
      await site.upload(path.join(here, name), `${root}/${name}`);
    }
    world.emulator.calls.length = 0;
    expect(await site.list(root)).toEqual([...names].sort());
    expect(routes().filter((r) => r === "files/list_folder/continue")).toHaveLength(3);
  });

  it("waits as Retry-After says while rate-limited (too_many_requests, too_many_write_operations), then succeeds", async () => {
    const site = provider();
    await site.mkdirs(root);
    world.emulator.faults.rateLimit(2, { retryAfterS: 3 });
    const { file, data } = localFile("r.bin", 3 * MiB + 5);
    const put = await site.upload(file, `${root}/r.bin`, { hash: "sha256" });
    expect(put.hash).toBe(sha256(data));
    expect(pauses).toEqual([3000, 3000]);
    world.emulator.faults.rateLimit(1, { reason: "too_many_write_operations", retryAfterS: 1 });
    await site.mkdirs(`${root}/after`);
    expect(pauses).toEqual([3000, 3000, 1000]);
    expect(await site.list(root)).toEqual(["after", "r.bin"]);
  });

  it("gives up retryably when the rate limit outlasts its attempts, backing off exponentially without Retry-After", async () => {
    const site = provider();
    await site.mkdirs(root);
    world.emulator.faults.rateLimit(10, { retryAfterS: 0 });
    const error = await rejection(site.list(root));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("rate limit");
    expect(error.message).toContain("too_many_requests");
    expect(pauses).toEqual([0, 0, 0]);
  });
});

describe("dropbox provider: upload sessions", () => {
  it("uploads a large file in chunks with progress and a resume token after each acknowledged chunk, checked by content_hash", async () => {
    const site = provider();
    await site.mkdirs(root);
    const { file, data } = localFile("big.bin", 3 * MiB + 17);
    const tokens: Array<string | null> = [];
    const progress: number[] = [];
    const put = await site.upload(file, `${root}/big.bin`, {
      hash: "sha256",
      onResumeToken: (token) => tokens.push(token),
      onProgress: (done) => progress.push(done),
    });
    expect(put).toEqual({ size: data.length, hash: sha256(data) });
    expect(routes().filter((r) => r.startsWith("files/upload"))).toEqual([
      "files/upload_session/start",
      "files/upload_session/append_v2",
      "files/upload_session/append_v2",
      "files/upload_session/append_v2",
      "files/upload_session/finish",
    ]);
    expect(tokens.map((t) => (t === null ? null : (JSON.parse(t) as { offset: number }).offset))).toEqual([
      0,
      MiB,
      2 * MiB,
      3 * MiB,
      null,
    ]);
    expect(progress.at(-1)).toBe(data.length);
    expect(world.folder.get(`${root}/big.bin`)?.content.equals(data)).toBe(true);
  });

  it("resumes in a new provider (another process) from the engine's token, sending only the rest and hashing the whole file", async () => {
    const first = provider();
    await first.mkdirs(root);
    const { file, data } = localFile("resume.bin", 4 * MiB + 3);
    const controller = new AbortController();
    let saved: string | null = null;
    const stopped = await first
      .upload(file, `${root}/resume.bin`, {
        signal: controller.signal,
        onResumeToken: (token) => {
          saved = token;
          if (token && (JSON.parse(token) as { offset: number }).offset >= 2 * MiB) controller.abort();
        },
      })
      .catch((error: unknown) => error);
    expect((stopped as Error).name).toBe("AbortError");
    expect(await first.stat(`${root}/resume.bin`)).toBeNull();
    expect(saved).not.toBeNull();

    world.emulator.calls.length = 0;
    const second = provider();
    const tokens: Array<string | null> = [];
    const put = await second.upload(file, `${root}/resume.bin`, {
      hash: "sha256",
      resumeFrom: saved ?? "",
      onResumeToken: (token) => tokens.push(token),
    });
    expect(put.hash).toBe(sha256(data));
    const uploads = world.emulator.calls.filter((call) => call.route.startsWith("files/upload"));
    expect(uploads.map((call) => call.route)).not.toContain("files/upload_session/start");
    expect(uploads[0]).toMatchObject({ route: "files/upload_session/append_v2", bytes: 0 });
    expect(uploads.reduce((sum, call) => sum + call.bytes, 0)).toBe(data.length - 2 * MiB);
    expect(tokens.at(-1)).toBeNull();
    expect(world.folder.get(`${root}/resume.bin`)?.content.equals(data)).toBe(true);
  });

  it("resumes from a stale token at the offset Dropbox gives in incorrect_offset", async () => {
    const site = provider();
    await site.mkdirs(root);
    const { file, data } = localFile("stale.bin", 4 * MiB + 3);
    const controller = new AbortController();
    const tokens: string[] = [];
    await site
      .upload(file, `${root}/stale.bin`, {
        signal: controller.signal,
        onResumeToken: (token) => {
          if (token) tokens.push(token);
          if (tokens.length === 4) controller.abort(); // Dropbox holds 3 MiB
        },
      })
      .catch(() => undefined);
    world.emulator.calls.length = 0;
    // The token of 1 MiB: Dropbox holds more.
    const put = await provider().upload(file, `${root}/stale.bin`, {
      hash: "sha256",
      resumeFrom: tokens[1] ?? "",
    });
    expect(put.hash).toBe(sha256(data));
    const sent = world.emulator.calls.filter((call) => call.route.startsWith("files/upload"));
    expect(sent.reduce((sum, call) => sum + call.bytes, 0)).toBe(data.length - 3 * MiB);
    expect(world.folder.get(`${root}/stale.bin`)?.content.equals(data)).toBe(true);
  });

  it("starts over for a token of another size, an unknown session, or one that is not its own", async () => {
    const site = provider();
    await site.mkdirs(root);
    const { file, data } = localFile("over.bin", 2 * MiB + 1);
    for (const [i, token] of [
      JSON.stringify({ v: 1, session: "pid_upload_session:gone", offset: MiB, size: data.length }),
      JSON.stringify({ v: 1, session: "pid_upload_session:gone", offset: MiB, size: data.length + 1 }),
      "not json",
    ].entries()) {
      world.emulator.calls.length = 0;
      await site.upload(file, `${root}/over${i}.bin`, { resumeFrom: token });
      expect(routes()).toContain("files/upload_session/start");
      expect(world.folder.get(`${root}/over${i}.bin`)?.content.equals(data)).toBe(true);
    }
  });

  it("sends a dropped chunk again, and starts another session when the answer to a start was lost", async () => {
    const site = provider();
    await site.mkdirs(root);
    const { file, data } = localFile("drop.bin", 3 * MiB + 9);
    world.emulator.faults.dropUploadAfter(MiB + 100_000); // into the second append
    const put = await site.upload(file, `${root}/drop.bin`, { hash: "sha256" });
    expect(put.hash).toBe(sha256(data));
    expect(world.folder.get(`${root}/drop.bin`)?.content.equals(data)).toBe(true);

    world.emulator.calls.length = 0;
    world.emulator.faults.dropAnswer(); // the start: taken, its session id lost
    const again = await site.upload(file, `${root}/drop2.bin`, { hash: "sha256" });
    expect(again.hash).toBe(sha256(data));
    expect(routes().filter((r) => r === "files/upload_session/start")).toHaveLength(2);
    expect(world.folder.get(`${root}/drop2.bin`)?.content.equals(data)).toBe(true);
  });

  it("does not send a chunk twice when Dropbox took an append whose answer was lost", async () => {
    const site = provider();
    await site.mkdirs(root);
    const { file, data } = localFile("lost.bin", 3 * MiB + 9);
    let armed = false;
    const put = await site.upload(file, `${root}/lost.bin`, {
      hash: "sha256",
      onResumeToken: (token) => {
        // After the start: the first append is taken but unanswered.
        if (token && !armed) {
          armed = true;
          world.emulator.faults.dropAnswer();
        }
      },
    });
    expect(put.hash).toBe(sha256(data));
    const appends = world.emulator.calls.filter((call) => call.route === "files/upload_session/append_v2");
    expect(appends.map((call) => (call.arg as { cursor: { offset: number } }).cursor.offset)).toEqual([
      0,
      0,
      MiB,
      2 * MiB,
    ]);
    expect(world.folder.get(`${root}/lost.bin`)?.content.equals(data)).toBe(true);
  });
});

describe("dropbox provider: a lost finish", () => {
  it("takes the file a finish made though its answer was lost, once its content_hash is that of the bytes read", async () => {
    const site = provider();
    await site.mkdirs(root);
    const { file, data } = localFile("finish.bin", 2 * MiB + 9);
    const put = await site.upload(file, `${root}/finish.bin`, {
      hash: "sha256",
      onResumeToken: (token) => {
        // After the last append: the finish is taken but unanswered.
        if (token && (JSON.parse(token) as { offset: number }).offset === 2 * MiB)
          world.emulator.faults.dropAnswer();
      },
    });
    expect(put.hash).toBe(sha256(data));
    expect(routes().filter((r) => r === "files/upload_session/finish")).toHaveLength(2);
    expect(routes().at(-1)).toBe("files/get_metadata");
    expect(world.folder.get(`${root}/finish.bin`)?.content.equals(data)).toBe(true);
  });
});

describe("dropbox provider: errors and isActive", () => {
  it("classifies path errors: a missing file to download, a file in the way, a conflict at the target", async () => {
    const site = provider();
    await site.mkdirs(root);
    const missing = await rejection(site.download(`${root}/none.ma`, path.join(here, "none.ma")));
    expect(missing.retryable).toBe(false);
    expect(missing.message).toBe(`${root}/none.ma is missing on site ${SITE}`);
    writeFileSync(path.join(here, "f"), "f");
    await site.upload(path.join(here, "f"), `${root}/f`);
    const inTheWay = await rejection(site.mkdirs(`${root}/f/sub`));
    expect(inTheWay.retryable).toBe(false);
    const folder = await rejection(site.download(root, path.join(here, "folder")));
    expect(folder.message).toContain("is a folder");
    writeFileSync(path.join(here, "g"), "other");
    const taken = await rejection(site.upload(path.join(here, "g"), `${root}/f`, { direct: true }));
    expect(taken.retryable).toBe(false);
    expect(taken.message).toContain("already exists");
    expect(readFileSync(path.join(here, "f"), "utf8")).toBe("f");
  });

  it("says which part failed from isActive: a missing root, a root that is a file, an unreachable Dropbox", async () => {
    const site = provider();
    expect(await site.isActive()).toEqual({
      active: false,
      reason: `the root ${root} does not exist on Dropbox`,
    });
    await site.mkdirs(root);
    expect(await site.isActive()).toEqual({ active: true });
    await world.emulator.outage.begin();
    try {
      const down = await provider().isActive();
      expect(down.active).toBe(false);
      if (!down.active) {
        expect(down.reason).toMatch(/^the token and the team settings: connection (refused|lost)/);
        expectNoSecret(down.reason);
      }
      const error = await rejection(site.list(root));
      expect(error.retryable).toBe(true);
    } finally {
      await world.emulator.outage.end();
    }
    expect(await site.isActive()).toEqual({ active: true });
  });
});

describe("dropbox provider: verification", () => {
  it("refuses, retryably, an upload whose content_hash differs from that of the bytes read, in one call or a session", async () => {
    const site = provider();
    await site.mkdirs(root);
    for (const size of [1000, 2 * MiB + 1]) {
      const { file } = localFile(`bad${size}`, size);
      world.emulator.faults.corruptNextUpload();
      const error = await rejection(site.upload(file, `${root}/bad${size}`, { direct: true }));
      expect(error.retryable).toBe(true);
      expect(error.message).toContain(
        `the upload of ${file} to ${root}/bad${size} on site ${SITE} is damaged`,
      );
      expect(error.message).toContain("content_hash");
      expect(await site.stat(`${root}/bad${size}`)).toBeNull();
    }
  });
});
