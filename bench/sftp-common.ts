/**
 * Shared parts of the SFTP benchmarks (`sftp-big.ts`, `sftp-many.ts`): a
 * private OpenSSH sshd on 127.0.0.1, started by the tests' own harness
 * (test/helpers/sshd.ts) and logged into with its key, a studio home whose remote site is that server, a catalog
 * registered for uploads or downloads, the OpenSSH `sftp` and `rclone`
 * command lines for the same server, and a wait for an idle CPU before each
 * timed run (the machine is shared).
 *
 * Needs root (sshd privilege separation, useradd) and Debian's openssh-server.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { loadDefaultAnatomy } from "../lib/anatomy/index.js";
import { type Context, openContext } from "../lib/context.js";
import { newId } from "../lib/store/ids.js";
import { SyncStatus } from "../lib/store/status.js";
import type { RepresentationFile } from "../lib/store/types.js";
import { startSshd } from "../test/helpers/sshd.js";
import { PROJECT, SITE_ID, type SourceFile } from "./studio.js";

export const HOST = "127.0.0.1";
/** The SFTP site's name in the bench settings. */
export const VENDOR = "vendor";
const FOLDER = "/assets/characters/hero";

export interface BenchSshd {
  host: string;
  port: number;
  user: string;
  /** Accepted for `user` by password authentication. */
  password: string;
  /** ed25519 private key without passphrase, authorized for `user`. */
  keyPath: string;
  /** A known_hosts file holding the server's host key. */
  knownHosts: string;
  /** Folder owned by `user`, for the benchmark's files. */
  root: string;
  dir: string;
  logFile: string;
  /** How many logins sshd accepted so far (from its log). */
  logins(): number;
  stop(): Promise<void>;
}

/**
 * Starts sshd on a free 127.0.0.1 port for a fresh user, with the harness the
 * SFTP tests use (test/helpers/sshd.ts), and writes a known_hosts file for it.
 */
export async function startBenchSshd(): Promise<BenchSshd> {
  if (process.getuid?.() !== 0) throw new Error("the SFTP benchmarks must run as root (sshd, useradd)");
  const server = await startSshd();
  const knownHosts = path.join(server.dir, "bench_known_hosts");
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= server.stop();
    return stopping;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => void stop().finally(() => process.exit(130)));
  }
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    keyPath: server.keyPath,
    knownHosts,
    root: server.root,
    dir: server.dir,
    logFile: server.logFile,
    logins: () =>
      (readFileSync(server.logFile, "utf8").match(/Accepted (publickey|password) for/g) ?? []).length,
    stop,
  };
}

export interface SftpBenchOptions {
  connections?: number;
  /** The site's `verify` setting; the default (size) when absent. */
  verify?: "sha256" | "size";
}

/** The sftp block of the SFTP site, as settings hold it (strict host key checking). */
export function sftpConfig(server: BenchSshd, root: string, options: SftpBenchOptions = {}) {
  return {
    sftp_host: server.host,
    sftp_port: server.port,
    sftp_user: server.user,
    // The same key OpenSSH and rclone log in with.
    sftp_pass: "",
    sftp_key: { linux: [server.keyPath], windows: [], darwin: [] },
    sftp_key_pass: "",
    roots: root,
    host_key_checking: "yes" as const,
    known_hosts: server.knownHosts,
    connections: options.connections ?? 4,
    connect_timeout: 30,
    ...(options.verify ? { verify: options.verify } : {}),
  };
}

/**
 * A home whose artist site (`bench-artist`, local root `localRoot`) syncs
 * with the SFTP site `vendor` (root `remoteRoot` on the server), project
 * "Bench" imported.
 */
