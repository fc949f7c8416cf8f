/**
 * The gdrive provider's own behaviour (the shared contract runs in
 * test/providers/conformance.test.ts): settings and credentials, drive
 * paths, `q` escaping, how Google's failures are worded and classified, the
 * pacer, and the resumable upload's bookkeeping.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ProviderError } from "../../lib/errors.js";
import { KNOWN_PROVIDER_BLOCKS } from "../../lib/settings/schema.js";
import { findCredentials, jwtClient, readServiceAccount } from "../../providers/gdrive/auth.js";
import { API_URL_VARIABLE, apiBaseUrl } from "../../providers/gdrive/client.js";
import { parseDrivePath } from "../../providers/gdrive/drive-path.js";
import {
  DriveResponseError,
  driveError,
  faultOf,
  faultOfBody,
  isRateLimit,
  retryAfterMs,
} from "../../providers/gdrive/errors.js";
import { gdriveFactory } from "../../providers/gdrive/index.js";
import { backoffDelay, Pacer, paced } from "../../providers/gdrive/pacer.js";
import { childNamed, quote } from "../../providers/gdrive/query.js";
import { acknowledged } from "../../providers/gdrive/session.js";
import { CREATE_CHECK_MS, LISTING_TTL_MS } from "../../providers/gdrive/site-cache.js";
import type { SiteProvider } from "../../providers/provider.js";
import { getProviderFactory } from "../../providers/registry.js";
import { tempDir } from "../helpers/tmp.js";
import { type DriveEmulator, FOLDER_MIME, startDriveEmulator } from "./emulator.js";
import { makeServiceAccount, type ServiceAccountFixture } from "./fixtures.js";

function serviceAccountFile(dir: string, extra: Record<string, unknown> = {}): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const file = path.join(dir, "sa.json");
  writeFileSync(
    file,
    JSON.stringify({
      type: "service_account",
      client_email: "sync@studio.iam.gserviceaccount.com",
      private_key_id: "k1",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
      token_uri: "http://127.0.0.1:9/unreachable",
      ...extra,
    }),
  );
  return file;
}

/** `work` run with the clock `ms` ahead (Date only: timers and the emulator's JWT checks agree). */
async function later<T>(ms: number, work: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + ms });
  try {
    return await work();
  } finally {
    vi.useRealTimers();
  }
}

const rateLimited = (status: number, reason: string, retryAfter?: string) =>
  new DriveResponseError(
    faultOfBody(status, { error: { code: status, message: "slow down", errors: [{ reason }] } }, retryAfter),
  );

