/**
 * Proves the OpenSSH test server (test/helpers/sshd.ts) with the real OpenSSH clients, so the
 * SFTP provider's tests can trust it: logins, host key checking, kill/restart, key rotation.
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SshdServer, startSshd } from "../helpers/sshd.js";
import { tempDir } from "../helpers/tmp.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface SftpOptions {
  /** known_hosts content; defaults to the server's current line. */
  knownHosts?: string;
  /** Extra ssh arguments, e.g. ["-i", key]. Defaults to the plain key. */
  auth?: string[];
  /** sftp commands. With `askpass` they go on stdin: `-b` implies BatchMode, which never prompts. */
  commands: string[];
  /** Secret printed by the SSH_ASKPASS script (password or key passphrase). */
  askpass?: string;
}

let server: SshdServer;

beforeAll(async () => {
  server = await startSshd();
});

afterAll(async () => {
  await server?.stop();
});

/** Runs `sftp` against the server with no user config, agent or default keys in play. */
function sftp(options: SftpOptions): Promise<Run> {
  const dir = tempDir();
  const knownHosts = path.join(dir, "known_hosts");
  writeFileSync(knownHosts, `${options.knownHosts ?? server.knownHostsLine}\n`);
  const commands = `${options.commands.join("\n")}\n`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  const args = [
    ...["-F", "/dev/null", "-P", String(server.port)],
    ...["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`],
    ...["-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"],
    ...["-o", "ConnectTimeout=10"],
    ...(options.auth ?? ["-i", server.keyPath, "-o", "PreferredAuthentications=publickey"]),
  ];
  if (options.askpass === undefined) {
    const batch = path.join(dir, "batch");
    writeFileSync(batch, commands);
    args.push("-b", batch);
  } else {
    // OpenSSH 8.4+: SSH_ASKPASS_REQUIRE=force asks this program instead of a tty, no DISPLAY needed.
    // The secret travels in the environment, never in argv.
    const script = path.join(dir, "askpass.sh");
    writeFileSync(script, '#!/bin/sh\nprintf "%s\\n" "$SITESYNC_ASKPASS_SECRET"\n', { mode: 0o755 });
    Object.assign(env, {
      SSH_ASKPASS: script,
      SSH_ASKPASS_REQUIRE: "force",
      SITESYNC_ASKPASS_SECRET: options.askpass,
    });
  }
  args.push(`${server.user}@${server.host}`);
  return new Promise((resolve, reject) => {
    const child = spawn("sftp", args, { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.askpass === undefined ? "" : commands);
  });
}

/** Uploads a unique file into server.root, downloads it again, and returns both contents. */
async function roundTrip(extra: Omit<SftpOptions, "commands"> = {}) {
  const dir = tempDir();
  const local = path.join(dir, "up.txt");
  const back = path.join(dir, "back.txt");
  const remote = path.join(server.root, `${path.basename(dir)}.txt`);
  const content = `hello ${Math.random()}\n`;
  writeFileSync(local, content);
  const result = await sftp({ ...extra, commands: [`put ${local} ${remote}`, `get ${remote} ${back}`] });
  const got = result.code === 0 ? readFileSync(back, "utf8") : undefined;
  return { result, content, got, remote };
}

describe("OpenSSH test server", () => {
  it("describes itself consistently", () => {
    expect(server.host).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
    expect(server.hostKeyPublic).toMatch(/^ssh-ed25519 AAAA\S+$/);
    expect(server.hostKeyFingerprint).toMatch(/^SHA256:\S+$/);
    expect(server.knownHostsLine).toBe(`[127.0.0.1]:${server.port} ${server.hostKeyPublic}`);
    expect(server.password).not.toBe(server.passphrase);
    expect(readFileSync(`${server.dir}/sshd_config`, "utf8")).toContain(
      `ListenAddress 127.0.0.1:${server.port}`,
    );
  });

  it("accepts the plain key: put into root and get back the same bytes, owned by the test user", async () => {
    const { result, content, got, remote } = await roundTrip();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(got).toBe(content);
    const owner = statSync(server.root).uid;
    expect(owner).not.toBe(0);
    expect(statSync(remote).uid).toBe(owner);
    expect(readFileSync(server.logFile, "utf8")).toContain(`Accepted publickey for ${server.user}`);
  });

  it("accepts the password (through SSH_ASKPASS) and rejects a wrong one", async () => {
    const auth = ["-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no"];
    const ok = await roundTrip({ auth, askpass: server.password });
    expect(ok.result.code).toBe(0);
    expect(ok.got).toBe(ok.content);
    expect(readFileSync(server.logFile, "utf8")).toContain(`Accepted password for ${server.user}`);

    const bad = await sftp({
      auth: [...auth, "-o", "NumberOfPasswordPrompts=1"],
      askpass: `${server.password}x`,
      commands: ["pwd"],
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Permission denied/);
  });

  it("accepts the passphrase-protected key only with its passphrase", async () => {
    const auth = ["-i", server.keyWithPassphrasePath, "-o", "PreferredAuthentications=publickey"];
    const ok = await roundTrip({ auth, askpass: server.passphrase });
    expect(ok.result.code).toBe(0);
    expect(ok.got).toBe(ok.content);

    const bad = await sftp({
      auth: [...auth, "-o", "NumberOfPasswordPrompts=1"],
      askpass: "wrong",
      commands: ["pwd"],
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Permission denied/);
  });

  it("serves 8 parallel sessions", async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, () => roundTrip()));
    for (const r of runs) {
      expect(r.result.code, r.result.stderr).toBe(0);
      expect(r.got).toBe(r.content);
    }
  });

  it("is refused by sftp when known_hosts holds another key for it", async () => {
    const other = await startSshd();
    try {
      const result = await sftp({
        knownHosts: `[127.0.0.1]:${server.port} ${other.hostKeyPublic}`,
        commands: ["pwd"],
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/host key/i);
      expect(result.stderr).toMatch(/verification failed/i);
    } finally {
      await other.stop();
    }
  });

  it("kill drops open sessions and refuses connections; restart serves again on the same port", async () => {
    const port = server.port;
    const sessions = () =>
      readFileSync(server.logFile, "utf8").split("Starting session: subsystem 'sftp'").length;
    const before = sessions();
    // An sftp transport kept open (stdin never ends), to see kill() drop live sessions:
    // ssh exits 255 when its connection is lost.
    const open = spawn(
      "ssh",
      [
        ...["-F", "/dev/null", "-p", String(port), "-i", server.keyPath, "-o", "IdentitiesOnly=yes"],
        ...["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"],
        ...["-o", "IdentityAgent=none"],
        ...["-s", `${server.user}@127.0.0.1`, "sftp"],
      ],
      { stdio: ["pipe", "ignore", "ignore"] },
    );
    const closed = new Promise<number | null>((resolve) => open.on("close", resolve));
    // Learn that the session is up from sshd's log.
    await expect.poll(sessions, { timeout: 10_000 }).toBe(before + 1);

    await server.kill();
    expect(await closed).toBe(255);
    const refused = await sftp({ commands: ["pwd"] });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/refused/i);

    await server.restart();
    expect(server.port).toBe(port);
    const { result, got, content } = await roundTrip();
    expect(result.code, result.stderr).toBe(0);
    expect(got).toBe(content);
  });

  it("regenerateHostKey changes the key at the next restart", async () => {
    const old = { line: server.knownHostsLine, fingerprint: server.hostKeyFingerprint };
    await server.regenerateHostKey();
    expect(server.hostKeyFingerprint).not.toBe(old.fingerprint);
    expect(server.knownHostsLine).not.toBe(old.line);
    // Still the old key until restart.
    expect((await sftp({ knownHosts: old.line, commands: ["pwd"] })).code).toBe(0);

    await server.restart();
    const stale = await sftp({ knownHosts: old.line, commands: ["pwd"] });
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
    const fresh = await sftp({ commands: ["pwd"] });
    expect(fresh.code, fresh.stderr).toBe(0);
  });
});
