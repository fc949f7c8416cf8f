/**
 * The `sftp` provider (ssh2-sftp-client): a studio's storage exposed over
 * SFTP, e.g. to freelancers. Uploads use fastPut, downloads the same
 * pipelining in download.ts, hashing on the way (`put` with a read stream
 * measured ~30x slower); host keys
 * are checked against known_hosts; a pool of connections moves a batch in
 * parallel. Paths are POSIX paths on the server. ssh2 is loaded on the first
 * connection, so registering the provider costs nothing at start-up.
 */
import type { EventEmitter } from "node:events";
import { stat, unlink } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import type { SFTPWrapper } from "ssh2";
import type SftpClient from "ssh2-sftp-client";
import { ProviderError } from "../../lib/errors.js";
import { sha256File } from "../../lib/fs/hasher.js";
import type { SftpSettings } from "../../lib/settings/schema.js";
import type {
  ActiveCheck,
  FileStat,
  ProviderCapabilities,
  ProviderContext,
  ProviderFactory,
  SiteProvider,
  TransferOptions,
  TransferResult,
} from "../provider.js";
import { type Credentials, loadCredentials } from "./auth.js";
import { pipelinedGet } from "./download.js";
import { sftpError } from "./errors.js";
import { defaultKnownHosts, describeRefusal, type HostKeyOutcome, hostVerifier } from "./hostkey.js";
import { type PushTarget, reuseSplitPacketBuffer } from "./packet-buffer.js";
import { SftpPool } from "./pool.js";
import { sftpWarn } from "./warnings.js";

type SftpConfig = Partial<SftpSettings>;

/**
 * The TCP connection ssh2 runs on, with Nagle's algorithm off. ssh2 leaves it
 * on, so small segments (the tail of a WRITE, READ requests, window updates)
 * wait for the previous ACK, which Linux delays up to 40 ms: measured 9x
 * slower downloads and 8x slower small-file uploads. OpenSSH sets TCP_NODELAY.
 */
function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error(`timed out after ${timeoutMs / 1000} s`), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * fastPut/fastGet: 16 requests in flight of 255 KiB each (under OpenSSH's
 * 256 KiB packet limit); measured best on loopback against OpenSSH's sftp.
 */
const FAST = { concurrency: 16, chunkSize: 261120 };

/** Each client's raw ssh2 SFTP session, for the requests ssh2-sftp-client does not expose (pipelinedGet). */
const sessions = new WeakMap<SftpClient, SFTPWrapper>();

/** SETSTAT of a file's access and modification times, in whole seconds (all SFTP v3 carries). */
function setTimes(client: SftpClient, remote: string, atimeMs: number, mtimeMs: number): Promise<void> {
  const session = sessions.get(client);
  if (!session) return Promise.reject(new Error("no SFTP session on this connection"));
  const [atime, mtime] = [Math.floor(atimeMs / 1000), Math.floor(mtimeMs / 1000)];
  return new Promise((resolve, reject) =>
    session.utimes(remote, atime, mtime, (error) => (error ? reject(error) : resolve())),
  );
}

class SftpProvider implements SiteProvider {
  readonly kind = "sftp";
  readonly capabilities: ProviderCapabilities;
  readonly siteName: string;
  private readonly config: SftpConfig;
  private readonly roots: Readonly<Record<string, string>>;
  private readonly pool: SftpPool;
  private credentials: Credentials | undefined;
  private lastHostKey: HostKeyOutcome | undefined;

  constructor(context: ProviderContext<SftpConfig>) {
    this.siteName = context.siteName;
    this.config = context.config ?? {};
    // The server cannot hash, so by default transfers are checked by size; `verify: sha256` hashes the bytes here.
    const hashes = this.config.verify === "sha256" ? ["sha256"] : [];
    this.capabilities = { batchLimit: 20, atomicWrite: false, hashes };
    this.roots = context.roots;
    this.pool = new SftpPool(() => this.connect(), this.config.connections ?? 4);
  }

  private get where(): string {
    return `${this.config.sftp_user}@${this.config.sftp_host}:${this.config.sftp_port ?? 22}`;
  }

