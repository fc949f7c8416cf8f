// The Drive emulator driven by the real googleapis client (issue 15): what the Drive provider's tests
// rely on, including the way googleapis must be pointed at it (see the comment atop emulator.ts).
import { createHash, createSign } from "node:crypto";
import { Readable } from "node:stream";

import { GoogleApis, google } from "googleapis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { CHUNK_GRANULARITY, type DriveEmulator, FOLDER_MIME, startDriveEmulator } from "./emulator.js";
import { makeServiceAccount, type ServiceAccountFixture } from "./fixtures.js";

const SCOPE = "https://www.googleapis.com/auth/drive";

let emu: DriveEmulator;
let account: ServiceAccountFixture;
let stranger: ServiceAccountFixture;

function jwtFor(sa: ServiceAccountFixture) {
  const auth = new google.auth.JWT({
    email: sa.credentials.client_email,
    key: sa.credentials.private_key,
    keyId: sa.credentials.private_key_id,
    scopes: [SCOPE],
  });
  // Not a constructor option in google-auth-library 10: a property to set.
  auth.useJWTAccessWithScope = true;
  return auth;
}

function driveFor(sa: ServiceAccountFixture) {
  return google.drive({ version: "v3", auth: jwtFor(sa) });
}

async function authHeader(sa: ServiceAccountFixture): Promise<string> {
  const headers = await jwtFor(sa).getRequestHeaders();
  return headers.get("authorization") ?? "";
}

/** What a GaxiosError carries of Google's error body: the status and the first error's reason. */
function googleError(err: unknown): { status: number; reason: string; location?: string } {
  const data = (err as { response?: { status: number; data: unknown } }).response;
  const body = data?.data as
    | { error?: { errors?: Array<{ reason: string; location?: string }> } }
    | undefined;
  const first = body?.error?.errors?.[0];
  return { status: data?.status ?? 0, reason: first?.reason ?? "", location: first?.location };
}

const md5 = (data: Buffer) => createHash("md5").update(data).digest("hex");

beforeAll(async () => {
  account = makeServiceAccount({ name: "sitesync" });
  stranger = makeServiceAccount({ name: "stranger" });
  emu = await startDriveEmulator();
  emu.grant(account.clientEmail, account.publicKeyPem);
});

afterAll(async () => {
  await emu.close();
  account.remove();
  stranger.remove();
});

afterEach(() => emu.faults.clear());

describe("pointing googleapis at the emulator", () => {
  // A gaxios adapter records where each request would go without sending it.
  async function targets(drive: ReturnType<typeof google.drive>, perCall: { rootUrl?: string }) {
    const seen: string[] = [];
    const adapter = async (opts: { method?: string; url?: unknown }) => {
      seen.push(`${opts.method} ${String(opts.url).split("?")[0]}`);
      return { status: 200, statusText: "OK", data: {}, headers: new Headers(), config: opts };
    };
    await drive.files.list({}, { ...perCall, adapter } as object);
    await drive.files.create({ requestBody: { name: "x" }, media: { body: "abc" } }, {
      ...perCall,
      adapter,
    } as object);
    return seen;
  }

  it("needs rootUrl per call: the per-API option misses uploads and the global one misses everything", async () => {
    const root = "http://127.0.0.1:9/";
    expect(await targets(google.drive({ version: "v3" }), { rootUrl: root })).toEqual([
      "GET http://127.0.0.1:9/drive/v3/files",
      "POST http://127.0.0.1:9/upload/drive/v3/files",
    ]);
    expect(await targets(google.drive({ version: "v3", rootUrl: root }), {})).toEqual([
      "GET http://127.0.0.1:9/drive/v3/files",
      "POST https://www.googleapis.com/upload/drive/v3/files",
    ]);
    const global = new GoogleApis();
    global.options({ rootUrl: root });
    expect(await targets(global.drive({ version: "v3" }), {})).toEqual([
      "GET https://www.googleapis.com/drive/v3/files",
      "POST https://www.googleapis.com/upload/drive/v3/files",
    ]);
  });

  it("takes a media body as a string or a stream, not a Buffer", async () => {
    const drive = driveFor(account);
    const err = await drive.files
      .create({ requestBody: { name: "b" }, media: { body: Buffer.from("abc") } }, { rootUrl: emu.url })
      .catch((e: unknown) => e);
    expect(String(err)).toMatch(/pipe is not a function/);
  });
});

