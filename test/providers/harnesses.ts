/**
 * The sites the provider conformance suite (conformance.test.ts) runs against:
 * one harness per provider kind. A new provider joins the suite with one more
 * entry in `HARNESSES`: how to start and stop its backing store, how to make a
 * provider for it, and the site's root path that the tests write under.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gdriveFactory } from "../../providers/gdrive/index.js";
import { localDriveFactory } from "../../providers/local-drive.js";
import type { SiteProvider } from "../../providers/provider.js";
import { rcloneFactory } from "../../providers/rclone/index.js";
import { sftpFactory } from "../../providers/sftp/index.js";
import { dropboxHarness } from "../dropbox/harness.js";
import { type DriveEmulator, startDriveEmulator } from "../gdrive/emulator.js";
import { makeServiceAccount, type ServiceAccountFixture } from "../gdrive/fixtures.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";
import { localSite, sftpSite } from "../rclone/remotes.js";

export interface ProviderHarness {
  /** The provider kind, as in settings; names the suite's `describe` block. */
  kind: string;
  /** Tells apart harnesses of one kind (rclone's backends) in the `describe` block's name. */
  variant?: string;
  /** Starts the backing store (once per test file). */
  start(): Promise<void>;
  /** Stops it and removes everything it made. */
  stop(): Promise<void>;
  /** A provider for the site; the suite closes it after each test. */
  create(): SiteProvider;
  /** The site's root path, in the provider's namespace; each test writes in a fresh folder under it. */
  root(): string;
  /** Joins path parts the way the provider's namespace does (an OS path, or POSIX on a server). */
  join(...parts: string[]): string;
  /** For a store reached over a network: makes it unreachable, then reachable again (same address). */
  outage?: { begin(): Promise<void>; end(): Promise<void> };
}

const SITE = "conformance";

function localDrive(): ProviderHarness {
  let dir = "";
  return {
    kind: "local_drive",
    async start() {
      dir = await mkdtemp(path.join(os.tmpdir(), "sitesync-conformance-"));
    },
    async stop() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
    create: () => localDriveFactory.create({ siteName: SITE, config: {}, roots: { work: dir } }),
    root: () => dir,
    join: (...parts) => path.join(...parts),
  };
}

/** A real OpenSSH sshd on loopback (test/helpers/sshd.ts), with sha256 verification so hashing is covered. */
function sftp(): ProviderHarness {
  let server: SshdServer | undefined;
  let knownHosts = "";
  const running = (): SshdServer => {
    if (!server) throw new Error("the sftp harness is not started");
    return server;
  };
  return {
    kind: "sftp",
    async start() {
      server = await startSshd();
      const client = path.join(server.dir, "client");
      mkdirSync(client, { recursive: true });
      knownHosts = path.join(client, "known_hosts");
      writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
    },
    async stop() {
      await server?.stop();
    },
    create: () => {
      const s = running();
      return sftpFactory.create({
        siteName: SITE,
        config: {
          sftp_host: s.host,
          sftp_port: s.port,
          sftp_user: s.user,
          sftp_pass: s.password,
          known_hosts: knownHosts,
          connect_timeout: 5,
          verify: "sha256",
        },
        roots: { work: s.root },
      });
    },
    root: () => running().root,
    join: (...parts) => path.posix.join(...parts),
    // sshd killed with its sessions, so open connections drop too; restarted on the same port and key.
    outage: { begin: () => running().kill(), end: () => running().restart() },
  };
}

/** Every provider the suite checks. One line per provider. */
/** A shared drive on the Drive emulator (test/gdrive/emulator.ts), 1 MiB chunks, no pacing. */
function gdrive(): ProviderHarness {
  let emulator: DriveEmulator | undefined;
  let account: ServiceAccountFixture | undefined;
  const before = process.env.SITESYNC_GDRIVE_API_URL;
  const root = "/Conformance/site";
  const create = () => {
    const paths = account ? [account.credentialsPath] : [];
    return gdriveFactory.create({
      siteName: SITE,
      config: {
        credentials_url: { windows: paths, linux: paths, darwin: paths },
        roots: root,
        chunk_size_mib: 1,
        requests_per_second: 1000,
      },
      roots: { work: root },
    });
  };
  return {
    kind: "gdrive",
    async start() {
      account = makeServiceAccount();
      emulator = await startDriveEmulator({
        accounts: [{ email: account.clientEmail, publicKeyPem: account.publicKeyPem }],
      });
      emulator.addSharedDrive("Conformance");
      process.env.SITESYNC_GDRIVE_API_URL = emulator.url;
      await create().mkdirs(root);
    },
    async stop() {
      await emulator?.close();
      account?.remove();
      if (before === undefined) delete process.env.SITESYNC_GDRIVE_API_URL;
      else process.env.SITESYNC_GDRIVE_API_URL = before;
    },
    create,
    root: () => root,
    join: (...parts) => path.posix.join(...parts),
  };
}

/** rclone's `local` backend through a remote of an rclone config file. */
function rcloneLocal(): ProviderHarness {
  let dir = "";
  const root = () => path.join(dir, "root");
  return {
    kind: "rclone",
    variant: "local backend, config file",
    async start() {
      dir = await mkdtemp(path.join(os.tmpdir(), "sitesync-conformance-rclone-"));
      mkdirSync(root());
    },
    async stop() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
    create: () =>
      rcloneFactory.create({
        siteName: SITE,
        config: localSite("config_file", root(), dir),
        roots: { work: root() },
      }),
    root,
    join: (...parts) => path.join(...parts),
  };
}

/** rclone's `sftp` backend on a real sshd, configured inline (`config_web`), so the password is obscured by rclone. */
function rcloneSftp(): ProviderHarness {
  let server: SshdServer | undefined;
  let knownHosts = "";
  const running = (): SshdServer => {
    if (!server) throw new Error("the rclone sftp harness is not started");
    return server;
  };
  return {
    kind: "rclone",
    variant: "sftp backend, inline config",
    async start() {
      server = await startSshd();
      const client = path.join(server.dir, "client");
      mkdirSync(client, { recursive: true });
      knownHosts = path.join(client, "known_hosts");
      writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
    },
    async stop() {
      await server?.stop();
    },
    create: () => {
      const s = running();
      return rcloneFactory.create({
        siteName: SITE,
        config: sftpSite("config_web", s, knownHosts, s.dir),
        roots: { work: s.root },
      });
    },
    root: () => running().root,
    join: (...parts) => path.posix.join(...parts),
    outage: { begin: () => running().kill(), end: () => running().restart() },
  };
}

export const HARNESSES: ProviderHarness[] = [
  localDrive(),
  sftp(),
  gdrive(),
  rcloneLocal(),
  rcloneSftp(),
  dropboxHarness(SITE),
];
