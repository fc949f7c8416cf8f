/**
 * The gdrive provider's own behaviour (the shared contract runs in
 * test/providers/conformance.test.ts): settings and credentials, drive
 * paths, `q` escaping, how Google's failures are worded and classified, the
 * pacer, and the resumable upload's bookkeeping.
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../lib/errors.js";
import { KNOWN_PROVIDER_BLOCKS } from "../../lib/settings/schema.js";
import { findCredentials, jwtClient, readServiceAccount } from "../../providers/gdrive/auth.js";
import { API_URL_VARIABLE, apiBaseUrl } from "../../providers/gdrive/client.js";
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
import { parseDrivePath } from "../../providers/gdrive/paths.js";
import { childNamed, quote } from "../../providers/gdrive/query.js";
import { acknowledged } from "../../providers/gdrive/upload.js";
import { getProviderFactory } from "../../providers/registry.js";
import { tempDir } from "../helpers/tmp.js";

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
