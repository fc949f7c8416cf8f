// Errors in the shapes Dropbox sends: endpoint errors as 409 with `{error_summary, error}` (the summary
// is the `.tag` path joined by "/" with a trailing "/.." or "/..."), auth errors as 401 in the same shape,
// rate limits as 429 with Retry-After, path-root errors as 422, and bad input as 400 in plain text.
import type { ServerResponse } from "node:http";

/** Thrown inside a handler; the server turns it into Dropbox's answer. */
export class DropboxApiError extends Error {
  constructor(
    readonly status: number,
    /** The JSON body, or plain text for a 400. */
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === "string" ? body : JSON.stringify(body));
  }
}

/** The summary Dropbox derives from a union value: its tags from the outside in. */
function summaryOf(error: Record<string, unknown>): string {
  const tags: string[] = [];
  let at: unknown = error;
  while (at && typeof at === "object" && typeof (at as Record<string, unknown>)[".tag"] === "string") {
    const tag = (at as Record<string, unknown>)[".tag"] as string;
    tags.push(tag);
    at = (at as Record<string, unknown>)[tag];
    if (at === undefined && tag === "path") at = (error as Record<string, unknown>).reason;
  }
  return `${tags.join("/")}/..`;
}

/** An endpoint error (409): `error` is the route's error union. */
export function endpointError(error: Record<string, unknown>): DropboxApiError {
  return new DropboxApiError(409, { error_summary: summaryOf(error), error });
}

/** `{".tag": outer, [outer]: {".tag": inner, ...}}`, the usual two-level lookup error. */
export function lookupError(outer: string, inner: string, extra: Record<string, unknown> = {}) {
  return endpointError({ ".tag": outer, [outer]: { ".tag": inner, ...extra } });
}

export function badInput(message: string): DropboxApiError {
  return new DropboxApiError(400, `Error in call to API function: ${message}`);
}

export function authError(tag: "expired_access_token" | "invalid_access_token" | "missing_scope") {
  return new DropboxApiError(401, { error_summary: `${tag}/..`, error: { ".tag": tag } });
}

export function rateLimited(reason: string, retryAfterS: number): DropboxApiError {
  return new DropboxApiError(
    429,
    { error_summary: `${reason}/..`, error: { reason: { ".tag": reason }, retry_after: retryAfterS } },
    { "retry-after": String(retryAfterS) },
  );
}

export function send(res: ServerResponse, error: DropboxApiError): void {
  const text = typeof error.body === "string" ? error.body : JSON.stringify(error.body);
  res.writeHead(error.status, {
    "content-type": typeof error.body === "string" ? "text/plain; charset=utf-8" : "application/json",
    "content-length": Buffer.byteLength(text),
    ...error.headers,
  });
  res.end(text);
}
