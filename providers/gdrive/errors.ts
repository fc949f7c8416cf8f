/**
 * Google Drive failures as the engine and people need them: what we were
 * doing, on which site, why in plain words, and whether retrying helps
 * (providers/README.md, rule 4; providers/sftp/errors.ts is the model). Drive
 * answers with an HTTP status and a `reason` (`userRateLimitExceeded`,
 * `insufficientPermissions`, `notFound`...); googleapis (gaxios) and this
 * provider's own requests (upload.ts, download.ts) carry them differently, so
 * both are read into one `DriveFault` first. Google's words are kept only
 * after ours, and never a library's method names.
 */
import { ProviderError } from "../../lib/errors.js";
import { NETWORK_WORDS } from "../shared/network-words.js";

/** What a failed request said, whichever client made it. */
export interface DriveFault {
  status?: number;
  /** Google's `error.errors[0].reason`, e.g. `rateLimitExceeded`. */
  reason?: string;
  /** Google's `error.message`, or the network error's. */
  message: string;
  /** A network error's code (ECONNREFUSED...). */
  code?: string;
  /** From a `Retry-After` header, in milliseconds. */
  retryAfterMs?: number;
}

/** A failed response of this provider's own requests (uploads, downloads). */
export class DriveResponseError extends Error {
  constructor(readonly fault: DriveFault) {
    super(fault.message);
    this.name = "DriveResponseError";
  }
}

/** Google's error body: `{error: {code, message, errors: [{reason}]}}`, or for some answers `{error: "..."}`. */
export function faultOfBody(status: number, body: unknown, retryAfter?: string | null): DriveFault {
  const error = (body as { error?: unknown } | null)?.error;
  const detail = typeof error === "object" && error ? (error as Record<string, unknown>) : {};
  const first = Array.isArray(detail.errors)
    ? (detail.errors[0] as Record<string, unknown> | undefined)
    : undefined;
  const reason = typeof first?.reason === "string" ? first.reason : undefined;
  const message =
    typeof detail.message === "string"
      ? detail.message
      : typeof error === "string"
        ? error
        : `HTTP ${status}`;
  const fault: DriveFault = { status, message, ...(reason ? { reason } : {}) };
  const wait = retryAfterMs(retryAfter);
  return wait === undefined ? fault : { ...fault, retryAfterMs: wait };
}

/** `Retry-After` as seconds or an HTTP date. */
export function retryAfterMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function headerOf(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : null;
}

/** The network code of an error or of one of its causes (fetch hides it in `cause`). */
function networkCode(error: unknown): string | undefined {
  for (let at: unknown = error, depth = 0; at && depth < 5; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$|^UND_ERR/.test(code)) return code;
    at = (at as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Reads any thrown value (a GaxiosError, a DriveResponseError, a fetch TypeError) into a DriveFault. */
export function faultOf(error: unknown): DriveFault {
  if (error instanceof DriveResponseError) return error.fault;
  const response = (error as { response?: { status?: unknown; data?: unknown; headers?: unknown } } | null)
    ?.response;
  if (response && typeof response.status === "number") {
    return faultOfBody(response.status, response.data, headerOf(response.headers, "retry-after"));
  }
  const code = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? { message, code } : { message };
}

const RATE_LIMITS = new Set(["userRateLimitExceeded", "rateLimitExceeded"]);

/** Google asks us to slow down: retried here after a pause (pacer.ts), not failed. */
export function isRateLimit(fault: DriveFault): boolean {
  return fault.status === 429 || (fault.status === 403 && RATE_LIMITS.has(fault.reason ?? ""));
}

interface Reason {
  text: string;
  permanent: boolean;
}

/** Why a Drive request failed, in plain words, and whether waiting can help. */
export function reasonOf(fault: DriveFault, account?: string): Reason {
  const google = fault.message ? ` (Google: ${fault.message})` : "";
  if (fault.code)
    return { text: NETWORK_WORDS[fault.code] ?? `network error ${fault.code}`, permanent: false };
  if (isRateLimit(fault)) return { text: `Google's rate limit was reached${google}`, permanent: false };
  const status = fault.status ?? 0;
  const permission =
    fault.reason === "insufficientPermissions" ||
    fault.reason === "forbidden" ||
    /has not granted|insufficient permission/i.test(fault.message);
  if (status === 403 && permission) {
    const share = account
      ? `; share the folder (or add the shared drive's member) with the service account ${account}`
      : "";
    return { text: `permission denied: ${fault.reason ?? "forbidden"}${google}${share}`, permanent: true };
  }
  if (status === 403 && /quota/i.test(`${fault.reason} ${fault.message}`))
    return { text: `the storage quota is exceeded${google}`, permanent: true };
  if (status === 401)
    return { text: `Google refused the service account's credentials${google}`, permanent: true };
  if (status === 404) return { text: `not found${google}`, permanent: true };
  if (status === 400) return { text: `Drive refused the request${google}`, permanent: true };
  if (status >= 500) return { text: `Drive had a server error (HTTP ${status})${google}`, permanent: false };
  if (status === 408) return { text: "Drive timed out", permanent: false };
  if (status) return { text: `Drive answered HTTP ${status}${google}`, permanent: status === 403 };
  return { text: fault.message || "unknown error", permanent: false };
}

/**
 * The ProviderError for a failed Drive request: "<reason> <doing> on site
 * <site>", e.g. "permission denied: insufficientPermissions (...) creating
 * folder /My Drive/x on site gd; share the folder with ...".
 */
export function driveError(error: unknown, doing: string, site: string, account?: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const { text, permanent } = reasonOf(faultOf(error), account);
  const [why, share] = text.split("; share");
  const tail = share ? `; share${share}` : "";
  return new ProviderError(`${why} ${doing} on site ${site}${tail}`, !permanent, { cause: error });
}