  private async connect(): Promise<SftpClient> {
    const { sftp_host: host = "", sftp_port: port = 22, sftp_user: username = "" } = this.config;
    const platform =
      process.platform === "win32" ? "windows" : process.platform === "darwin" ? "darwin" : "linux";
    this.credentials ??= await loadCredentials(
      this.siteName,
      this.config.sftp_pass ?? "",
      this.config.sftp_key?.[platform] ?? [],
      this.config.sftp_key_pass ?? "",
    );
    const mode = this.config.host_key_checking ?? "yes";
    const knownHosts = this.config.known_hosts || defaultKnownHosts();
    // Loaded on first connect: a launch that never talks SFTP does not pay for ssh2.
    const { default: Client } = await import("ssh2-sftp-client");
    // The library's default listeners print "Global error listener: ..." to the console on a lost
    // connection; the failure reaches the caller through the operation's rejection instead.
    const quiet = () => undefined;
    const client = new Client(`sitesync-${this.siteName}`, { error: quiet, end: quiet, close: quiet });
    try {
      const sock = await openSocket(host, port, (this.config.connect_timeout ?? 10) * 1000);
      const session = await client.connect({
        sock,
        host,
        port,
        username,
        readyTimeout: (this.config.connect_timeout ?? 10) * 1000,
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
        hostVerifier: hostVerifier(host, port, mode, knownHosts, (outcome) => {
          this.lastHostKey = outcome;
          if (outcome.result === "accepted-new") {
            sftpWarn(
              `sftp site "${this.siteName}": trusted ${host}:${port} on first use (${outcome.fingerprint}), recorded in ${outcome.file}`,
            );
          } else if (outcome.result === "unchecked") {
            sftpWarn(
              `sftp site "${this.siteName}": host key checking is off; accepted ${host}:${port} (${outcome.fingerprint}) unverified`,
            );
          }
        }),
        ...this.credentials,
      });
      // ssh2's typings leave out `push`, the method that takes each SSH packet's data.
      reuseSplitPacketBuffer(session as unknown as PushTarget);
      sessions.set(client, session);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw this.connectError(error);
    }
    return client;
  }

  private connectError(error: unknown): ProviderError {
    const refusal =
      this.lastHostKey &&
      describeRefusal(this.lastHostKey, this.config.sftp_host ?? "", this.config.sftp_port ?? 22);
    if (refusal)
      return new ProviderError(`sftp site "${this.siteName}": ${refusal}`, false, { cause: error });
    const message = error instanceof Error ? error.message.replace(/^connect: /, "") : String(error);
    if (/authentication methods failed|auth/i.test(message)) {
      return new ProviderError(
        `sftp site "${this.siteName}": authentication failed for ${this.where}`,
        false,
        { cause: error },
      );
    }
    return new ProviderError(
      `sftp site "${this.siteName}": cannot connect to ${this.where}: ${message}`,
      true,
      { cause: error },
    );
  }