describe("gdrive settings and credentials", () => {
  it("is registered as gdrive with AYON's batch limit", () => {
    expect(getProviderFactory("gdrive")).toBe(gdriveFactory);
    expect(gdriveFactory.batchLimit).toBe(7);
  });

  it("keeps AYON's keys and adds chunk_size_mib (multiple of 256 KiB, default 8) and requests_per_second (10)", () => {
    const block = KNOWN_PROVIDER_BLOCKS.gdrive;
    expect(block.parse({})).toEqual({
      credentials_url: { windows: [], linux: [], darwin: [] },
      roots: "",
      chunk_size_mib: 8,
      requests_per_second: 10,
    });
    expect(block.parse({ chunk_size_mib: 0.25 }).chunk_size_mib).toBe(0.25);
    expect(block.safeParse({ chunk_size_mib: 0.3 }).success).toBe(false);
    expect(block.safeParse({ chunk_size_mib: 0 }).success).toBe(false);
    expect(block.safeParse({ requests_per_second: 0 }).success).toBe(false);
  });

  it("takes the first existing credentials file of the platform's list", () => {
    const exists = (p: string) => p === "/b.json" || p === "/c.json";
    expect(findCredentials(["/a.json", "/b.json", "/c.json"], "linux", exists)).toEqual({ path: "/b.json" });
  });

  it("names the platform and every path tried when no credentials file exists", () => {
    const found = findCredentials(["/keys/a.json", "/keys/b.json"], "windows", () => false);
    expect(found).toEqual({
      reason: "no service account file for windows in credentials_url: tried /keys/a.json, /keys/b.json",
    });
    expect(findCredentials([], "darwin", () => true)).toMatchObject({
      reason: expect.stringContaining("credentials_url has no path for darwin"),
    });
  });

  it("is inactive, naming the paths tried, when no credentials file exists", async () => {
    const platform =
      process.platform === "win32" ? "windows" : process.platform === "darwin" ? "darwin" : "linux";
    const missing = path.join(tempDir(), "nope.json");
    const site = gdriveFactory.create({
      siteName: "gd",
      config: {
        credentials_url: { windows: [], linux: [], darwin: [], [platform]: [missing] },
        roots: "/My Drive/x",
      },
      roots: { work: "/My Drive/x" },
    });
    const check = await site.isActive();
    expect(check.active).toBe(false);
    if (!check.active) {
      expect(check.reason).toContain("the credentials");
      expect(check.reason).toContain(platform);
      expect(check.reason).toContain(missing);
    }
    const error = await site.stat("/My Drive/x/f").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
  });

  it("refuses a file that is not a service account key, without showing its content", () => {
    const dir = tempDir();
    const file = serviceAccountFile(dir, { type: "authorized_user" });
    expect(() => readServiceAccount(file, "gd")).toThrow(
      /not a service account key file: "type" is "authorized_user"/,
    );
    writeFileSync(file, "{not json");
    expect(() => readServiceAccount(file, "gd")).toThrow(/not JSON/);
    const noKey = serviceAccountFile(dir, { private_key: "secret-but-not-pem" });
    const error = (() => {
      try {
        readServiceAccount(noKey, "gd");
      } catch (e) {
        return e as Error;
      }
      return new Error("none");
    })();
    expect(error.message).toContain('"private_key" is missing or not a PEM key');
    expect(error.message).not.toContain("secret-but-not-pem");
  });

  it("signs its own JWT for Drive: no token exchange (the file's token_uri is never called)", async () => {
    const account = readServiceAccount(serviceAccountFile(tempDir()), "gd");
    const client = await jwtClient(account);
    const headers = await client.getRequestHeaders("http://127.0.0.1:9/drive/v3/files");
    const bearer = headers.get("authorization") ?? "";
    expect(bearer).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(bearer.split(".")[1] ?? "", "base64url").toString());
    expect(claims).toMatchObject({ iss: account.email, scope: "https://www.googleapis.com/auth/drive" });
  });

  it("takes the API's base URL from SITESYNC_GDRIVE_API_URL", () => {
    expect(apiBaseUrl({})).toBe("https://www.googleapis.com/");
    expect(apiBaseUrl({ [API_URL_VARIABLE]: "http://127.0.0.1:8080" })).toBe("http://127.0.0.1:8080/");
    expect(apiBaseUrl({ [API_URL_VARIABLE]: "http://proxy/google/" })).toBe("http://proxy/google/");
  });
});

