/**
 * The SFTP benchmarks' server and site: a private OpenSSH sshd on 127.0.0.1,
 * started by the tests' own harness (test/helpers/sshd.ts) and logged into
 * with its key, a studio home whose remote site `vendor` is that server, and
 * the OpenSSH `sftp` and `rclone` command lines for the same server.
 *
 * Needs root (sshd privilege separation, useradd) and OpenSSH's server:
 * check `havePeer("sshd")` first.
 */
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Context } from "../../lib/context.js";
import { startSshd } from "../../test/helpers/sshd.js";
import { openHome, SITE_ID } from "../studio.js";

/** The SFTP site's name in the bench settings. */
export const VENDOR = "vendor";

export interface BenchSshd {
  host: string;
  port: number;
  user: string;
  /** ed25519 private key without passphrase, authorized for `user`. */
  keyPath: string;
  /** A known_hosts file holding the server's host key. */
  knownHosts: string;
  /** Folder owned by `user`, for the benchmark's files. */
  root: string;
  /** How many logins sshd accepted so far (from its log). */
  logins(): number;
  stop(): Promise<void>;
}

/** Starts sshd on a free 127.0.0.1 port for a fresh user and writes a known_hosts file for it. */
export async function startBenchSshd(): Promise<BenchSshd> {
  const server = await startSshd();
  const knownHosts = path.join(server.dir, "bench_known_hosts");
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= server.stop();
    return stopping;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => void stop().finally(() => process.exit(130)));
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    keyPath: server.keyPath,
    knownHosts,
    root: server.root,
    logins: () =>
      (readFileSync(server.logFile, "utf8").match(/Accepted (publickey|password) for/g) ?? []).length,
    stop,
  };
}

export interface SftpSiteOptions {
  connections?: number;
  /** The site's `verify` setting; the default (size) when absent. */
  verify?: "sha256" | "size";
}

/** The sftp block of the SFTP site, as settings hold it (key auth, strict host key checking). */
export function sftpConfig(server: BenchSshd, root: string, options: SftpSiteOptions = {}) {
  return {
    sftp_host: server.host,
    sftp_port: server.port,
    sftp_user: server.user,
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
  options: SftpSiteOptions = {},
): Promise<Context> {
  mkdirSync(home, { recursive: true });
  const j = JSON.stringify;
  const settings = `
studio:
  sitesync:
    enabled: true
    config: {retry_cnt: 3, loop_delay: 60, always_accessible_on: [], active_site: studio, remote_site: studio}
    sites:
      - {name: studio, provider: local_drive, local_drive: {roots: [{name: work, linux: ${j(path.join(home, "studio"))}, windows: "", darwin: ""}]}}
      - name: ${VENDOR}
        provider: sftp
        sftp: ${j(sftpConfig(server, remoteRoot, options))}
site:
  sitesync:
    local_setting:
      active_site: local
      remote_site: ${VENDOR}
      local_roots: [{name: work, path: ${j(localRoot)}}]
`;
  return openHome(home, settings);
}

/** The sites of a catalog for `direction`: the artist's site has the files on upload, vendor on download. */
export const sitesFor = (direction: "upload" | "download") =>
  direction === "upload" ? { has: SITE_ID, wants: VENDOR } : { has: VENDOR, wants: SITE_ID };

/** OpenSSH `sftp` in batch mode against the server. */
export function opensshSftp(server: BenchSshd, batchFile: string): string[] {
  return [
    "sftp",
    ...["-q", "-b", batchFile, "-i", server.keyPath, "-F", "/dev/null"],
    ...["-o", `UserKnownHostsFile=${server.knownHosts}`, "-o", "StrictHostKeyChecking=yes"],
    ...["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"],
    ...["-P", String(server.port), `${server.user}@${server.host}`],
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

/** Makes `dir` (and its parents under the server's root) owned by the sftp user. */
export function serverDir(server: BenchSshd, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = statSync(server.root);
  for (let d = dir; d.startsWith(server.root) && d !== server.root; d = path.dirname(d))
    chownSync(d, uid, gid);
}
