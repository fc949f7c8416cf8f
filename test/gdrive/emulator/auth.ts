// Bearer-token checks as Drive does them for a service account: a self-signed JWT (google-auth-library's
// JWT client with useJWTAccessWithScope, which never calls a token endpoint), or an access token issued by
// this emulator's OAuth JWT-bearer exchange (POST /token) for clients configured with a token URL.
import { createPublicKey, createVerify, type KeyObject, randomBytes } from "node:crypto";

import { DriveApiError, unauthenticated } from "./errors.js";

interface JwtClaims {
  iss?: unknown;
  sub?: unknown;
  exp?: unknown;
  scope?: unknown;
  aud?: unknown;
}

/** Service accounts the emulator trusts (granted ones, with their public keys) and the tokens it issued. */
export class Auth {
  private readonly keys = new Map<string, KeyObject>();
  private readonly tokens = new Map<string, { email: string; expiresAt: number }>();

  grant(email: string, publicKeyPem: string): void {
    this.keys.set(email, createPublicKey(publicKeyPem));
  }

  revoke(email: string): void {
    this.keys.delete(email);
    for (const [token, entry] of this.tokens) if (entry.email === email) this.tokens.delete(token);
  }

  /** The service account's email behind an `Authorization` header; throws a 401 DriveApiError otherwise. */
  check(header: string | undefined): string {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
    const token = match?.[1];
    if (token === undefined) throw unauthenticated();
    const issued = this.tokens.get(token);
    if (issued !== undefined) {
      if (issued.expiresAt < Date.now() || !this.keys.has(issued.email)) throw unauthenticated();
      return issued.email;
    }
    const claims = this.verifyJwt(token);
    if (claims === undefined || claims.sub !== claims.iss) throw unauthenticated();
    return claims.iss as string;
  }

  /** The OAuth 2.0 JWT-bearer grant (RFC 7523): a signed assertion in, an opaque access token out. */
  exchange(form: URLSearchParams): { access_token: string; expires_in: number; token_type: string } {
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      throw new DriveApiError(400, "INVALID_ARGUMENT", [
        { domain: "global", reason: "unsupported_grant_type", message: "Invalid grant_type" },
      ]);
    }
    const claims = this.verifyJwt(form.get("assertion") ?? "");
    if (claims === undefined) {
      throw new DriveApiError(400, "INVALID_ARGUMENT", [
        { domain: "global", reason: "invalid_grant", message: "Invalid JWT Signature." },
      ]);
    }
    const accessToken = `emu-${randomBytes(18).toString("base64url")}`;
    const expiresIn = 3600;
    this.tokens.set(accessToken, { email: claims.iss as string, expiresAt: Date.now() + expiresIn * 1000 });
    return { access_token: accessToken, expires_in: expiresIn, token_type: "Bearer" };
  }

  /** Claims of an RS256 JWT signed by a granted account and not expired; undefined for anything else. */
  private verifyJwt(token: string): JwtClaims | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    let header: { alg?: unknown };
    let claims: JwtClaims;
    try {
      header = JSON.parse(Buffer.from(headerPart, "base64url").toString("utf8")) as { alg?: unknown };
      claims = JSON.parse(Buffer.from(payloadPart, "base64url").toString("utf8")) as JwtClaims;
    } catch {
      return undefined;
    }
    if (header.alg !== "RS256" || typeof claims.iss !== "string") return undefined;
    if (claims.sub !== undefined && claims.sub !== claims.iss) return undefined;
    const key = this.keys.get(claims.iss);
    if (key === undefined) return undefined;
    const verifier = createVerify("RSA-SHA256");
    verifier.update(`${headerPart}.${payloadPart}`);
    if (!verifier.verify(key, Buffer.from(signaturePart, "base64url"))) return undefined;
    if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) return undefined;
    return claims;
  }
}
