/**
 * Every request of a gdrive site goes through here: paced by the site's
 * pacer, retried while Google rate-limits it, and its failure turned into a
 * ProviderError that says what was being done (errors.ts). Metadata goes
 * through googleapis' Drive v3 client; uploads and downloads are this
 * provider's own HTTP requests (`fetch`) signed by the same client, because
 * googleapis' media calls neither resume nor take the global `rootUrl`.
 *
 * SITESYNC_GDRIVE_API_URL replaces Google's base URL
 * (https://www.googleapis.com/) for every request: for tests against an
 * emulator, and for studios behind a proxy.
 */
import type { Auth, drive_v3 } from "googleapis";
import type { ProviderError } from "../../lib/errors.js";
import { jwtClient, type ServiceAccount } from "./auth.js";
import { DriveResponseError, driveError, faultOf, faultOfBody, isRateLimit } from "./errors.js";
import { type BackoffOptions, DEFAULT_BACKOFF, type Pacer, paced } from "./pacer.js";

export const API_URL_VARIABLE = "SITESYNC_GDRIVE_API_URL";

export function apiBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env[API_URL_VARIABLE] || "https://www.googleapis.com/";
  return url.endsWith("/") ? url : `${url}/`;
}

/** The fields this provider reads of a file or folder. */
export const ITEM_FIELDS = "id,name,mimeType,size,modifiedTime,md5Checksum";

/**
 * Per-call options of every googleapis request: the base URL (googleapis
 * builds a call's URLs from its own `rootUrl`), and no retry of gaxios' own
 * (it retries 429 and 5xx without reading Retry-After and outside the
 * site's pacer; paced() does it instead).
 */
interface CallOptions {
  rootUrl: string;
  retry: false;
  signal?: AbortSignal;
}

export interface DriveItem {
  id: string;
  name: string;
  mimeType: string;
  size?: string;
  modifiedTime?: string;
  md5Checksum?: string;
}

export class DriveClient {
  private constructor(
    readonly site: string,
    readonly account: ServiceAccount,
    readonly base: string,
    private readonly drive: drive_v3.Drive,
    private readonly auth: Auth.JWT,
    private readonly pacer: Pacer,
    private readonly backoff: BackoffOptions,
  ) {}

  static async open(
    site: string,
    account: ServiceAccount,
    pacer: Pacer,
    backoff: BackoffOptions = DEFAULT_BACKOFF,
  ): Promise<DriveClient> {
    const { google } = await import("googleapis");
    const auth = await jwtClient(account);
    const base = apiBaseUrl();
    const drive = google.drive({ version: "v3", auth, rootUrl: base });
    return new DriveClient(site, account, base, drive, auth, pacer, backoff);
  }

  private limited = (error: unknown) => {
    const fault = faultOf(error);
    return isRateLimit(fault)
      ? { ...(fault.retryAfterMs !== undefined ? { retryAfterMs: fault.retryAfterMs } : {}) }
      : undefined;
  };

  fail(error: unknown, doing: string): ProviderError {
    return driveError(error, doing, this.site, this.account.email);
  }

  /** A metadata request through googleapis. `doing`: "creating folder /My Drive/x". */
  async call<T>(
    doing: string,
    request: (drive: drive_v3.Drive, options: CallOptions) => Promise<{ data: T }>,
    signal?: AbortSignal,
  ): Promise<T> {
    try {
      const response = await paced(
        this.pacer,
        () => request(this.drive, { rootUrl: this.base, retry: false, ...(signal ? { signal } : {}) }),
        this.limited,
        this.backoff,
        signal,
      );
      return response.data;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw this.fail(error, doing);
    }
  }

  /**
   * One HTTP request of this provider's own, signed. A status in `accept`
   * (besides 2xx) is returned to the caller (308 for a resumable upload);
   * any other failure is thrown as a DriveResponseError, for the caller to
   * word with `fail`. `makeInit` is called for every attempt.
   */
  async fetch(
    url: string,
    makeInit: () => RequestInit,
    signal?: AbortSignal,
    accept: readonly number[] = [],
  ): Promise<Response> {
    return paced(
      this.pacer,
      async () => {
        // A fresh body for every attempt: a stream sent once cannot be sent again after a rate limit.
        const init = makeInit();
        const auth = await this.auth.getRequestHeaders(url);
        const headers = new Headers(init.headers);
        auth.forEach((value, key) => {
          headers.set(key, value);
        });
        const response = await fetch(url, { ...init, headers, ...(signal ? { signal } : {}) });
        if (response.ok || accept.includes(response.status)) return response;
        const text = await response.text().catch(() => "");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          body = { error: text.slice(0, 200) || `HTTP ${response.status}` };
        }
        throw new DriveResponseError(faultOfBody(response.status, body, response.headers.get("retry-after")));
      },
      this.limited,
      this.backoff,
      signal,
    );
  }
}