describe("gdrive isActive", () => {
  it("answers within its timeout, naming the part it was checking, when Drive does not answer", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const before = process.env[API_URL_VARIABLE];
    process.env[API_URL_VARIABLE] = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const file = serviceAccountFile(tempDir());
      const site = gdriveFactory.create({
        siteName: "gd",
        config: { credentials_url: { windows: [file], linux: [file], darwin: [file] }, roots: "/Studio/x" },
        roots: { work: "/Studio/x" },
      });
      const check = site.isActive();
      await vi.advanceTimersByTimeAsync(20_000);
      expect(await check).toEqual({ active: false, reason: "checking the credentials timed out after 20 s" });
    } finally {
      vi.useRealTimers();
      if (before === undefined) delete process.env[API_URL_VARIABLE];
      else process.env[API_URL_VARIABLE] = before;
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("gdrive paths and queries", () => {
  it("reads /My Drive/... from the drive's root and a first segment otherwise as a shared drive", () => {
    expect(parseDrivePath("/My Drive/proj/a.ma", "gd")).toEqual({ drive: null, segments: ["proj", "a.ma"] });
    expect(parseDrivePath("/Studio Share/proj/", "gd")).toEqual({
      drive: "Studio Share",
      segments: ["proj"],
    });
    expect(parseDrivePath("/My Drive", "gd")).toEqual({ drive: null, segments: [] });
  });

  it("refuses relative paths, empty names, . and ..", () => {
    for (const bad of ["My Drive/a", "/", "/My Drive//a", "/My Drive/../x", "/My Drive/./x"]) {
      const error = (() => {
        try {
          parseDrivePath(bad, "gd");
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, bad).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).retryable).toBe(false);
      expect((error as Error).message).toContain("on site gd");
    }
  });

  it("escapes backslashes and single quotes in every q", () => {
    expect(quote("it's")).toBe("'it\\'s'");
    expect(quote("a\\b")).toBe("'a\\\\b'");
    expect(quote("\\'")).toBe("'\\\\\\''");
    expect(childNamed("id'1", "o'neil\\x")).toBe(
      "'id\\'1' in parents and name = 'o\\'neil\\\\x' and trashed = false",
    );
  });
});

describe("gdrive errors", () => {
  it("retries 429 and 403 rate limits, honouring Retry-After", () => {
    expect(isRateLimit(faultOf(rateLimited(429, "rateLimitExceeded")))).toBe(true);
    expect(isRateLimit(faultOf(rateLimited(403, "userRateLimitExceeded")))).toBe(true);
    expect(isRateLimit(faultOf(rateLimited(403, "rateLimitExceeded")))).toBe(true);
    expect(isRateLimit(faultOf(rateLimited(403, "insufficientPermissions")))).toBe(false);
    expect(faultOf(rateLimited(429, "x", "3")).retryAfterMs).toBe(3000);
    expect(retryAfterMs(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8000);
    expect(retryAfterMs("soon")).toBeUndefined();
  });

  it("words a permission error as permanent, with Google's reason and whom to share with", () => {
    const error = driveError(
      new DriveResponseError(
        faultOfBody(403, {
          error: {
            code: 403,
            message: "The user has not granted the app write access to the file",
            errors: [{ reason: "insufficientPermissions" }],
          },
        }),
      ),
      "creating folder /My Drive/x",
      "gd",
      "sync@studio.iam.gserviceaccount.com",
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      "permission denied: insufficientPermissions (Google: The user has not granted the app write access to the file) " +
        "creating folder /My Drive/x on site gd; share the folder (or add the shared drive's member) with the " +
        "service account sync@studio.iam.gserviceaccount.com",
    );
  });

  it("words a googleapis (gaxios) error, a 404 and a network failure", () => {
    const gaxios = Object.assign(new Error("Request failed"), {
      response: {
        status: 404,
        data: { error: { code: 404, message: "File not found: abc.", errors: [{ reason: "notFound" }] } },
        headers: new Headers(),
      },
    });
    const notFound = driveError(gaxios, "checking /My Drive/a", "gd");
    expect(notFound.message).toBe("not found (Google: File not found: abc.) checking /My Drive/a on site gd");
    expect(notFound.retryable).toBe(false);
    const network = driveError(
      new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) }),
      "listing folder /My Drive/a",
      "gd",
    );
    expect(network.message).toBe("connection refused listing folder /My Drive/a on site gd");
    expect(network.retryable).toBe(true);
    const server = driveError(rateLimited(503, "backendError"), "uploading a to b", "gd");
    expect(server.retryable).toBe(true);
  });
});

describe("gdrive pacer", () => {
  it("lets a burst through, then paces requests at the rate", async () => {
    const pacer = new Pacer(20, 5);
    const started = Date.now();
    for (let i = 0; i < 5; i++) await pacer.take();
    expect(Date.now() - started).toBeLessThan(40);
    for (let i = 0; i < 4; i++) await pacer.take();
    // Four more at 20 a second: about 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  it("lets a stopped transfer leave the queue at once", async () => {
    const pacer = new Pacer(1, 1);
    await pacer.take();
    const controller = new AbortController();
    const waiting = pacer.take(controller.signal);
    const started = Date.now();
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(100);
    await expect(pacer.take(AbortSignal.abort())).rejects.toMatchObject({ name: "AbortError" });
  });

  it("backs off exponentially with jitter, and takes Retry-After when given", () => {
    const options = { attempts: 5, baseMs: 100, maxMs: 1000, random: () => 0.5 };
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, undefined, options))).toEqual([
      150, 250, 450, 850, 1000,
    ]);
    expect(backoffDelay(0, 700, options)).toBe(700);
    expect(backoffDelay(0, 5000, options)).toBe(1000);
  });

  it("retries a rate-limited request and gives up on anything else at once", async () => {
    const pacer = new Pacer(1000);
    let calls = 0;
    const limited = (error: unknown) => (isRateLimit(faultOf(error)) ? {} : undefined);
    const options = { attempts: 4, baseMs: 1, maxMs: 5 };
    const result = await paced(
      pacer,
      async () => {
        calls++;
        if (calls < 3) throw rateLimited(429, "rateLimitExceeded");
        return "ok";
      },
      limited,
      options,
    );
    expect([result, calls]).toEqual(["ok", 3]);
    calls = 0;
    await expect(
      paced(
        pacer,
        async () => {
          calls++;
          throw rateLimited(403, "insufficientPermissions");
        },
        limited,
        options,
      ),
    ).rejects.toBeInstanceOf(DriveResponseError);
    expect(calls).toBe(1);
  });
});

