/**
 * The sftp provider against a real OpenSSH sshd on 127.0.0.1 (test/helpers/sshd.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../lib/errors.js";
import type { SiteProvider } from "../../providers/provider.js";
import { createProvider } from "../../providers/registry.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";
import { tempDir } from "../helpers/tmp.js";

let server: SshdServer;
let knownHosts: string;
let scratch: string;

beforeAll(async () => {
  server = await startSshd();
  scratch = path.join(server.dir, "client");
  mkdirSync(scratch, { recursive: true });
  knownHosts = path.join(scratch, "known_hosts");
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

function sftp(config: Record<string, unknown> = {}): SiteProvider {
  return createProvider("sftp", {
    siteName: "vendor",
    config: {
      sftp_host: server.host,
      sftp_port: server.port,
      sftp_user: server.user,
      sftp_pass: server.password,
      known_hosts: knownHosts,
      connect_timeout: 5,
      ...config,
    },
    roots: { work: server.root },
  });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error("expected a failure");
}

describe("sftp provider against OpenSSH", () => {
  it("lets parallel transfers make the same new folder without failing", async () => {
    const provider = sftp();
    try {
      const local = path.join(tempDir(), "f.bin");
      writeFileSync(local, "x");
      const dir = `${server.root}/race/a/b/c`;
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          await provider.mkdirs(dir);
          await provider.upload(local, `${dir}/f${i}.bin`);
        }),
      );
      expect(await provider.list(dir)).toHaveLength(8);
    } finally {
      await provider.close?.();
    }
  });

  it("logs in with an OpenSSH key, with and without a passphrase", async () => {
    for (const config of [
      { sftp_pass: "", sftp_key: { linux: ["/no/such/key", server.keyPath] } },
      {
        sftp_pass: "",
        sftp_key: { linux: [server.keyWithPassphrasePath] },
        sftp_key_pass: server.passphrase,
      },
    ]) {
      const provider = sftp(config);
      expect(await provider.isActive()).toEqual({ active: true });
      await provider.close?.();
    }
  });

  it("refuses a wrong password and a wrong key passphrase as permanent errors, never echoing them", async () => {
    const wrongPassword = sftp({ sftp_pass: "not-the-password" });
    const active = await wrongPassword.isActive();
    expect(active).toMatchObject({ active: false });
    expect(JSON.stringify(active)).toContain("authentication failed");
    const error = await failure(wrongPassword.stat(`${server.root}/x`));
    expect(error.retryable).toBe(false);
    await wrongPassword.close?.();

    const wrongPassphrase = sftp({
      sftp_pass: "",
      sftp_key: { linux: [server.keyWithPassphrasePath] },
      sftp_key_pass: "nope-nope",
    });
    const refused = await failure(wrongPassphrase.stat(`${server.root}/x`));
    expect(refused.message).toContain(
      `cannot decrypt ${server.keyWithPassphrasePath}: sftp_key_pass is wrong`,
    );
    expect(refused.message).not.toContain("nope-nope");
    expect(refused.retryable).toBe(false);
  });

  it("names the path and the expected format for a PuTTY key or a missing key file", async () => {
    const ppk = path.join(scratch, "vendor.ppk");
    writeFileSync(ppk, "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n");
    const putty = await failure(sftp({ sftp_pass: "", sftp_key: { linux: [ppk] } }).stat("/x"));
    expect(putty.message).toContain(`${ppk} is a PuTTY .ppk key; sftp_key needs the OpenSSH format`);
    const missing = await failure(
      sftp({ sftp_pass: "", sftp_key: { linux: ["/keys/gone.pem"] } }).stat("/x"),
    );
    expect(missing.message).toContain("no key file at /keys/gone.pem (expected an OpenSSH private key file)");
  });

  it("refuses an unknown host key, trusts it on first use when asked, and accepts unchecked with a warning", async () => {
    const empty = path.join(scratch, "empty_known_hosts");
    writeFileSync(empty, "");
    const strict = await sftp({ known_hosts: empty }).isActive();
    expect(JSON.stringify(strict)).toContain(`(${server.hostKeyFingerprint}) is not in ${empty}`);

    const tofuFile = path.join(scratch, "tofu_known_hosts");
    const tofu = sftp({ known_hosts: tofuFile, host_key_checking: "accept-new" });
    expect(await tofu.isActive()).toEqual({ active: true });
    await tofu.close?.();
    expect(readFileSync(tofuFile, "utf8")).toContain(server.hostKeyPublic.split(" ")[1] as string);
    const again = sftp({ known_hosts: tofuFile });
    expect(await again.isActive()).toEqual({ active: true });
    await again.close?.();

    const unchecked = sftp({ known_hosts: empty, host_key_checking: "no" });
    expect(await unchecked.isActive()).toEqual({ active: true });
    await unchecked.close?.();
  });

  it("refuses a changed host key, showing both fingerprints", async () => {
    const before = server.hostKeyFingerprint;
    await server.regenerateHostKey();
    await server.restart();
    try {
      const result = await sftp().isActive();
      const text = JSON.stringify(result);
      expect(text).toContain("has CHANGED");
      expect(text).toContain(server.hostKeyFingerprint);
      expect(text).toContain(before);
    } finally {
      writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
    }
  });

  it("says why a site is unreachable without hanging", async () => {
    const closed = sftp({ sftp_port: 1 });
    const result = await closed.isActive();
    expect(result.active).toBe(false);
    expect(JSON.stringify(result)).toContain("cannot connect to");
  });
});
