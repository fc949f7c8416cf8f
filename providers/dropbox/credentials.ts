/**
 * A dropbox site's credentials, all in AYON's one `token` setting (AYON's
 * Dropbox settings have no other place for them, and a studio keeps the whole
 * site, secrets included, in AYON):
 * - `app_key:app_secret:refresh_token`: an app's offline refresh token
 *   (Dropbox issues only short-lived access tokens since 2021), traded for an
 *   access token at /oauth2/token when none is held, when it is about to
 *   expire, and when Dropbox says it expired;
 * - `app_key:refresh_token`: the same for a PKCE app, which has no secret;
 * - `sl.…`: a short-lived access token used as it is (what upstream's
 *   "Access token" field held), until it expires.
 * No part of it ever appears in a message: the token request sends it in
 * the body, never in a URL (the SDK's own refresh puts it in the query).
 */
import { ProviderError } from "../../lib/errors.js";
import { DropboxHttpError, dropboxError, faultOf, faultOfBody, hasTags } from "./errors.js";

export type Credentials =
  | { kind: "refresh"; appKey: string; appSecret?: string; refreshToken: string }
  | { kind: "access"; accessToken: string };

export function parseToken(token: string, site: string): Credentials {
  const value = token.trim();
  const where = `dropbox site "${site}": the token setting`;
  if (value === "")
    throw new ProviderError(`${where} is empty; set it to app_key:app_secret:refresh_token`, false);
  if (value.startsWith("sl.")) return { kind: "access", accessToken: value };
  const parts = value.split(":");
  if (parts.some((part) => part === "") || parts.length < 2 || parts.length > 3)
    throw new ProviderError(
      `${where} is not app_key:app_secret:refresh_token (or app_key:refresh_token for a PKCE app, or a short-lived "sl." access token)`,
      false,
    );
  const [appKey, secretOrRefresh, refresh] = parts as [string, string, string | undefined];
  return refresh === undefined
    ? { kind: "refresh", appKey, refreshToken: secretOrRefresh }
    : { kind: "refresh", appKey, appSecret: secretOrRefresh, refreshToken: refresh };
}

/** Refresh this long before Dropbox's `expires_in` runs out, as the SDK does. */
const MARGIN_MS = 5 * 60 * 1000;

/** The site's current access token, refreshed once for every caller waiting on it. */
export class AccessTokens {
  private current: { token: string; expiresAt: number } | undefined;
  private refreshing: Promise<string> | undefined;

  constructor(
    private readonly credentials: Credentials,
    private readonly tokenUrl: string,
    private readonly site: string,
  ) {
    if (credentials.kind === "access")
      this.current = { token: credentials.accessToken, expiresAt: Number.POSITIVE_INFINITY };
  }

  async get(signal?: AbortSignal): Promise<string> {
    if (this.current && this.current.expiresAt - MARGIN_MS > Date.now()) return this.current.token;
    if (this.credentials.kind === "access")
      throw new ProviderError(
        `dropbox site "${this.site}": the access token in the token setting has expired; ` +
          "set the token to app_key:app_secret:refresh_token so it can be refreshed",
        false,
      );
    this.refreshing ??= this.refresh(this.credentials, signal).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Dropbox said `token` expired: the next `get` asks for a new one. */
  expired(token: string): void {
    if (this.current?.token !== token) return;
    if (this.credentials.kind === "access") this.current = { token, expiresAt: 0 };
    else this.current = undefined;
  }

  private async refresh(
    credentials: Extract<Credentials, { kind: "refresh" }>,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const form = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: credentials.refreshToken,
      client_id: credentials.appKey,
      ...(credentials.appSecret ? { client_secret: credentials.appSecret } : {}),
    });
    const doing = "getting an access token for the refresh token in the token setting";
    try {
      const response = await fetch(this.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form,
        ...(signal ? { signal } : {}),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: kept as text (a proxy's error page).
      }
      if (!response.ok)
        throw new DropboxHttpError(faultOfBody(response.status, body, response.headers.get("retry-after")));
      const answer = body as { access_token?: unknown; expires_in?: unknown };
      if (typeof answer.access_token !== "string")
        throw new ProviderError(`dropbox site "${this.site}": /oauth2/token answered no access_token`);
      const lifetime = typeof answer.expires_in === "number" ? answer.expires_in * 1000 : 4 * 3600 * 1000;
      this.current = { token: answer.access_token, expiresAt: Date.now() + lifetime };
      return answer.access_token;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const fault = faultOf(error);
      if (hasTags(fault, "invalid_grant"))
        throw new ProviderError(
          `dropbox site "${this.site}": Dropbox refused the refresh token in the token setting (invalid_grant: revoked, or made for another app); make a new one`,
          false,
          { cause: error },
        );
      if (hasTags(fault, "invalid_client"))
        throw new ProviderError(
          `dropbox site "${this.site}": Dropbox refused the app key or secret in the token setting (invalid_client)`,
          false,
          { cause: error },
        );
      throw dropboxError(error, doing, this.site);
    }
  }
}