describe("googleapis against the emulator", () => {
  it("creates a folder tree and finds names with a quote and a backslash through q", async () => {
    const drive = driveFor(account);
    const rootUrl = emu.url;
    const top = await drive.files.create(
      { requestBody: { name: "project", mimeType: FOLDER_MIME }, fields: "id, parents" },
      { rootUrl },
    );
    expect(top.data.parents).toEqual([emu.myDriveRootId]);
    const topId = top.data.id as string;
    const odd = `it's a \\ path`;
    const child = await drive.files.create(
      { requestBody: { name: odd, mimeType: FOLDER_MIME, parents: [topId] }, fields: "id" },
      { rootUrl },
    );
    await drive.files.create({ requestBody: { name: "plain.txt", parents: [topId] } }, { rootUrl });
    const escaped = odd.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
    const found = await drive.files.list(
      {
        q: `name = '${escaped}' and '${topId}' in parents and mimeType = '${FOLDER_MIME}' and trashed = false`,
        fields: "files(id, name)",
      },
      { rootUrl },
    );
    expect(found.data.files).toEqual([{ id: child.data.id, name: odd }]);
    const files = await drive.files.list(
      { q: `'${topId}' in parents and mimeType != '${FOLDER_MIME}'`, fields: "nextPageToken, files(name)" },
      { rootUrl },
    );
    expect(files.data).toEqual({ files: [{ name: "plain.txt" }] });
  });

  it("pages 250 items 100 at a time", async () => {
    const drive = driveFor(account);
    const rootUrl = emu.url;
    const folder = await drive.files.create(
      { requestBody: { name: "many", mimeType: FOLDER_MIME } },
      { rootUrl },
    );
    for (let i = 0; i < 250; i += 1) {
      await drive.files.create(
        { requestBody: { name: `f${i}`, parents: [folder.data.id as string] } },
        { rootUrl },
      );
    }
    const before = emu.calls.length;
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await drive.files.list(
        {
          q: `'${folder.data.id}' in parents`,
          pageSize: 100,
          pageToken,
          fields: "nextPageToken, files(name)",
        },
        { rootUrl },
      );
      names.push(...(page.data.files ?? []).map((file) => file.name as string));
      pageToken = page.data.nextPageToken ?? undefined;
    } while (pageToken !== undefined);
    expect(emu.calls.length - before).toBe(3);
    expect(new Set(names).size).toBe(250);
  });

  it("uploads multipart and downloads the same bytes, with size and md5Checksum of the content", async () => {
    const drive = driveFor(account);
    const rootUrl = emu.url;
    const content = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    let progress = 0;
    const created = await drive.files.create(
      {
        requestBody: { name: "scene.ma" },
        media: { mimeType: "application/octet-stream", body: Readable.from([content]) },
        fields: "id, size, md5Checksum",
      },
      { rootUrl, onUploadProgress: (event: { bytesRead: number }) => (progress = event.bytesRead) },
    );
    expect(created.data.size).toBe(String(content.length));
    expect(created.data.md5Checksum).toBe(md5(content));
    expect(progress).toBe(content.length);
    expect(emu.calls.at(-1)?.query.uploadType).toBe("multipart");
    const fileId = created.data.id as string;
    const down = await drive.files.get({ fileId, alt: "media" }, { rootUrl, responseType: "arraybuffer" });
    expect(Buffer.from(down.data as unknown as ArrayBuffer).equals(content)).toBe(true);

    const replaced = Buffer.from("version two");
    const updated = await drive.files.update(
      { fileId, media: { body: Readable.from([replaced]) }, fields: "id, name, md5Checksum" },
      { rootUrl },
    );
    expect(updated.data).toEqual({ id: fileId, name: "scene.ma", md5Checksum: md5(replaced) });
    expect(emu.calls.at(-1)?.query.uploadType).toBe("media");
    const ranged = await drive.files.get(
      { fileId, alt: "media" },
      { rootUrl, responseType: "text", headers: { Range: "bytes=8-" } },
    );
    expect(ranged.status).toBe(206);
    expect(ranged.data).toBe("two");
  });

  it("renames, trashes and deletes", async () => {
    const drive = driveFor(account);
    const rootUrl = emu.url;
    const made = await drive.files.create({ requestBody: { name: "a.tmp" } }, { rootUrl });
    const fileId = made.data.id as string;
    await drive.files.update({ fileId, requestBody: { name: "a" } }, { rootUrl });
    expect(emu.state.get(fileId)?.name).toBe("a");
    await drive.files.update({ fileId, requestBody: { trashed: true } }, { rootUrl });
    const live = await drive.files.list({ q: "name = 'a' and trashed = false" }, { rootUrl });
    expect(live.data.files).toEqual([]);
    await drive.files.delete({ fileId }, { rootUrl });
    const gone = await drive.files.get({ fileId }, { rootUrl }).catch((err: { status: number }) => err);
    expect(gone).toMatchObject({ status: 404 });
  });
});