  async isActive(): Promise<ActiveCheck> {
    if (!this.config.sftp_host || !this.config.sftp_user)
      return { active: false, reason: "sftp_host and sftp_user are required" };
    try {
      await this.pool.use(async (client) => client.cwd());
      return { active: true };
    } catch (error) {
      return { active: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  rootPaths(): Readonly<Record<string, string>> {
    return this.roots;
  }

  private run<T>(action: string, target: string, work: (client: SftpClient) => Promise<T>): Promise<T> {
    return this.pool.use(work).catch((error: unknown) => {
      throw sftpError(error, action, target);
    });
  }

  async stat(remote: string): Promise<FileStat | null> {
    return this.run("stat", remote, async (client) => {
      try {
        const found = await client.stat(remote);
        return { size: found.size, mtimeMs: found.modifyTime, isDirectory: found.isDirectory };
      } catch (error) {
        if ((error as { code?: unknown }).code === 2 || /no such file/i.test(String(error))) return null;
        throw error;
      }
    });
  }

  async list(dir: string): Promise<string[]> {
    return this.run("list", dir, async (client) =>
      (await client.exists(dir)) ? (await client.list(dir)).map((entry) => entry.name).sort() : [],
    );
  }

  async mkdirs(dir: string): Promise<void> {
    await this.run("create folder", dir, async (client) => {
      // Parallel transfers of one batch race to make the same folders, and the server reports a
      // parent made by the other as a failure: try again while the race settles.
      for (let attempt = 1; ; attempt++) {
        if (await client.exists(dir)) return;
        try {
          await client.mkdir(dir, true);
          return;
        } catch (error) {
          if (attempt >= 5) throw error;
        }
      }
    });
  }

  async upload(local: string, remote: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    if (!options.overwrite && (await this.stat(remote))) {
      throw new ProviderError(`sftp: ${remote} already exists on site "${this.siteName}"`, false);
    }
    // SSH's MAC protects the bytes in flight, so the source's hash is the hash of what the server wrote.
    // Hashed while it uploads: both read the same file, so the hash costs little extra wall time.
    const source = await stat(local);
    const [hash] = await Promise.all([
      options.hash === "sha256" ? sha256File(local) : Promise.resolve(undefined),
      this.transfer("upload", remote, options, async (client, step) => {
        await client.fastPut(local, remote, { step, ...FAST });
        // The source's times, so AYON's op3 hash (basename|mtime|size) agrees between the sites; set
        // before the caller renames the file into place, so it appears with them. SFTP carries seconds.
        await setTimes(client, remote, source.atimeMs, source.mtimeMs);
      }),
    ]);
    return hash ? { hash } : {};
  }

  async download(remote: string, local: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    // The file is created with `wx`: an existing one is refused unless overwrite is asked for.
    if (options.overwrite) await unlink(local).catch(() => undefined);
    let result: TransferResult = {};
    await this.transfer("download", remote, options, async (client, step) => {
      const session = sessions.get(client);
      if (!session) throw new Error("sftp: no SFTP session on this connection");
      const got = await pipelinedGet(session, remote, local, {
        ...FAST,
        hash: options.hash === "sha256",
        // The engine flushes its downloads together (TransferOptions.deferSync); other callers get a durable file.
        sync: !(options.direct === true && options.deferSync === true),
        onProgress: (done, total) => step(done, 0, total),
        // ssh2-sftp-client keeps the ssh2 Client as `client`; its typings do not say so.
        connection: [session, (client as unknown as { client: EventEmitter }).client].filter(Boolean),
      });
      result = { size: got.size, ...(got.hash ? { hash: got.hash } : {}) };
    });
    return result;
  }

  /** Runs one fastPut/fastGet; an abort ends that connection, which stops the transfer at once. */
  private async transfer(
    action: string,
    remote: string,
    options: TransferOptions,
    work: (
      client: SftpClient,
      step: (done: number, chunk: number, total: number) => void,
    ) => Promise<unknown>,
  ): Promise<void> {
    await this.run(action, remote, async (client) => {
      const onAbort = () => void client.end().catch(() => undefined);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await work(client, (done, _chunk, total) => options.onProgress?.(done, total));
      } catch (error) {
        if (options.signal?.aborted)
          throw Object.assign(new Error("aborted"), { code: "ERR_NOT_CONNECTED", cause: error });
        throw error;
      } finally {
        options.signal?.removeEventListener("abort", onAbort);
      }
    }).catch((error: unknown) => {
      if (options.signal?.aborted) throw options.signal.reason;
      throw error;
    });
  }

  async rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    await this.run("rename", `${from} to ${to}`, async (client) => {
      if (options.overwrite) {
        // posix-rename@openssh.com replaces the target atomically; plain SFTP rename refuses an existing one.
        await client.posixRename(from, to);
        return;
      }
      if (await client.exists(to))
        throw new ProviderError(`sftp: ${to} already exists on site "${this.siteName}"`, false);
      await client.rename(from, to);
    });
  }

  async remove(remote: string): Promise<void> {
    await this.run("remove", remote, async (client) => {
      if (await client.exists(remote)) await client.delete(remote);
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

export const sftpFactory: ProviderFactory<SftpConfig> = {
  kind: "sftp",
  batchLimit: 20,
  create: (context) => new SftpProvider(context),
};
