/**
 * The dropbox provider's pure parts: the token setting, site paths, how Dropbox's answers are read and
 * classified, the pause after a rate limit, and Dropbox's content_hash at its block boundaries.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../lib/errors.js";
import { backoffDelay, DEFAULT_BACKOFF } from "../../providers/dropbox/client.js";
import { ContentHasher } from "../../providers/dropbox/content-hash.js";
import { parseToken } from "../../providers/dropbox/credentials.js";
import { dropboxError, faultOfBody, hasTags, isRateLimit } from "../../providers/dropbox/errors.js";
import { dropboxBases, rewrite } from "../../providers/dropbox/http.js";
import { dropboxPath } from "../../providers/dropbox/index.js";
import { dropboxContentHash } from "./emulator.js";

describe("the token setting", () => {
  it("reads app_key:app_secret:refresh_token, app_key:refresh_token and an sl. access token", () => {
    expect(parseToken(" key:secret:refresh ", "s")).toEqual({
      kind: "refresh",
      appKey: "key",
      appSecret: "secret",
      refreshToken: "refresh",
    });
    expect(parseToken("key:refresh", "s")).toEqual({
      kind: "refresh",
      appKey: "key",
      refreshToken: "refresh",
    });
    expect(parseToken("sl.abc:def", "s")).toEqual({ kind: "access", accessToken: "sl.abc:def" });
  });

  it("refuses a value of another shape, permanently, without repeating it", () => {
    for (const value of ["refresh-only", "a::b", "a:b:c:d", ":b"]) {
      let error: unknown;
      try {
        parseToken(value, "site1");
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).retryable).toBe(false);
      expect((error as Error).message).toContain('dropbox site "site1"');
      expect((error as Error).message.includes(value)).toBe(false);
    }
  });
});

describe("site paths and base URLs", () => {
  it("writes paths as Dropbox does: a leading slash, none at the end, the root as the empty string", () => {
    expect(dropboxPath("/Projects/a/")).toBe("/Projects/a");
    expect(dropboxPath("Projects//a")).toBe("/Projects/a");
    expect(dropboxPath("/")).toBe("");
    expect(dropboxPath("")).toBe("");
  });

  it("rewrites the SDK's fixed hosts to the configured bases, and leaves other URLs alone", () => {
    const bases = dropboxBases({
      SITESYNC_DROPBOX_API_URL: "http://proxy:8080/api/",
      SITESYNC_DROPBOX_CONTENT_URL: "http://proxy:8080/content",
    });
    expect(rewrite("https://api.dropboxapi.com/2/files/list_folder", bases)).toBe(
      "http://proxy:8080/api/2/files/list_folder",
    );
    expect(rewrite("https://api.dropboxapi.com/oauth2/token", bases)).toBe(
      "http://proxy:8080/api/oauth2/token",
    );
    expect(rewrite("https://content.dropboxapi.com/2/files/upload", bases)).toBe(
      "http://proxy:8080/content/2/files/upload",
    );
    expect(rewrite("https://example.com/x", bases)).toBe("https://example.com/x");
    expect(dropboxBases({})).toEqual({
      api: "https://api.dropboxapi.com",
      content: "https://content.dropboxapi.com",
    });
  });
});

describe("Dropbox's answers", () => {
  it("reads endpoint, OAuth, plain-text and rate-limit bodies, and the wait Dropbox asks for", () => {
    const notFound = faultOfBody(409, {
      error_summary: "path/not_found/..",
      error: { ".tag": "path", path: { ".tag": "not_found" } },
    });
    expect(hasTags(notFound, "path", "not_found")).toBe(true);
    expect(hasTags(notFound, "path", "not")).toBe(false);
    expect(
      hasTags(faultOfBody(400, { error: "invalid_grant", error_description: "x" }), "invalid_grant"),
    ).toBe(true);
    expect(faultOfBody(400, "Error in call to API function").text).toBe("Error in call to API function");
    const limited = faultOfBody(429, { error_summary: "too_many_requests/..", error: { retry_after: 7 } });
    expect(limited.retryAfterMs).toBe(7000);
    expect(faultOfBody(429, {}, "3").retryAfterMs).toBe(3000);
    expect(isRateLimit(faultOfBody(409, { error_summary: "path/too_many_write_operations/.." }))).toBe(true);
  });

  it("classifies failures: what is permanent, what is worth another pass", () => {
    const cases: Array<[unknown, boolean, string]> = [
      [
        { name: "DropboxResponseError", status: 409, error: { error_summary: "path/conflict/file/.." } },
        false,
        "in the way",
      ],
      [
        { name: "DropboxResponseError", status: 409, error: { error_summary: "path/insufficient_space/.." } },
        false,
        "full",
      ],
      [
        { name: "DropboxResponseError", status: 401, error: { error_summary: "invalid_access_token/.." } },
        false,
        "token",
      ],
      [
        { name: "DropboxResponseError", status: 401, error: { error_summary: "missing_scope/.." } },
        false,
        "permission",
      ],
      [
        { name: "DropboxResponseError", status: 422, error: { error_summary: "no_permission/.." } },
        false,
        "team folder",
      ],
      [{ name: "DropboxResponseError", status: 503, error: "" }, true, "server error"],
      [
        { name: "DropboxResponseError", status: 429, error: { error_summary: "too_many_requests/.." } },
        true,
        "rate limit",
      ],
      [
        Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } }),
        true,
        "connection lost",
      ],
    ];
    for (const [error, retryable, says] of cases) {
      const wrapped = dropboxError(error, "listing /p", "db");
      expect(wrapped.retryable, says).toBe(retryable);
      expect(wrapped.message).toContain(says);
      expect(wrapped.message).toContain("listing /p on site db");
    }
  });

  it("waits as Retry-After says (capped), or doubles its pause without it", () => {
    expect(backoffDelay(3, 5000, DEFAULT_BACKOFF)).toBe(5000);
    expect(backoffDelay(0, 10 * 60_000, DEFAULT_BACKOFF)).toBe(DEFAULT_BACKOFF.maxMs);
    const first = backoffDelay(0, undefined, DEFAULT_BACKOFF);
    expect(first).toBeGreaterThanOrEqual(1000);
    expect(first).toBeLessThan(2000);
    expect(backoffDelay(2, undefined, DEFAULT_BACKOFF)).toBeGreaterThanOrEqual(4000);
  });
});

describe("content_hash", () => {
  it("agrees with the emulator's at and around the 4 MiB block boundary, fed in any pieces", () => {
    const block = 4 * 1024 * 1024;
    for (const size of [0, 1, block - 1, block, block + 1, 2 * block]) {
      const data = randomBytes(size);
      const pieces = new ContentHasher();
      for (let at = 0; at < size; at += 1_000_003) pieces.update(data.subarray(at, at + 1_000_003));
      expect(pieces.digest(), `size ${size}`).toBe(dropboxContentHash(data));
    }
    // One block: the sha256 of the block's sha256.
    const one = Buffer.from("abc");
    const inner = createHash("sha256").update(one).digest();
    expect(new ContentHasher().update(one).digest()).toBe(createHash("sha256").update(inner).digest("hex"));
  });
});