describe("gdrive resumable upload", () => {
  it("reads the bytes Drive acknowledged from a 308's Range", () => {
    expect(acknowledged("bytes=0-262143")).toBe(262144);
    expect(acknowledged(null)).toBe(0);
  });
});

describe("gdrive against the Drive emulator", () => {
  let emulator: DriveEmulator;
  let account: ServiceAccountFixture;
  const before = process.env[API_URL_VARIABLE];
  let count = 0;
  let root = "";
  const providers: SiteProvider[] = [];

  function site(config: Record<string, unknown> = {}, siteRoot = root): SiteProvider {
    const paths = [account.credentialsPath];
    const provider = gdriveFactory.create({
      siteName: `gd${count}`,
      config: {
        credentials_url: { windows: paths, linux: paths, darwin: paths },
        roots: siteRoot,
        chunk_size_mib: 0.25,
        requests_per_second: 1000,
        ...config,
      },
      roots: { work: siteRoot },
    });
    providers.push(provider);
    return provider;
  }

  function localFile(size: number): { file: string; data: Buffer } {
    const data = randomBytes(size);
    const file = path.join(tempDir(), "source.bin");
    writeFileSync(file, data);
    return { file, data };
  }

  const creates = () =>
    emulator.calls.filter((call) => call.method === "POST" && call.path === "/drive/v3/files").length;

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

  beforeEach(async () => {
    count++;
    root = `/Studio/t${count}`;
  });

  afterEach(() => {
    emulator.faults.clear();
    providers.splice(0);
  });

  it("names the shared drives the account sees when none has the root's name", async () => {
    emulator.addSharedDrive("Vendor B");
    const check = await site({}, "/Nope/x").isActive();
    expect(check.active).toBe(false);
    if (!check.active) {
      expect(check.reason).toContain("the root /Nope/x: site gd");
      expect(check.reason).toContain('no shared drive named "Nope"');
      expect(check.reason).toContain('"Studio", "Vendor B"');
      expect(check.reason).toContain(account.clientEmail);
    }
  });

  it("says the root is missing, and that the credentials were refused, from isActive", async () => {
    const missing = await site().isActive();
    expect(missing).toEqual({ active: false, reason: `the root ${root} does not exist on the drive` });
    emulator.revoke(account.clientEmail);
    try {
      const refused = await site().isActive();
      expect(refused.active).toBe(false);
      if (!refused.active) {
        expect(refused.reason).toMatch(/^the credentials: Google refused the service account's credentials/);
      }
    } finally {
      emulator.grant(account.clientEmail, account.publicKeyPem);
    }
  });

  it("creates a missing folder once when sixteen transfers need it at the same moment", async () => {
    const provider = site();
    const made = creates();
    await Promise.all(Array.from({ length: 16 }, () => provider.mkdirs(`${root}/a/b/c`)));
    // t<n>, a, b, c: one create each.
    expect(creates() - made).toBe(4);
    const again = creates();
    const { file } = localFile(10);
    await Promise.all(Array.from({ length: 16 }, (_, i) => provider.upload(file, `${root}/a/b/c/f${i}`)));
    expect(creates()).toBe(again);
    expect(await provider.list(`${root}/a/b/c`)).toHaveLength(16);
  });

  it("escapes quotes and backslashes in names end to end", async () => {
    const provider = site();
    const odd = `${root}/it's a \\ "name"`;
    await provider.mkdirs(odd);
    const { file, data } = localFile(100);
    await provider.upload(file, `${odd}/o'neil\\x.ma`);
    expect(await provider.list(odd)).toEqual(["o'neil\\x.ma"]);
    const back = path.join(tempDir(), "back");
    await provider.download(`${odd}/o'neil\\x.ma`, back);
    expect(readFileSync(back).equals(data)).toBe(true);
  });

  it("refuses to pick between two items with the same name, naming the path, once its listing is renewed", async () => {
    const provider = site();
    const { file } = localFile(5);
    await provider.mkdirs(root);
    await provider.upload(file, `${root}/twin.ma`);
    const [twin] = [...emulator.state.values()].filter((item) => item.name === "twin.ma");
    if (!twin) throw new Error("no twin");
    emulator.state.set(`${twin.id}x`, { ...twin, id: `${twin.id}x` });
    // Made behind the provider's back: its listing does not know yet (site-cache.ts, LISTING_TTL_MS).
    expect(await provider.stat(`${root}/twin.ma`)).toMatchObject({ size: 5 });
    const error = await later(LISTING_TTL_MS + 1, () => provider.stat(`${root}/twin.ma`)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as Error).message).toBe(
      `${root}/twin.ma is ambiguous on site gd${count}: Drive holds 2 items with that name in one folder; ` +
        "keep one (rename or remove the others in Drive)",
    );
  });

  it("costs one request per new folder, one per small file uploaded and one per rename, and none for the stat", async () => {
    const provider = site({ chunk_size_mib: 1 });
    await provider.mkdirs(root);
    const seen = emulator.calls.length;
    await provider.mkdirs(`${root}/plate/v001`);
    const { file, data } = localFile(300 * 1024);
    for (const name of ["a", "b", "c"]) {
      const temp = `${root}/plate/v001/.${name}.part`;
      await provider.upload(file, temp, { direct: true, hash: "sha256" });
      expect(await provider.stat(temp)).toMatchObject({ size: data.length, isDirectory: false });
      await provider.rename(temp, `${root}/plate/v001/${name}.exr`, { overwrite: true });
    }
    const calls = emulator.calls
      .slice(seen)
      .map((call) => `${call.method} ${call.query.uploadType ?? call.path}`);
    expect(calls).toEqual([
      "POST /drive/v3/files",
      "POST /drive/v3/files",
      ...["a", "b", "c"].flatMap(() => [
        "POST multipart",
        expect.stringMatching(/^PATCH \/drive\/v3\/files\//),
      ]),
    ]);
    const back = path.join(tempDir(), "back");
    const before = emulator.calls.length;
    await provider.download(`${root}/plate/v001/b.exr`, back);
    expect(emulator.calls.slice(before).map((call) => call.query.alt)).toEqual(["media"]);
    expect(readFileSync(back).equals(data)).toBe(true);
    expect(await provider.list(`${root}/plate/v001`)).toEqual(["a.exr", "b.exr", "c.exr"]);
  });

  it("sees an item another client made: at once when a download needs it, in listings after the bound", async () => {
    const provider = site();
    const other = site();
    await provider.mkdirs(`${root}/plate`);
    expect(await provider.list(`${root}/plate`)).toEqual([]);
    // Another machine: its own process, so its own cache (a different site name here).
    const elsewhere = gdriveFactory.create({
      siteName: `elsewhere${count}`,
      config: {
        credentials_url: { windows: [], linux: [account.credentialsPath], darwin: [account.credentialsPath] },
        roots: root,
      },
      roots: { work: root },
    });
    const { file, data } = localFile(10);
    await elsewhere.upload(file, `${root}/plate/new.ma`);
    await elsewhere.upload(file, `${root}/plate/listed.ma`);
    expect(await other.list(`${root}/plate`)).toEqual([]);
    const back = path.join(tempDir(), "back");
    await provider.download(`${root}/plate/new.ma`, back);
    expect(readFileSync(back).equals(data)).toBe(true);
    expect(await later(LISTING_TTL_MS + 1, () => provider.list(`${root}/plate`))).toEqual([
      "listed.ma",
      "new.ma",
    ]);
  });

  it("finds a root made in Drive after its folder was listed, without waiting for the bound", async () => {
    const provider = site();
    expect(await provider.isActive()).toEqual({
      active: false,
      reason: `the root ${root} does not exist on the drive`,
    });
    const elsewhere = gdriveFactory.create({
      siteName: `elsewhere${count}`,
      config: {
        credentials_url: { windows: [], linux: [account.credentialsPath], darwin: [account.credentialsPath] },
        roots: root,
      },
      roots: { work: root },
    });
    await elsewhere.mkdirs(root);
    expect(await provider.isActive()).toEqual({ active: true });
  });

  it("does not make a folder twice when another client made it after the listing", async () => {
    const provider = site();
    await provider.mkdirs(root);
    expect(await provider.list(root)).toEqual([]);
    const elsewhere = gdriveFactory.create({
      siteName: `elsewhere${count}`,
      config: {
        credentials_url: { windows: [], linux: [account.credentialsPath], darwin: [account.credentialsPath] },
        roots: root,
      },
      roots: { work: root },
    });
    await elsewhere.mkdirs(`${root}/shared`);
    await later(CREATE_CHECK_MS + 1, () => provider.mkdirs(`${root}/shared/v001`));
    const shared = [...emulator.state.values()].filter((item) => item.name === "shared");
    expect(shared).toHaveLength(1);
    expect(await elsewhere.list(`${root}/shared`)).toEqual([]);
    expect(await later(LISTING_TTL_MS + 1, () => elsewhere.list(`${root}/shared`))).toEqual(["v001"]);
  });

  it("uploads in resumable chunks and resumes from the last acknowledged byte after a dropped connection", async () => {
    const provider = site();
    await provider.mkdirs(root);
    const size = 1024 * 1024 + 100;
    const { file, data } = localFile(size);
    const seen = emulator.calls.length;
    emulator.faults.dropUploadAfter(100 * 1024);
    const progress: number[] = [];
    const put = await provider.upload(file, `${root}/big.bin`, {
      hash: "sha256",
      onProgress: (done) => progress.push(done),
    });
    expect(put.size).toBe(size);
    const puts = emulator.calls.slice(seen).filter((call) => call.method === "PUT");
    // The cut request, the status query, then 256 KiB requests from the 100 KiB Drive kept, and the tail.
    expect(puts.length).toBe(6);
    const back = path.join(tempDir(), "back");
    const got = await provider.download(`${root}/big.bin`, back, { hash: "sha256" });
    expect(got.hash).toBe(put.hash);
    expect(readFileSync(back).equals(data)).toBe(true);
    expect(progress.at(-1)).toBe(size);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it("overwrites by giving the existing file new content: same id, no second name", async () => {
    const provider = site();
    await provider.mkdirs(root);
    await provider.upload(localFile(10).file, `${root}/f.ma`);
    const first = [...emulator.state.values()].find((item) => item.name === "f.ma" && item.size === 10);
    const { file, data } = localFile(20);
    await provider.upload(file, `${root}/f.ma`, { overwrite: true });
    const now = [...emulator.state.values()].filter(
      (item) => item.name === "f.ma" && item.parents.includes(first?.parents[0] ?? ""),
    );
    expect(now.map((item) => [item.id, item.size])).toEqual([[first?.id, 20]]);
    expect(now[0]?.content.equals(data)).toBe(true);
  });

  it("backs off on 403 userRateLimitExceeded and 429, honouring Retry-After", async () => {
    const provider = site();
    await provider.mkdirs(root);
    emulator.faults.rateLimit(2, "403", 0);
    await provider.mkdirs(`${root}/a`);
    emulator.faults.rateLimit(1, "429", 1);
    const started = Date.now();
    await provider.mkdirs(`${root}/b`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(await provider.list(root)).toEqual(["a", "b"]);
  });

  it("fails permanently on a permission error, with Google's reason and the account to share with", async () => {
    const provider = site();
    await provider.mkdirs(`${root}/locked`);
    const folder = [...emulator.state.values()].find(
      (item) => item.name === "locked" && item.mimeType === FOLDER_MIME,
    );
    emulator.faults.forbid(folder?.id ?? "");
    const { file } = localFile(10);
    const error = await provider.upload(file, `${root}/locked/f.ma`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as Error).message).toContain("permission denied: insufficientPermissions");
    expect((error as Error).message).toContain(`${root}/locked/f.ma on site gd${count}`);
    expect((error as Error).message).toContain(`with the service account ${account.clientEmail}`);
    expect((error as Error).message).not.toContain("PRIVATE KEY");
  });

  it("looks a folder up again when it was removed in Drive since it was remembered", async () => {
    const provider = site();
    await provider.mkdirs(`${root}/shot`);
    const { file } = localFile(10);
    await provider.upload(file, `${root}/shot/a.ma`);
    const shot = [...emulator.state.values()].find(
      (item) => item.name === "shot" && item.mimeType === FOLDER_MIME,
    );
    for (const item of [...emulator.state.values()])
      if (item.id === shot?.id || item.parents.includes(shot?.id ?? "")) emulator.state.delete(item.id);
    const error = await provider.upload(file, `${root}/shot/b.ma`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(true);
    expect((error as Error).message).toContain("a folder was removed meanwhile");
    await provider.mkdirs(`${root}/shot`);
    await provider.upload(file, `${root}/shot/b.ma`);
    expect(await provider.list(`${root}/shot`)).toEqual(["b.ma"]);
  });

  it("says a missing file is missing, permanently", async () => {
    const provider = site();
    await provider.mkdirs(root);
    const error = await provider
      .download(`${root}/ghost.ma`, path.join(tempDir(), "g"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as Error).message).toBe(`${root}/ghost.ma is missing on site gd${count}`);
  });
});
