/**
 * Who may use the page: whoever holds the home's token (the file
 * `service.token`, owner-only). The URL printed at start carries it once; the
 * server trades it for an HttpOnly, SameSite=Strict cookie and redirects to
 * the URL without it, so it leaves the address bar and the history. A
 * state-changing request must also come from the page's own origin: a page
 * elsewhere cannot make the browser act with the cookie.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type AuthResult =
  | { kind: "ok" }
  /** The token came in the URL: set the cookie and redirect to `location`. */
  | { kind: "exchange"; location: string }
  | { kind: "refused"; status: 401 | 403; reason: string };

/** Equal without telling how much of it matched: both sides are hashed to one length first. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The cookie's name carries the port: cookies are per host, not per port, and two homes' pages may both run. */
export function cookieName(port: number): string {
  return `sitesync_dashboard_${port}`;
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const cut = part.indexOf("=");
    if (cut > 0 && part.slice(0, cut).trim() === name) return part.slice(cut + 1).trim();
  }
  return undefined;
}

export function checkRequest(request: IncomingMessage, url: URL, token: string, origin: string): AuthResult {
  const port = Number(url.port);
  // DNS rebinding: a page served under another name must not reach this one, cookie or not.
  const host = request.headers.host ?? "";
  if (host !== url.host && host !== `localhost:${port}`)
    return { kind: "refused", status: 403, reason: `wrong Host header "${host}"` };
  const fromUrl = url.searchParams.get("token");
  if (fromUrl !== null) {
    if (request.method !== "GET" || !tokensEqual(fromUrl, token))
      return { kind: "refused", status: 401, reason: "wrong token" };
    url.searchParams.delete("token");
    return { kind: "exchange", location: `${url.pathname}${url.search}` };
  }
  const cookie = cookieValue(request, cookieName(port));
  if (cookie === undefined || !tokensEqual(cookie, token))
    return {
      kind: "refused",
      status: 401,
      reason: "open the URL sitesync printed (it carries the token once)",
    };
  if (request.method !== "GET" && request.method !== "HEAD" && request.headers.origin !== origin)
    return {
      kind: "refused",
      status: 403,
      reason: `a change must come from this page (Origin ${request.headers.origin ?? "missing"}, expected ${origin})`,
    };
  return { kind: "ok" };
}