describe("resumable uploads (raw HTTP: googleapis never sends them)", () => {
  async function initiate(total: number, name: string): Promise<string> {
    const res = await fetch(
      `${emu.url}upload/drive/v3/files?uploadType=resumable&fields=id,size,md5Checksum`,
      {
        method: "POST",
        headers: {
          authorization: await authHeader(account),
          "content-type": "application/json; charset=UTF-8",
          "x-upload-content-length": String(total),
        },
        body: JSON.stringify({ name }),
      },
    );
    expect(res.status).toBe(200);
    return res.headers.get("location") as string;
  }

  const put = (session: string, range: string, body?: Buffer) =>
    fetch(session, {
      method: "PUT",
      headers: { "content-range": range },
      body: body === undefined ? undefined : new Uint8Array(body),
    });

  it("takes 256 KiB chunks, answers 308 with the range so far, then the file", async () => {
    const content = Buffer.alloc(CHUNK_GRANULARITY * 2 + 1000, 7);
    const session = await initiate(content.length, "big.bin");
    const total = content.length;
    const first = await put(
      session,
      `bytes 0-${CHUNK_GRANULARITY - 1}/${total}`,
      content.subarray(0, CHUNK_GRANULARITY),
    );
    expect(first.status).toBe(308);
    expect(first.headers.get("range")).toBe(`bytes=0-${CHUNK_GRANULARITY - 1}`);
    const odd = await put(
      session,
      `bytes ${CHUNK_GRANULARITY}-${CHUNK_GRANULARITY + 99}/${total}`,
      Buffer.alloc(100),
    );
    expect(odd.status).toBe(400);
    const second = await put(
      session,
      `bytes ${CHUNK_GRANULARITY}-${total - 1}/${total}`,
      content.subarray(CHUNK_GRANULARITY),
    );
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ size: String(total), md5Checksum: md5(content) });
  });

  it("after a connection cut mid-chunk, a status query says how far it got and the upload resumes there", async () => {
    const content = Buffer.alloc(CHUNK_GRANULARITY * 3, 3);
    content.write("end", content.length - 3);
    const total = content.length;
    const session = await initiate(total, "cut.bin");
    emu.faults.dropUploadAfter(CHUNK_GRANULARITY + 5000);
    const cut = await put(session, `bytes 0-${total - 1}/${total}`, content).catch((err: Error) => err);
    expect(cut).toBeInstanceOf(Error);
    const status = await put(session, `bytes */${total}`);
    expect(status.status).toBe(308);
    const acked = Number(/bytes=0-(\d+)/.exec(status.headers.get("range") ?? "")?.[1]) + 1;
    expect(acked).toBe(CHUNK_GRANULARITY + 5000);
    const rest = await put(session, `bytes ${acked}-${total - 1}/${total}`, content.subarray(acked));
    expect(rest.status).toBe(200);
    const body = (await rest.json()) as { id: string; md5Checksum: string };
    expect(body.md5Checksum).toBe(md5(content));
    expect(emu.state.get(body.id)?.content.equals(content)).toBe(true);
  });
});

