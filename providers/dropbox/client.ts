/**
 * Every request of a dropbox site goes through here: with a fresh access
 * token (credentials.ts), as the team member and in the team folder the
 * settings name (`Dropbox-API-Select-User`, `Dropbox-API-Path-Root`), retried
 * after Dropbox's `Retry-After` (or an exponential pause) while it
 * rate-limits, and once after a new token when Dropbox says the token
 * expired. RPC and upload routes go through the official SDK; downloads are
 * this provider's own request (`content`), because the SDK reads a whole
 * download into memory before handing it over.
 */
import type { Dropbox, DropboxResponse } from "dropbox";
import type { ProviderError } from "../../lib/errors.js";
import type { AccessTokens } from "./credentials.js";
import {
  DropboxHttpError,
  dropboxError,
  faultOf,
  faultOfBody,
  isExpiredToken,
  isRateLimit,
} from "./errors.js";
import { type DropboxBases, headerSafeJson, type SdkFetch, sdkFetch } from "./http.js";

export interface BackoffOptions {
  /** Attempts in all while rate-limited, the first included. */
  attempts: number;
  /** The first pause when Dropbox gives no Retry-After, doubled after each. */
  baseMs: number;
  maxMs: number;
  /** How to wait (tests record the pauses asked for). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

export const DEFAULT_BACKOFF: BackoffOptions = { attempts: 8, baseMs: 1000, maxMs: 60_000, sleep };

/** Pause before attempt `attempt + 1`: Dropbox's Retry-After wins; otherwise 2^n base plus jitter. */
export function backoffDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxMs);
  return Math.min(options.baseMs * 2 ** attempt + Math.random() * options.baseMs, options.maxMs);
}

/** Which member and which namespace the site's file requests act in. */
export interface Acting {
  /** `Dropbox-API-Select-User`: the member a team token acts as. */
  selectUser?: string;
  /** `Dropbox-API-Path-Root`: the team folder's namespace. */
  pathRoot?: string;
}

type DropboxClass = typeof Dropbox;

export class DropboxClient {
  acting: Acting = {};

  constructor(
    readonly site: string,
    private readonly sdk: DropboxClass,
    private readonly bases: DropboxBases,
    private readonly tokens: AccessTokens,
    private readonly backoff: BackoffOptions,
  ) {}

  static async open(
    site: string,
    bases: DropboxBases,
    tokens: AccessTokens,
    backoff: BackoffOptions,
  ): Promise<DropboxClient> {
    // Loaded on first use, so registering the provider costs nothing.
    const { Dropbox } = await import("dropbox");
    return new DropboxClient(site, Dropbox, bases, tokens, backoff);
  }

  fail(error: unknown, doing: string): ProviderError {
    return dropboxError(error, doing, this.site);
  }

  /** Runs `request` with a token; retries it while rate-limited, and once after an expired token. */
  private async retried<T>(request: (token: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(signal);
      try {
        return await request(token);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const fault = faultOf(error);
        if (isExpiredToken(fault) && !renewed) {
          renewed = true;
          this.tokens.expired(token);
          continue;
        }
        if (!isRateLimit(fault) || attempt + 1 >= this.backoff.attempts) throw error;
        await this.backoff.sleep(backoffDelay(attempt, fault.retryAfterMs, this.backoff), signal);
      }
    }
  }

  /**
   * One SDK call, as the site's member (`team`: as the team, for team routes).
   * `call` is made again for every attempt, so a streamed body is fresh each
   * time. Throws what the SDK threw; `fail` words it.
   */
  async call<T>(
    call: (dbx: Dropbox) => Promise<DropboxResponse<T>>,
    options: { signal?: AbortSignal; team?: boolean } = {},
  ): Promise<T> {
    const { signal } = options;
    const acting = options.team ? {} : this.acting;
    const response = await this.retried(
      (token) =>
        call(
          new this.sdk({
            accessToken: token,
            fetch: sdkFetch(this.bases, signal) as SdkFetch,
            ...(acting.selectUser ? { selectUser: acting.selectUser } : {}),
            ...(acting.pathRoot ? { pathRoot: acting.pathRoot } : {}),
          }),
        ),
      signal,
    );
    return response.result;
  }

  /** A content route of this provider's own (a download): the response, its body not read yet. */
  async content(route: string, arg: unknown, signal?: AbortSignal): Promise<Response> {
    return this.retried(async (token) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        "dropbox-api-arg": headerSafeJson(arg),
      };
      if (this.acting.selectUser) headers["dropbox-api-select-user"] = this.acting.selectUser;
      if (this.acting.pathRoot) headers["dropbox-api-path-root"] = this.acting.pathRoot;
      const response = await fetch(`${this.bases.content}/2/${route}`, {
        method: "POST",
        headers,
        ...(signal ? { signal } : {}),
      });
      if (response.ok) return response;
      const text = await response.text().catch(() => "");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Plain text (Dropbox's 400s).
      }
      throw new DropboxHttpError(faultOfBody(response.status, body, response.headers.get("retry-after")));
    }, signal);
  }
}
