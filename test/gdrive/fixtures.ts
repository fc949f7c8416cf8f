// A Google service account for tests: an RSA key pair and the credentials JSON file Google hands out
// (the fields google-auth-library reads), written to a temporary folder the caller removes.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface ServiceAccountCredentials {
  type: "service_account";
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

export interface ServiceAccountFixture {
  credentials: ServiceAccountCredentials;
  /** The credentials JSON file. */
  credentialsPath: string;
  clientEmail: string;
  /** What the emulator's `grant(email, publicKeyPem)` needs. */
  publicKeyPem: string;
  /** Removes the temporary folder. */
  remove(): void;
}

/** A fresh service account; `tokenUri` goes into the file (e.g. the emulator's `${url}token`). */
export function makeServiceAccount(
  options: { name?: string; tokenUri?: string } = {},
): ServiceAccountFixture {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const name = options.name ?? `sitesync-${randomBytes(4).toString("hex")}`;
  const clientEmail = `${name}@sitesync-test.iam.gserviceaccount.com`;
  const credentials: ServiceAccountCredentials = {
    type: "service_account",
    project_id: "sitesync-test",
    private_key_id: randomBytes(20).toString("hex"),
    private_key: privateKey,
    client_email: clientEmail,
    client_id: String(BigInt(`0x${randomBytes(8).toString("hex")}`)),
    token_uri: options.tokenUri ?? "https://oauth2.googleapis.com/token",
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), "sitesync-gdrive-"));
  const credentialsPath = path.join(dir, "service-account.json");
  writeFileSync(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return {
    credentials,
    credentialsPath,
    clientEmail,
    publicKeyPem: publicKey,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
