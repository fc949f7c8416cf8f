/**
 * SFTP credentials from a site's settings: password, or an OpenSSH private
 * key (the first existing path of `sftp_key` for this platform) with its
 * optional passphrase. A PuTTY key or a missing key file is refused with the
 * path and the format expected. Secrets never appear in a message.
 */
import { existsSync, readFileSync } from "node:fs";
import { ProviderError } from "../../lib/errors.js";

export interface Credentials {
  password?: string;
  privateKey?: string;
  passphrase?: string;
  keyPath?: string;
}

export async function loadCredentials(
  site: string,
  password: string,
  keyPaths: readonly string[],
  passphrase: string,
): Promise<Credentials> {
  if (keyPaths.length === 0) {
    if (!password) {
      throw new ProviderError(
        `sftp site "${site}": set sftp_pass or sftp_key (an OpenSSH private key)`,
        false,
      );
    }
    return { password };
  }
  const keyPath = keyPaths.find((candidate) => existsSync(candidate));
  if (!keyPath) {
    throw new ProviderError(
      `sftp site "${site}": sftp_key: no key file at ${keyPaths.join(", ")} (expected an OpenSSH private key file)`,
      false,
    );
  }
  const privateKey = readFileSync(keyPath, "utf8");
  if (privateKey.startsWith("PuTTY-User-Key-File")) {
    throw new ProviderError(
      `sftp site "${site}": ${keyPath} is a PuTTY .ppk key; sftp_key needs the OpenSSH format (PEM), ` +
        `e.g. puttygen ${keyPath} -O private-openssh -o key.pem`,
      false,
    );
  }
  if (!privateKey.includes("-----BEGIN ")) {
    throw new ProviderError(
      `sftp site "${site}": ${keyPath} is not an OpenSSH private key (PEM, "-----BEGIN ...")`,
      false,
    );
  }
  // ssh2 is CommonJS: under plain Node its exports sit on `default`; bundlers/vitest also expose them by name.
  const ssh2 = (await import("ssh2")) as unknown as {
    utils?: typeof import("ssh2").utils;
    default: { utils: typeof import("ssh2").utils };
  };
  const utils = ssh2.utils ?? ssh2.default.utils;
  const parsed = utils.parseKey(privateKey, passphrase || undefined);
  if (parsed instanceof Error) {
    const encrypted = /passphrase|decrypt|encrypted/i.test(parsed.message);
    throw new ProviderError(
      encrypted
        ? `sftp site "${site}": cannot decrypt ${keyPath}: sftp_key_pass is ${passphrase ? "wrong" : "not set"}`
        : `sftp site "${site}": cannot read the key ${keyPath}: ${parsed.message}`,
      false,
    );
  }
  return { privateKey, keyPath, ...(passphrase ? { passphrase } : {}), ...(password ? { password } : {}) };
}
