/**
 * A private, real OpenSSH server for the SFTP tests.
 *
 * Each `startSshd()` gets its own temp dir (host key, config, log, client keys), its own
 * 127.0.0.1 port and its own Unix user. A per-server user (not one shared `sitesync-test`)
 * because vitest runs test files in parallel workers: a shared user would have one password,
 * and every server resetting it with `chpasswd` would break the others' password logins.
 *
 * Needs root (sshd's privilege separation, useradd, chpasswd) and Debian's openssh-server.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const SSHD = "/usr/sbin/sshd"; // sshd refuses to re-exec itself unless started by absolute path
const HOST = "127.0.0.1";
/** GECOS marker of users we create, so users left by a crashed run can be swept. */
const MARKER = "sitesync-test-harness pid=";

export interface SshdOptions {
  /** How long to wait for the SSH banner after a (re)start. Default 15 s. */
  readyTimeoutMs?: number;
  /** Extra sshd_config lines appended verbatim, e.g. `["MaxAuthTries 2"]`. */
  extraConfig?: string[];
}

export interface SshdServer {
  host: "127.0.0.1";
  port: number;
  /** The Unix user created for this server (removed by `stop()`). */
  user: string;
  /** Random per server; accepted for `user` by password authentication. */
  password: string;
  /** OpenSSH-format ed25519 private key without passphrase (authorized for `user`). */
  keyPath: string;
  /** OpenSSH-format ed25519 private key encrypted with `passphrase` (authorized for `user`). */
  keyWithPassphrasePath: string;
  passphrase: string;
  /** `ssh-ed25519 AAAA...` (no comment). Updated by `regenerateHostKey()`. */
  hostKeyPublic: string;
  /** `SHA256:...` as printed by `ssh-keygen -lf`. Updated by `regenerateHostKey()`. */
  hostKeyFingerprint: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA...`, a known_hosts line. Updated by `regenerateHostKey()`. */
  knownHostsLine: string;
  /** Absolute folder owned by `user`, empty at start, for SFTP reads and writes. */
  root: string;
  /** The temp dir holding everything above (removed by `stop()`). */
  dir: string;
  /** sshd's log (LogLevel VERBOSE), appended across restarts. */
  logFile: string;
  /** Kills sshd and its per-connection processes (so open sessions drop); resolves once sshd exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts sshd again (killing it first if it runs) on the same port, host key and config; waits for the banner. */
  restart(): Promise<void>;
  /** Makes a new host key. The running sshd keeps the old one; the new one is served after `restart()`. */
  regenerateHostKey(): Promise<void>;
  /** Kills sshd, deletes the user and the temp dir. */
  stop(): Promise<void>;
}

/** Servers not stopped yet, killed synchronously if the test process exits without `stop()`. */
const live = new Set<{ child?: ChildProcess; user: string; dir: string }>();
// Synchronous calls only: nothing asynchronous runs in an "exit" handler.
process.on("exit", () => {
  for (const s of live) {
    s.child?.kill("SIGKILL");
    spawnSync("userdel", ["-f", s.user], { stdio: "ignore" });
    rmSync(s.dir, { recursive: true, force: true });
  }
});

export async function startSshd(options: SshdOptions = {}): Promise<SshdServer> {
  if (!existsSync(SSHD)) {
    throw new Error(
      `${SSHD} not found: the SFTP tests need a real OpenSSH server. Install it with ` +
        "`apt-get install --no-install-recommends openssh-server` (.ci/run does this).",
    );
  }
  if (process.getuid?.() !== 0)
    throw new Error("startSshd() must run as root (sshd privilege separation, useradd)");
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  await sweepStaleUsers();
  // Privilege separation dir; a clean container has no /run/sshd.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  const dir = await mkdtemp(path.join(os.tmpdir(), "sitesync-sshd-"));
  // The user must traverse dir to reach its home, and sshd reads authorized_keys as the user.
  chmodSync(dir, 0o711);
  const user = `sitesync-${randomBytes(4).toString("hex")}`;
  const state: { child?: ChildProcess; user: string; dir: string } = { user, dir };
  live.add(state);

  const f = (name: string) => path.join(dir, name);
  const password = randomBytes(12).toString("base64url");
  const passphrase = randomBytes(12).toString("base64url");
  const home = f("home");
  await retryLocked(() =>
    run("useradd", ["-m", "-d", home, "-s", "/bin/sh", "-c", `${MARKER}${process.pid}`, user]),
  );
  // On stdin, never in argv (visible in `ps`). Also unlocks the account, which sshd requires
  // even for key logins when UsePAM is off.
  await retryLocked(() => run("chpasswd", [], `${user}:${password}\n`));
  const { uid, gid } = statSync(home);
  const root = path.join(home, "root");
  mkdirSync(root);
  chownSync(root, uid, gid);

  // Client keys. ssh-keygen only takes a passphrase as -N: acceptable for random test data.
  const keyPath = f("id_ed25519");
  const keyWithPassphrasePath = f("id_ed25519_passphrase");
  await keygen(keyPath, "", `${user}-plain`);
  await keygen(keyWithPassphrasePath, passphrase, `${user}-pass`);
  const authorizedKeys = f("authorized_keys");
  const publicKeys = [keyPath, keyWithPassphrasePath].map((k) => readPub(`${k}.pub`));
  writeFileSync(authorizedKeys, `${publicKeys.join("\n")}\n`);
  chmodSync(authorizedKeys, 0o644);

  const logFile = f("sshd.log");
  const configPath = f("sshd_config");
  let hostKeyPath = "";
  let generation = 0;
  let port = 0;

  const server: SshdServer = {
    host: HOST,
    port,
    user,
    password,
    keyPath,
    keyWithPassphrasePath,
    passphrase,
    hostKeyPublic: "",
    hostKeyFingerprint: "",
    knownHostsLine: "",
    root,
    dir,
    logFile,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    regenerateHostKey: newHostKey,
    stop: async () => {
      await kill();
      live.delete(state);
      await run("userdel", ["-f", user]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };

  /**
   * Each generation gets a new file: sshd re-execs per connection and re-reads its host key
   * from disk, so overwriting the file in place would change the key under a running server.
   */
  async function newHostKey(): Promise<void> {
    generation += 1;
    hostKeyPath = f(`ssh_host_ed25519_key.${generation}`);
    await keygen(hostKeyPath, "", "");
    server.hostKeyPublic = readPub(`${hostKeyPath}.pub`);
    server.hostKeyFingerprint =
      (await run("ssh-keygen", ["-lf", `${hostKeyPath}.pub`])).split(/\s+/)[1] ?? "";
    server.knownHostsLine = `[${HOST}]:${server.port} ${server.hostKeyPublic}`;
  }

  function writeConfig(): void {
    const lines = [
      `ListenAddress ${HOST}:${port}`,
      `HostKey ${hostKeyPath}`,
      `PidFile ${f("sshd.pid")}`,
      "LogLevel VERBOSE",
      "UsePAM no", // password checked against /etc/shadow directly; no PAM stack needed
      "PasswordAuthentication yes",
      "KbdInteractiveAuthentication no", // passwords go through the plain "password" method
      "PubkeyAuthentication yes",
      `AuthorizedKeysFile ${authorizedKeys}`,
      // authorized_keys lives under /tmp (world-writable), which StrictModes rejects.
      "StrictModes no",
      `AllowUsers ${user}`, // this server logs in its own test user and nobody else
      "PermitRootLogin no",
      "Subsystem sftp internal-sftp",
      // Room for 8+ parallel connections: MaxStartups throttles unauthenticated ones,
      // MaxSessions caps channels per connection.
      "MaxStartups 64:30:128",
      "MaxSessions 64",
      "MaxAuthTries 10",
      "LoginGraceTime 30",
      "UseDNS no",
      "PrintMotd no",
      "X11Forwarding no",
      ...(perSourcePenalties ? ["PerSourcePenalties no"] : []), // 9.8+ would block 127.0.0.1 after failed logins
      ...(options.extraConfig ?? []),
    ];
    writeFileSync(configPath, `${lines.join("\n")}\n`);
  }

  async function launch(): Promise<void> {
    writeConfig();
    const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
    // -D: stay in the foreground as our child; -E: log to a file instead of syslog.
    const child = spawn(SSHD, ["-D", "-E", logFile, "-f", configPath], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    state.child = child;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      await waitForBanner(port, readyTimeoutMs, exited);
    } catch (error) {
      child.kill("SIGKILL");
      await exited;
      state.child = undefined;
      const log = existsSync(logFile) ? readFileSync(logFile).subarray(logStart).toString() : "";
      const tail = `${log}${stderr}`.trim().split("\n").slice(-20).join("\n");
      throw new BindError(
        `sshd on ${HOST}:${port} not ready: ${(error as Error).message}\n${tail}`,
        /bind/i.test(tail),
      );
    }
  }

  async function kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = state.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    // Per-connection processes call setsid(), so a group kill misses them: find them by parent pid.
    const sessions = await descendants(child.pid ?? -1);
    for (const pid of sessions) tryKill(pid, signal);
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    state.child = undefined;
    await waitGone(sessions);
  }

  await newHostKey();
  const perSourcePenalties = await supportsOption("PerSourcePenalties=no", hostKeyPath);
  // The free port can be taken between our probe and sshd's bind: retry with another one.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    server.port = port;
    server.knownHostsLine = `[${HOST}]:${port} ${server.hostKeyPublic}`;
    try {
      await launch();
      return server;
    } catch (error) {
      if (!(error instanceof BindError && error.bind) || attempt >= 5) {
        await server.stop();
        throw error;
      }
    }
  }
}

class BindError extends Error {
  constructor(
    message: string,
    readonly bind: boolean,
  ) {
    super(message);
  }
}

/** Runs a command; resolves with stdout, rejects with stderr on a non-zero exit. */
function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: "pipe" });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited ${code}: ${err.trim()}`)); // never echo args: may hold a passphrase
    });
    // A command that exits without reading stdin makes this write fail with EPIPE: not our error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