export async function openSftpStudio(
  home: string,
  localRoot: string,
  server: BenchSshd,
  remoteRoot: string,
  options: SftpBenchOptions = {},
): Promise<Context> {
  mkdirSync(home, { recursive: true });
  const j = JSON.stringify;
  const sftp = sftpConfig(server, remoteRoot, options);
  const settings = `
studio:
  sitesync:
    enabled: true
    config: {retry_cnt: 3, loop_delay: 60, always_accessible_on: [], active_site: studio, remote_site: studio}
    sites:
      - {name: studio, provider: local_drive, local_drive: {roots: [{name: work, linux: ${j(path.join(home, "studio"))}, windows: "", darwin: ""}]}}
      - name: ${VENDOR}
        provider: sftp
        sftp: ${j(sftp)}
site:
  sitesync:
    local_setting:
      active_site: local
      remote_site: ${VENDOR}
      local_roots: [{name: work, path: ${j(localRoot)}}]
`;
  writeFileSync(path.join(home, "settings.yaml"), settings);
  const context = await openContext({ home, create: true, env: { AYON_SITE_ID: SITE_ID } });
  await context.store.importProject({
    name: PROJECT,
    code: "BN",
    anatomy: loadDefaultAnatomy(),
    folders: [{ path: FOLDER, tasks: [{ name: "lighting", type: "Lighting" }] }],
  });
  return context;
}

/**
 * Registers one representation per entry of `tree`. `upload`: the artist's
 * site OK, vendor QUEUED; `download`: vendor OK, the artist's site QUEUED.
 */
export async function registerFor(
  context: Context,
  tree: SourceFile[][],
  direction: "upload" | "download",
): Promise<string[]> {
  const { store } = context;
  const folder = await store.getFolderByPath(PROJECT, FOLDER);
  const task = folder && (await store.getTask(PROJECT, folder.id, "lighting"));
  if (!folder || !task) throw new Error("bench project has no folder/task");
  const [has, wants] = direction === "upload" ? [SITE_ID, VENDOR] : [VENDOR, SITE_ID];
  const ids: string[] = [];
  for (const [index, sources] of tree.entries()) {
    const files: RepresentationFile[] = sources.map((s) => ({
      id: newId(),
      name: path.posix.basename(s.relPath),
      path: `{root[work]}/${s.relPath}`,
      size: s.size,
      hash: s.hash,
      hashType: "op3",
      sha256: s.sha256,
    }));
    const representationId = newId();
    await store.registerPublish(PROJECT, {
      product: {
        folderId: folder.id,
        name: `render${String(index).padStart(3, "0")}`,
        productType: "render",
        productBaseType: "render",
      },
      version: { id: newId(), version: 1, taskId: task.id, author: "bench" },
      representation: { id: representationId, name: "exr", context: { ext: "exr", version: 1 }, files },
      links: [],
      siteStates: [
        { site: has, files: files.map((f) => ({ fileId: f.id, status: SyncStatus.OK, size: f.size })) },
        { site: wants, files: files.map((f) => ({ fileId: f.id, status: SyncStatus.QUEUED })) },
      ],
    });
    ids.push(representationId);
  }
  return ids;
}

