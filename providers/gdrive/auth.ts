/**
 * A gdrive site's service account, as AYON's settings give it:
 * `credentials_url` lists candidate files per platform (`{ENV}` already
 * expanded by lib/settings/sites.ts) and the first existing one wins. The
 * client signs its own JWT for every request (google-auth-library's
 * `useJWTAccessWithScope`, which Google accepts for the Drive API), so there
 * is no token exchange: googleapis' service-account flow ignores the file's
 * `token_uri`, which would make an emulator or a proxy unreachable for it.
 * The private key never appears in a message.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Auth } from "googleapis";
import type { Platform } from "../../lib/anatomy/roots.js";
import { ProviderError } from "../../lib/errors.js";

export const DRIVE_SCOPE = "https://www.googleapis.com/auth/drive";

/** The first existing file of `candidates`, or why there is none (the platform and every path tried). */
export function findCredentials(
  candidates: readonly string[],
  platform: Platform,
  exists: (path: string) => boolean = existsSync,
): { path: string } | { reason: string } {
  const path = candidates.find((candidate) => candidate !== "" && exists(candidate));
  if (path) return { path };
  const tried = candidates.filter((candidate) => candidate !== "");
  return {
    reason: tried.length
      ? `no service account file for ${platform} in credentials_url: tried ${tried.join(", ")}`
      : `credentials_url has no path for ${platform}; set the service account's JSON key file`,
  };
}

export interface ServiceAccount {
  email: string;
  key: string;
  keyId?: string;
  /** The file it was read from, for messages. */
  file: string;
}

/** Reads and checks a service account key file (Google's JSON, `type: service_account`). */
export function readServiceAccount(file: string, site: string): ServiceAccount {
  const bad = (why: string) =>
    new ProviderError(`gdrive site "${site}": ${file} is not a service account key file: ${why}`, false);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as { code?: unknown }).code)
      throw new ProviderError(
        `gdrive site "${site}": cannot read ${file}: ${(error as Error).message}`,
        false,
      );
    throw bad("not JSON");
  }
  const json = (parsed ?? {}) as Record<string, unknown>;
  if (json.type !== "service_account")
    throw bad(`"type" is ${JSON.stringify(json.type)}, not "service_account"`);
  if (typeof json.client_email !== "string" || !json.client_email) throw bad('"client_email" is missing');
  if (typeof json.private_key !== "string" || !json.private_key.includes("PRIVATE KEY"))
    throw bad('"private_key" is missing or not a PEM key');
  return {
    email: json.client_email,
    key: json.private_key,
    file,
    ...(typeof json.private_key_id === "string" ? { keyId: json.private_key_id } : {}),
  };
}

/** The signing client; googleapis is loaded here, on first use (docs/adding-a-provider.md, step 2). */
export async function jwtClient(account: ServiceAccount): Promise<Auth.JWT> {
  const { google } = await import("googleapis");
  const client = new google.auth.JWT({
    email: account.email,
    key: account.key,
    ...(account.keyId ? { keyId: account.keyId } : {}),
    scopes: [DRIVE_SCOPE],
  });
  // A property, not a constructor option: with it, every request carries a JWT signed here.
  client.useJWTAccessWithScope = true;
  return client;
}
