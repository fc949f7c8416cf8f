/**
 * The split-packet reassembly (providers/sftp/packet-buffer.ts) under a real
 * download from OpenSSH (test/helpers/sshd.ts): with the default
 * `verify: size` nothing else would notice a wrongly reassembled byte, so the
 * file is compared byte for byte with what the server holds.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createProvider } from "../../providers/registry.js";
import type { PushTarget } from "../../providers/sftp/packet-buffer.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";
import { tempDir } from "../helpers/tmp.js";

/** What the provider's connections did with the reassembly. */
const seen = vi.hoisted(() => ({ installed: [] as boolean[], reassembled: 0 }));

// Calls the real reassembly; only records whether it went in, and how many packets ssh2 got from its buffer.
vi.mock("../../providers/sftp/packet-buffer.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../providers/sftp/packet-buffer.js")>();
  return {
    ...actual,
    reuseSplitPacketBuffer: (session: PushTarget, ssh2Version?: string): boolean => {
      const ssh2Push = session.push.bind(session);
      session.push = (data) => {
        if (data?.buffer.byteLength === actual.REUSED_PACKET_BYTES) seen.reassembled++;
        return ssh2Push(data);
      };
      const installed = actual.reuseSplitPacketBuffer(session, ssh2Version);
      seen.installed.push(installed);
      return installed;
    },
  };
});

let server: SshdServer;
let knownHosts: string;

beforeAll(async () => {
  server = await startSshd();
  const scratch = path.join(server.dir, "client");
  mkdirSync(scratch, { recursive: true });
  knownHosts = path.join(scratch, "known_hosts");
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("sftp downloads through the reused reassembly buffer", () => {
  it("brings a multi-MiB random file back byte for byte, with verify size and with sha256", async () => {
    // 8 MiB and an odd tail: ~33 READ answers of 255 KiB, each split over 8 SSH packets, and a short last one.
    const original = randomBytes(8 * 1024 * 1024 + 4099);
    const remote = path.join(server.root, "random.bin");
    writeFileSync(remote, original);

    for (const verify of ["size", "sha256"] as const) {
      seen.installed.length = 0;
      seen.reassembled = 0;
      const provider = createProvider("sftp", {
        siteName: "vendor",
        config: {
          sftp_host: server.host,
          sftp_port: server.port,
          sftp_user: server.user,
          sftp_pass: server.password,
          known_hosts: knownHosts,
          connect_timeout: 5,
          verify,
        },
        roots: { work: server.root },
      });
      try {
        const local = path.join(tempDir(), `random-${verify}.bin`);
        const got = await provider.download(remote, local, verify === "sha256" ? { hash: "sha256" } : {});
        expect(seen.installed.length, verify).toBeGreaterThan(0);
        expect(seen.installed.every(Boolean), verify).toBe(true);
        expect(seen.reassembled, verify).toBeGreaterThan(30);
        expect(got.size).toBe(original.length);
        expect(readFileSync(local).equals(original), verify).toBe(true);
        if (verify === "sha256") expect(got.hash).toBe(createHash("sha256").update(original).digest("hex"));
      } finally {
        await provider.close?.();
      }
    }
  });
});