/** OpenSSH `sftp` in batch mode against the server; the batch file is the last argument's target. */
export function opensshSftp(server: BenchSshd, batchFile: string, extra: string[] = []): string[] {
  return [
    "sftp",
    "-q",
    "-b",
    batchFile,
    "-i",
    server.keyPath,
    "-o",
    `UserKnownHostsFile=${server.knownHosts}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-F",
    "/dev/null",
    ...extra,
    "-P",
    String(server.port),
    `${server.user}@${server.host}`,
  ];
}

/** An rclone config file with the remote `srv:` (sftp, key auth, strict known_hosts) in `dir`. */
export function rcloneConfig(server: BenchSshd, dir: string): string {
  const file = path.join(dir, "rclone.conf");
  writeFileSync(
    file,
    [
      "[srv]",
      "type = sftp",
      `host = ${server.host}`,
      `port = ${server.port}`,
      `user = ${server.user}`,
      `key_file = ${server.keyPath}`,
      `known_hosts_file = ${server.knownHosts}`,
      "",
    ].join("\n"),
  );
  return file;
}

/** Seconds the command took; throws with its stderr when it fails. */
export function timeCommand(argv: string[], options: { cwd?: string } = {}): number {
  const start = performance.now();
  const result = spawnSync(argv[0] as string, argv.slice(1), {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
    ...options,
  });
  const elapsed = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** Busy fraction of all CPUs over `ms`. */
export async function cpuBusy(ms = 1000): Promise<number> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  return b.total === a.total ? 0 : (b.busy - a.busy) / (b.total - a.total);
}

/**
 * Flushes dirty pages, then waits until the CPUs were at most `maxBusy` busy
 * for one second (other work shares this machine), at most `timeoutMs`.
 * Returns the busy fraction seen last (logged with each run).
 */
export async function settle(maxBusy = 0.15, timeoutMs = 120_000): Promise<number> {
  execFileSync("sync");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = await cpuBusy(1000);
    if (busy <= maxBusy) return busy;
    if (Date.now() > deadline) {
      console.error(`WARNING: CPU still ${(busy * 100).toFixed(0)}% busy after ${timeoutMs / 1000} s`);
      return busy;
    }
  }
}

export function osInfo(): string {
  return `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}`;
}

export function chown(server: BenchSshd, dir: string): void {
  const { uid, gid } = statSync(server.root);
  chownSync(dir, uid, gid);
}

/**
 * Experiment switches, applied to every ssh2 connection / transfer started
 * while set (the provider's included: the patches are in ssh2 and
 * ssh2-sftp-client, not in sitesync's code).
 *
 * - noDelay: TCP_NODELAY on ssh2's socket. ssh2 never calls setNoDelay, so
 *   Nagle's algorithm holds a small segment (the tail of a 32 KiB SFTP WRITE
 *   split into SSH packets, SFTP READ requests, WINDOW_ADJUST) until the
 *   previous one is acknowledged, and Linux delays that ACK up to 40 ms.
 *   OpenSSH sets TCP_NODELAY on its sessions; the provider does since
 *   commit 7702ae0 (it opens the socket itself), so this only matters for
 *   ssh2 used directly (sftp-big --tune).
 * - concurrency / chunkSize: replace the fastPut/fastGet options (the
 *   provider's were 64 x 32768, now 16 x 261120).
 */
export interface Tweaks {
  noDelay?: boolean;
  concurrency?: number;
  chunkSize?: number;
}
let tweaks: Tweaks = {};

/** Runs `work` with these tweaks on (see Tweaks). */
export async function withTweaks<T>(set: Tweaks, work: () => Promise<T>): Promise<T> {
  const before = tweaks;
  tweaks = set;
  try {
    return await work();
  } finally {
    tweaks = before;
  }
}

let patched = false;
/** Installs the hooks Tweaks need; without tweaks set they change nothing. */
export async function patchSsh2(): Promise<void> {
  if (patched) return;
  patched = true;
  type Connect = (this: { _sock?: net.Socket }, ...args: unknown[]) => unknown;
  const ssh2 = (await import("ssh2")).default as unknown as { Client: { prototype: { connect: Connect } } };
  const connect = ssh2.Client.prototype.connect;
  ssh2.Client.prototype.connect = function (this: { _sock?: net.Socket }, ...args: unknown[]) {
    const result = connect.apply(this, args);
    // The socket exists once connect() returned; Node applies the flag when it connects.
    if (tweaks.noDelay) this._sock?.setNoDelay(true);
    return result;
  };
  type Xfer = (this: unknown, from: string, to: string, options?: Record<string, unknown>) => unknown;
  const { default: Client } = (await import("ssh2-sftp-client")) as unknown as {
    default: { prototype: Record<"fastPut" | "fastGet", Xfer> };
  };
  for (const name of ["fastPut", "fastGet"] as const) {
    const original = Client.prototype[name];
    Client.prototype[name] = function (
      this: unknown,
      from: string,
      to: string,
      options?: Record<string, unknown>,
    ) {
      const override = {
        ...(tweaks.concurrency ? { concurrency: tweaks.concurrency } : {}),
        ...(tweaks.chunkSize ? { chunkSize: tweaks.chunkSize } : {}),
      };
      return original.call(this, from, to, { ...options, ...override });
    };
  }
}