describe("resumable edge cases", () => {
  it("answers a status query before any byte with 308 and no Range, and updates keep the file id", async () => {
    const drive = driveFor(account);
    const made = await drive.files.create(
      { requestBody: { name: "r.bin" }, media: { body: "old" }, fields: "id" },
      { rootUrl: emu.url },
    );
    const fileId = made.data.id as string;
    const init = await fetch(
      `${emu.url}upload/drive/v3/files/${fileId}?uploadType=resumable&fields=id,name,size`,
      {
        method: "PATCH",
        headers: { authorization: await authHeader(account), "content-type": "application/json" },
        body: JSON.stringify({ name: "r2.bin" }),
      },
    );
    const session = init.headers.get("location") as string;
    const status = await fetch(session, { method: "PUT", headers: { "content-range": "bytes */5" } });
    expect(status.status).toBe(308);
    expect(status.headers.get("range")).toBeNull();
    const done = await fetch(session, {
      method: "PUT",
      headers: { "content-range": "bytes 0-4/5" },
      body: "fresh",
    });
    expect(await done.json()).toEqual({ id: fileId, name: "r2.bin", size: "5" });
    expect(emu.state.get(fileId)?.content.toString()).toBe("fresh");
  });
});

describe("faults and errors in Google's format", () => {
  it("answers 429 with Retry-After, then serves again", async () => {
    const drive = driveFor(account);
    emu.faults.rateLimit(1, "429", 3);
    const err = await drive.files.list({}, { rootUrl: emu.url, retry: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429 });
    const response = (err as { response: { headers: Headers; data: unknown } }).response;
    expect(response.headers.get("retry-after")).toBe("3");
    expect(response.data).toEqual({
      error: {
        code: 429,
        message: "Rate limit exceeded.",
        errors: [{ domain: "usageLimits", reason: "rateLimitExceeded", message: "Rate limit exceeded." }],
        status: "RESOURCE_EXHAUSTED",
      },
    });
    const ok = await drive.files.list({}, { rootUrl: emu.url, retry: false });
    expect(ok.status).toBe(200);
  });

  it("answers 403 userRateLimitExceeded, which gaxios does not retry", async () => {
    const drive = driveFor(account);
    emu.faults.rateLimit(1, "403");
    const err = await drive.files.list({}, { rootUrl: emu.url }).catch((e: unknown) => e);
    expect(googleError(err)).toMatchObject({ status: 403, reason: "userRateLimitExceeded" });
  });

  it("gaxios retries a 429 on a GET by itself", async () => {
    const drive = driveFor(account);
    emu.faults.rateLimit(2, "429");
    const before = emu.calls.length;
    const ok = await drive.files.list({}, { rootUrl: emu.url });
    expect(ok.status).toBe(200);
    expect(emu.calls.length - before).toBe(3);
  });

  it("answers 403 insufficientPermissions for a forbidden folder", async () => {
    const drive = driveFor(account);
    const rootUrl = emu.url;
    const folder = await drive.files.create(
      { requestBody: { name: "locked", mimeType: FOLDER_MIME } },
      { rootUrl },
    );
    emu.faults.forbid(folder.data.id as string);
    const err = await drive.files
      .create({ requestBody: { name: "x", parents: [folder.data.id as string] } }, { rootUrl })
      .catch((e: unknown) => e);
    expect(googleError(err)).toMatchObject({ status: 403, reason: "insufficientPermissions" });
  });

  it("rejects a q it does not support with 400 invalid", async () => {
    const drive = driveFor(account);
    const err = await drive.files
      .list({ q: "name contains 'x' or trashed = true" }, { rootUrl: emu.url })
      .catch((e: unknown) => e);
    expect(googleError(err)).toMatchObject({ status: 400, reason: "invalid", location: "q" });
  });
});

