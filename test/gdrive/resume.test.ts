/**
 * Resuming a Drive upload across attempts and processes (docs/architecture.md
 * "Resumable uploads"): the provider hands out its session as a token, a stop
 * keeps the session open, and another provider instance given the token asks
 * Drive how far it got and sends only the rest, hashing the whole file. A
 * token that no longer fits (another source, a session Drive does not know)
 * starts over. The engine's side (keeping the token with the file's state
 * through a killed process) is tested in test/gdrive/restart.test.ts.
 */
import { createHash, randomBytes } from "node:crypto";
import { statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { API_URL_VARIABLE } from "../../providers/gdrive/client.js";
import { gdriveFactory } from "../../providers/gdrive/index.js";
import { sessionUrl } from "../../providers/gdrive/session.js";
import type { SiteProvider } from "../../providers/provider.js";
import { tempDir } from "../helpers/tmp.js";
import { type DriveEmulator, startDriveEmulator } from "./emulator.js";
import { makeServiceAccount, type ServiceAccountFixture } from "./fixtures.js";

const CHUNK = 256 * 1024;
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("gdrive session URIs", () => {
  it("puts a session URI on Google's origin under the configured base (a studio's proxy)", () => {
    const google = "https://www.googleapis.com/upload/drive/v3/files?uploadType=resumable&upload_id=AB-c";
    expect(sessionUrl(google, "http://proxy.studio:3128/google/")).toBe(
      "http://proxy.studio:3128/google/upload/drive/v3/files?uploadType=resumable&upload_id=AB-c",
    );
    expect(sessionUrl(google, "https://www.googleapis.com/")).toBe(google);
    expect(sessionUrl("/upload/drive/v3/files?upload_id=x", "http://127.0.0.1:9/")).toBe(
      "http://127.0.0.1:9/upload/drive/v3/files?upload_id=x",
    );
  });
});

describe("gdrive upload resumed from a token", () => {
  let emulator: DriveEmulator;
  let account: ServiceAccountFixture;
  const before = process.env[API_URL_VARIABLE];
  let root = "";
  let count = 0;

  function site(): SiteProvider {
    const paths = [account.credentialsPath];
    return gdriveFactory.create({
      siteName: "gd",
      config: {
        credentials_url: { windows: paths, linux: paths, darwin: paths },
        roots: root,
        chunk_size_mib: 0.25,
        requests_per_second: 1000,
      },
      roots: { work: root },
    });
  }

  beforeAll(async () => {
    account = makeServiceAccount();
    emulator = await startDriveEmulator({
      accounts: [{ email: account.clientEmail, publicKeyPem: account.publicKeyPem }],
    });
    emulator.addSharedDrive("Studio");
    process.env[API_URL_VARIABLE] = emulator.url;
  });

  afterAll(async () => {
    await emulator.close();
    account.remove();
    if (before === undefined) delete process.env[API_URL_VARIABLE];
    else process.env[API_URL_VARIABLE] = before;
  });

  beforeEach(() => {
    count++;
    root = `/Studio/r${count}`;
  });

  const sessionsStarted = () =>
    emulator.calls.filter(
      (c) => c.method === "POST" && c.path === "/upload/drive/v3/files" && c.query.uploadType === "resumable",
    ).length;
  const sessionPuts = () => emulator.calls.filter((c) => c.method === "PUT" && c.query.upload_id).length;
  const stored = (name: string) => [...emulator.state.values()].filter((f) => f.name === name && !f.trashed);

  /** Starts an upload of six chunks and stops it once three are on their way; resolves with its tokens. */
  async function stoppedUpload(provider: SiteProvider, target: string) {
    const data = randomBytes(6 * CHUNK);
    const file = path.join(tempDir(), "big.bin");
    writeFileSync(file, data);
    await provider.mkdirs(root);
    const tokens: Array<string | null> = [];
    const stop = new AbortController();
    await expect(
      provider.upload(file, target, {
        direct: true,
        hash: "sha256",
        signal: stop.signal,
        onResumeToken: (token) => tokens.push(token),
        onProgress: (done) => {
          if (done >= 3 * CHUNK) stop.abort(new Error("stopped by the test"));
        },
      }),
    ).rejects.toThrow("stopped by the test");
    return { data, file, tokens };
  }

  it("a stopped upload keeps its session, and another provider resumes it and sends only the rest", async () => {
    const target = `${root}/big-${count}.bin`;
    const { data, file, tokens } = await stoppedUpload(site(), target);
    // One token, never withdrawn, and the session was not cancelled.
    expect(tokens).toHaveLength(1);
    const token = tokens[0] as string;
    expect(JSON.parse(token)).toMatchObject({ size: data.length });
    expect(emulator.calls.filter((c) => c.method === "DELETE" && c.query.upload_id)).toEqual([]);
    expect(stored(`big-${count}.bin`)).toEqual([]);

    const started = sessionsStarted();
    const puts = sessionPuts();
    const progress: number[] = [];
    const again: Array<string | null> = [];
    const result = await site().upload(file, target, {
      direct: true,
      hash: "sha256",
      resumeFrom: token,
      onResumeToken: (t) => again.push(t),
      onProgress: (done) => progress.push(done),
    });
    // The same session: no new one, a status query, then at most the four chunks not yet acknowledged.
    expect(sessionsStarted()).toBe(started);
    expect(sessionPuts() - puts).toBeLessThanOrEqual(1 + 4);
    expect(progress[0]).toBeGreaterThanOrEqual(2 * CHUNK);
    expect(again).toEqual([]);
    // The hash covers the whole file, the bytes sent before the stop too, and Drive's md5 matched.
    expect(result).toEqual({ size: data.length, hash: sha256(data) });
    const [made] = stored(`big-${count}.bin`);
    expect(made?.content.equals(data)).toBe(true);
  });

  it("a token for a source changed since starts over and cancels the old session", async () => {
    const target = `${root}/big-${count}.bin`;
    const { data, file, tokens } = await stoppedUpload(site(), target);
    const old = new URL(JSON.parse(tokens[0] as string).session).searchParams.get("upload_id");
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    const started = sessionsStarted();
    const again: Array<string | null> = [];
    const result = await site().upload(file, target, {
      direct: true,
      hash: "sha256",
      resumeFrom: tokens[0] as string,
      onResumeToken: (t) => again.push(t),
    });
    expect(sessionsStarted()).toBe(started + 1);
    expect(emulator.calls.some((c) => c.method === "DELETE" && c.query.upload_id === old)).toBe(true);
    expect(again).toHaveLength(1);
    expect(again[0]).not.toBe(tokens[0]);
    expect(result.hash).toBe(sha256(data));
    expect(stored(`big-${count}.bin`)[0]?.content.equals(data)).toBe(true);
  });

  it("a session Drive no longer knows starts over", async () => {
    const data = randomBytes(3 * CHUNK);
    const file = path.join(tempDir(), "big.bin");
    writeFileSync(file, data);
    const provider = site();
    await provider.mkdirs(root);
    const { mtimeMs } = statSync(file);
    const gone = JSON.stringify({
      session: `${emulator.url}upload/drive/v3/files?uploadType=resumable&upload_id=expired`,
      size: data.length,
      mtimeMs,
    });
    const started = sessionsStarted();
    const result = await provider.upload(file, `${root}/big-${count}.bin`, {
      direct: true,
      hash: "sha256",
      resumeFrom: gone,
    });
    expect(sessionsStarted()).toBe(started + 1);
    expect(result.hash).toBe(sha256(data));
    expect(stored(`big-${count}.bin`)[0]?.content.equals(data)).toBe(true);
  });

  it("a failed upload cancels its session and withdraws its token", async () => {
    const data = randomBytes(3 * CHUNK);
    const file = path.join(tempDir(), "big.bin");
    writeFileSync(file, data);
    const provider = site();
    await provider.mkdirs(root);
    const tokens: Array<string | null> = [];
    // Forbidden once the session exists: a permanent error, not a stop.
    const upload = provider.upload(file, `${root}/big-${count}.bin`, {
      direct: true,
      onResumeToken: (t) => {
        tokens.push(t);
        if (t) emulator.faults.forbid("/upload/drive/v3/files");
      },
    });
    await expect(upload).rejects.toThrow(/insufficientPermissions|has not granted|permission/i);
    emulator.faults.clear();
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBeNull();
    const session = new URL(JSON.parse(tokens[0] as string).session).searchParams.get("upload_id");
    expect(emulator.calls.some((c) => c.method === "DELETE" && c.query.upload_id === session)).toBe(true);
  });
});
