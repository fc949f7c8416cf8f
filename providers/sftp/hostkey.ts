/**
 * Host key verification against an OpenSSH known_hosts file (the original
 * connected with host key checking disabled). `yes` refuses unknown and
 * changed keys, `accept-new` trusts a host's first key and records it,
 * `no` accepts anything; the last two are logged as warnings by the caller.
 */
import { createHash, createHmac } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export type HostKeyChecking = "yes" | "accept-new" | "no";

export type HostKeyOutcome =
  | { result: "known" }
  | { result: "accepted-new"; fingerprint: string; file: string }
  | { result: "unchecked"; fingerprint: string }
  | { result: "unknown"; fingerprint: string; file: string }
  | { result: "changed"; fingerprint: string; expected: string[]; file: string };

export function defaultKnownHosts(): string {
  return path.join(os.homedir(), ".ssh", "known_hosts");
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type written at the start of an SSH public key blob (e.g. ssh-ed25519). */
function keyType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString("ascii");
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function hostMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  return pattern === name;
}

/** The keys known_hosts lists for a host name (type and base64 blob), @revoked and @cert-authority lines aside. */
export function knownKeys(file: string, name: string): Array<{ type: string; key: string }> {
  if (!existsSync(file)) return [];
  const keys: Array<{ type: string; key: string }> = [];
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("@")) continue;
    const [hosts, type, key] = line.split(/\s+/);
    if (!hosts || !type || !key) continue;
    if (hosts.split(",").some((pattern) => hostMatches(pattern, name))) keys.push({ type, key });
  }
  return keys;
}

/**
 * A host verifier for ssh2: decides on the server's key blob and reports what
 * it decided through `onOutcome`, so a refused connection can say why.
 */
export function hostVerifier(
  host: string,
  port: number,
  mode: HostKeyChecking,
  file: string,
  onOutcome: (outcome: HostKeyOutcome) => void,
): (key: Buffer) => boolean {
  return (blob: Buffer) => {
    const name = knownHostsName(host, port);
    const got = fingerprint(blob);
    if (mode === "no") {
      onOutcome({ result: "unchecked", fingerprint: got });
      return true;
    }
    const known = knownKeys(file, name);
    const encoded = blob.toString("base64");
    if (known.some((entry) => entry.key === encoded)) {
      onOutcome({ result: "known" });
      return true;
    }
    if (known.length > 0) {
      const expected = known.map((entry) => fingerprint(Buffer.from(entry.key, "base64")));
      onOutcome({ result: "changed", fingerprint: got, expected, file });
      return false;
    }
    if (mode === "accept-new") {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      appendFileSync(file, `${name} ${keyType(blob)} ${encoded}\n`, { mode: 0o600 });
      onOutcome({ result: "accepted-new", fingerprint: got, file });
      return true;
    }
    onOutcome({ result: "unknown", fingerprint: got, file });
    return false;
  };
}

export function describeRefusal(outcome: HostKeyOutcome, host: string, port: number): string | undefined {
  const name = knownHostsName(host, port);
  if (outcome.result === "changed") {
    return (
      `host key of ${name} has CHANGED: the server offered ${outcome.fingerprint} but ${outcome.file} expects ` +
      `${outcome.expected.join(" or ")}; refusing to connect (if the change is expected, remove the old line for ${name})`
    );
  }
  if (outcome.result === "unknown") {
    return (
      `host key of ${name} (${outcome.fingerprint}) is not in ${outcome.file}; refusing to connect ` +
      `(add it, e.g. with ssh-keyscan -p ${port} ${host}, or set host_key_checking: accept-new)`
    );
  }
  return undefined;
}
