/**
 * Dropbox failures as the engine and people need them (providers/README.md,
 * rule 4): what was being done, on which site, why in plain words, and
 * whether retrying helps. Dropbox answers a route's own errors with 409 and
 * `{error_summary: "path/not_found/..", error: {".tag": ...}}`, auth errors
 * with 401, rate limits with 429 (or a `too_many_write_operations` error)
 * and `Retry-After`; the SDK throws them as a DropboxResponseError, this
 * provider's own requests (token, download) as a DropboxHttpError, and
 * network failures come as fetch's TypeError. All are read into one
 * DropboxFault first. No message ever holds a token or the app secret: the
 * requests that carry them put them in headers and bodies, never in a URL.
 */
import { ProviderError } from "../../lib/errors.js";
import { NETWORK_WORDS } from "../shared/network-words.js";

export interface DropboxFault {
  status?: number;
  /** Dropbox's `error_summary`, e.g. "path/not_found/.."; for an OAuth error, its `error`. */
  summary?: string;
  /** Dropbox's `error` union value. */
  error?: Record<string, unknown>;
  /** A plain-text answer (400s), shortened. */
  text?: string;
  /** A network error's code (ECONNREFUSED...). */
  code?: string;
  retryAfterMs?: number;
  message: string;
}

/** A failed answer of this provider's own requests. */
export class DropboxHttpError extends Error {
  constructor(readonly fault: DropboxFault) {
    super(fault.message);
    this.name = "DropboxHttpError";
  }
}

/** `Retry-After` as seconds or an HTTP date. */
export function retryAfterMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A failed answer's body (parsed JSON or text) read into a fault. */
export function faultOfBody(status: number, body: unknown, retryAfter?: string | null): DropboxFault {
  const fault: DropboxFault = { status, message: `HTTP ${status}` };
  if (typeof body === "string") {
    if (body) fault.text = body.slice(0, 300);
  } else if (body && typeof body === "object") {
    const json = body as Record<string, unknown>;
    if (typeof json.error_summary === "string") fault.summary = json.error_summary;
    if (json.error && typeof json.error === "object") fault.error = json.error as Record<string, unknown>;
    // OAuth's shape: {error: "invalid_grant", error_description: "..."}.
    if (typeof json.error === "string") {
      fault.summary = json.error;
      if (typeof json.error_description === "string") fault.text = json.error_description.slice(0, 300);
    }
  }
  const wait = retryAfterMs(retryAfter);
  if (wait !== undefined) fault.retryAfterMs = wait;
  else {
    // Dropbox also says it in the body: {error: {retry_after: s}}.
    const inBody = fault.error?.retry_after;
    if (typeof inBody === "number") fault.retryAfterMs = inBody * 1000;
  }
  return fault;
}

function networkCode(error: unknown): string | undefined {
  for (let at: unknown = error, depth = 0; at && depth < 5; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$|^UND_ERR/.test(code)) return code;
    at = (at as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Any thrown value (the SDK's DropboxResponseError, a DropboxHttpError, fetch's TypeError) as a fault. */
export function faultOf(error: unknown): DropboxFault {
  if (error instanceof DropboxHttpError) return error.fault;
  const sdk = error as { name?: unknown; status?: unknown; error?: unknown; headers?: unknown } | null;
  if (sdk && sdk.name === "DropboxResponseError" && typeof sdk.status === "number") {
    const headers = sdk.headers as { get?: (name: string) => string | null } | undefined;
    return faultOfBody(sdk.status, sdk.error, headers?.get?.("retry-after"));
  }
  const code = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? { message, code } : { message };
}

/** Whether Dropbox's summary starts with these tags: `hasTags(f, "path", "not_found")`. */
export function hasTags(fault: DropboxFault, ...tags: string[]): boolean {
  const want = tags.join("/");
  const summary = fault.summary ?? "";
  return summary === want || summary.startsWith(`${want}/`);
}

/** Dropbox asks us to slow down: retried after a pause (client.ts), not failed. */
export function isRateLimit(fault: DropboxFault): boolean {
  return fault.status === 429 || /too_many_(requests|write_operations)/.test(fault.summary ?? "");
}

export function isExpiredToken(fault: DropboxFault): boolean {
  return fault.status === 401 && hasTags(fault, "expired_access_token");
}

/** A request that may or may not have reached Dropbox whole: a dropped connection or a server error. */
export function isTransient(fault: DropboxFault): boolean {
  return fault.code !== undefined || (fault.status ?? 0) >= 500;
}

/** Why a request failed, in plain words, and whether waiting can help. */
export function reasonOf(fault: DropboxFault): { text: string; permanent: boolean } {
  const said = fault.summary ? ` (Dropbox: ${fault.summary})` : fault.text ? ` (Dropbox: ${fault.text})` : "";
  if (fault.code)
    return { text: NETWORK_WORDS[fault.code] ?? `network error ${fault.code}`, permanent: false };
  if (isRateLimit(fault)) return { text: `Dropbox's rate limit was reached${said}`, permanent: false };
  const status = fault.status ?? 0;
  if (status === 401) {
    if (hasTags(fault, "missing_scope"))
      return {
        text: `the Dropbox app lacks a permission${said}; add it in the app's console and make a new token`,
        permanent: true,
      };
    return {
      text: `Dropbox refused the access token${said}; check the site's dropbox.token`,
      permanent: true,
    };
  }
  if (status === 409) {
    const summary = fault.summary ?? "";
    if (/(^|\/)not_found\//.test(summary)) return { text: `not found${said}`, permanent: true };
    if (/(^|\/)conflict\//.test(summary)) return { text: `something is in the way${said}`, permanent: true };
    if (/insufficient_space/.test(summary)) return { text: `the Dropbox is full${said}`, permanent: true };
    if (/no_write_permission|insufficient_permissions|team_folder/.test(summary))
      return { text: `permission denied${said}`, permanent: true };
    return { text: `Dropbox refused it${said}`, permanent: true };
  }
  if (status === 422) return { text: `the team folder is out of the member's reach${said}`, permanent: true };
  if (status === 400) return { text: `Dropbox refused the request${said}`, permanent: true };
  if (status === 403) return { text: `access denied${said}`, permanent: true };
  if (status >= 500) return { text: `Dropbox had a server error (HTTP ${status})${said}`, permanent: false };
  if (status) return { text: `Dropbox answered HTTP ${status}${said}`, permanent: false };
  return { text: fault.message || "unknown error", permanent: false };
}

/** "<reason> <doing> on site <site>", e.g. "not found (Dropbox: path/not_found/..) renaming /a to /b on site db". */
export function dropboxError(error: unknown, doing: string, site: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const { text, permanent } = reasonOf(faultOf(error));
  const [why, advice] = text.split("; ");
  return new ProviderError(`${why} ${doing} on site ${site}${advice ? `; ${advice}` : ""}`, !permanent, {
    cause: error,
  });
}