/** useradd/userdel/chpasswd fail while another worker holds /etc/passwd's lock. */
async function retryLocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 10 || !/lock|try again/i.test(String(error))) throw error;
      await sleep(200 * attempt);
    }
  }
}

/** Deletes users (and their temp dirs) created by test processes that no longer exist. */
async function sweepStaleUsers(): Promise<void> {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const [name, , , , gecos = "", home = ""] = line.split(":");
    if (!name || !gecos.startsWith(MARKER)) continue;
    if (isAlive(Number(gecos.slice(MARKER.length)))) continue;
    await retryLocked(() => run("userdel", ["-f", name])).catch(() => undefined);
    const dir = path.dirname(home);
    if (path.basename(dir).startsWith("sitesync-sshd-")) await rm(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** A new ed25519 key pair at file / file.pub. */
async function keygen(file: string, passphrase: string, comment: string): Promise<void> {
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", file]);
}

/** `ssh-ed25519 AAAA...` from a .pub file, without the comment. */
function readPub(file: string): string {
  return readFileSync(file, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
}

/** Whether this sshd knows a config option (PerSourcePenalties is 9.8+, unknown to bookworm's 9.2). */
const optionCache = new Map<string, boolean>();
async function supportsOption(option: string, hostKey: string): Promise<boolean> {
  const cached = optionCache.get(option);
  if (cached !== undefined) return cached;
  const ok = await run(SSHD, ["-t", "-f", "/dev/null", "-h", hostKey, "-o", option]).then(
    () => true,
    () => false,
  );
  optionCache.set(option, ok);
  return ok;
}

/** A port nobody listens on right now (the kernel picks it for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connection to port receives the "SSH-2.0-" identification string. */
async function waitForBanner(port: number, timeoutMs: number, exited: Promise<void>): Promise<void> {
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (dead) throw new Error("sshd exited");
    if (await bannerOnce(port)) return;
    await sleep(50);
  }
  throw new Error(`no SSH banner within ${timeoutMs} ms`);
}

function bannerOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    let data = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on("data", (d) => {
      data += d;
      if (data.includes("SSH-2.0-")) done(true);
    });
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
  });
}

/** All processes below pid, from /proc's parent links. */
async function descendants(pid: number): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after "(comm)": state, ppid, ...; comm may contain spaces, so split after ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    for (const [child, ppid] of parent) {
      if (ppid === p) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Waits (up to 3 s) until the pids are gone or zombies, so their sockets are closed. */
async function waitGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 3000;
  const running = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
      return false;
    }
  };
  while (pids.some(running) && Date.now() < deadline) await sleep(25);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