describe("shared drives", () => {
  it("lists shared drives with paging, and their items only with the all-drives flags", async () => {
    const drive = driveFor(account);
    const rootUrl = emu.url;
    const ids = ["Studio", "Archive", "Renders"].map((name) => emu.addSharedDrive(name));
    const first = await drive.drives.list({ pageSize: 2 }, { rootUrl });
    expect(first.data.drives).toHaveLength(2);
    const second = await drive.drives.list(
      { pageSize: 2, pageToken: first.data.nextPageToken ?? "" },
      { rootUrl },
    );
    expect(second.data.drives?.map((d) => d.id)).toEqual([ids[2]]);
    expect(second.data.nextPageToken).toBeUndefined();

    const driveId = ids[0] as string;
    const hidden = await drive.files
      .create({ requestBody: { name: "shot", mimeType: FOLDER_MIME, parents: [driveId] } }, { rootUrl })
      .catch((e: unknown) => e);
    expect(hidden).toMatchObject({ status: 404 });
    const made = await drive.files.create(
      {
        requestBody: { name: "shot", mimeType: FOLDER_MIME, parents: [driveId] },
        supportsAllDrives: true,
        fields: "id, driveId",
      },
      { rootUrl },
    );
    expect(made.data.driveId).toBe(driveId);
    const listed = await drive.files.list(
      {
        corpora: "drive",
        driveId,
        supportsAllDrives: true,
        includeItemsFromAllDrives: true,
        q: "name = 'shot'",
      },
      { rootUrl },
    );
    expect(listed.data.files?.map((f) => f.id)).toEqual([made.data.id]);
    const userOnly = await drive.files.list({ q: "name = 'shot'" }, { rootUrl });
    expect(userOnly.data.files).toEqual([]);
  });
});

describe("auth", () => {
  it("refuses a service account that was not granted, and a missing or forged token", async () => {
    const err = await driveFor(stranger)
      .files.list({}, { rootUrl: emu.url })
      .catch((e: unknown) => e);
    expect(googleError(err)).toMatchObject({ status: 401, reason: "authError" });
    const none = await fetch(`${emu.url}drive/v3/files`);
    expect(none.status).toBe(401);
    const [head, , sig] = (await authHeader(account)).split(".");
    const claims = Buffer.from(
      JSON.stringify({ iss: stranger.clientEmail, sub: stranger.clientEmail, exp: 9e9 }),
    );
    const forged = await fetch(`${emu.url}drive/v3/files`, {
      headers: { authorization: `${head}.${claims.toString("base64url")}.${sig}` },
    });
    expect(forged.status).toBe(401);
  });

  it("refuses an expired self-signed JWT", async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const email = account.clientEmail;
    const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iss: email, sub: email, scope: SCOPE, iat: now - 7200, exp: now - 3600 })}`;
    const signature = createSign("RSA-SHA256")
      .update(unsigned)
      .sign(account.credentials.private_key, "base64url");
    const res = await fetch(`${emu.url}drive/v3/files`, {
      headers: { authorization: `Bearer ${unsigned}.${signature}` },
    });
    expect(res.status).toBe(401);
  });

  it("exchanges a JWT-bearer assertion at /token for an access token the API accepts", async () => {
    const jwt = (await authHeader(account)).replace(/^Bearer /, "");
    const res = await fetch(`${emu.url}token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion: jwt,
      }),
    });
    const token = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
    expect(token).toMatchObject({ expires_in: 3600, token_type: "Bearer" });
    const list = await fetch(`${emu.url}drive/v3/files`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(list.status).toBe(200);
  });
});
