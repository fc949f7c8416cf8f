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
import { posix } from "node:path";
import type SftpClient from "ssh2-sftp-client";
import { currentPlatform } from "../../lib/anatomy/roots.js";
import { ProviderError } from "../../lib/errors.js";
import { sha256File } from "../../lib/fs/hasher.js";
import type { SftpSettings } from "../../lib/settings/schema.js";
import {
  type ActiveCheck,
  BATCH_LIMITS,
  type FileStat,
  type ProviderCapabilities,
  type ProviderContext,
  type ProviderFactory,
  type SiteProvider,
  type TransferOptions,
  type TransferResult,
} from "../provider.js";
import { type Credentials, loadCredentials } from "./auth.js";
import { pipelinedGet } from "./download.js";
import { reasonOf, sftpError } from "./errors.js";
import { defaultKnownHosts, describeRefusal, type HostKeyOutcome, hostVerifier } from "./hostkey.js";
import { type PushTarget, reuseSplitPacketBuffer } from "./packet-buffer.js";
import { SftpPool } from "./pool.js";
import {
  FAST,
  folderAt,
  isMissing,
  lostConnection,
  openSocket,
  request,
  sessions,
  setTimes,
} from "./session.js";
import { sftpWarn } from "./warnings.js";

type SftpConfig = Partial<SftpSettings>;

class SftpProvider implements SiteProvider {
  readonly kind = "sftp";
  readonly capabilities: ProviderCapabilities;
  readonly siteName: string;
  private readonly config: SftpConfig;
  private readonly roots: Readonly<Record<string, string>>;
  private readonly pool: SftpPool;
  private credentials: Credentials | undefined;
  private lastHostKey: HostKeyOutcome | undefined;
  private timesRefused = false;

  constructor(context: ProviderContext<SftpConfig>) {
    this.siteName = context.siteName;
    this.config = context.config ?? {};
    // The server cannot hash, so by default transfers are checked by size; `verify: sha256` hashes the bytes here.
    const hashes = this.config.verify === "sha256" ? ["sha256"] : [];
    this.capabilities = { hashes };
    this.roots = context.roots;
    this.pool = new SftpPool(() => this.connect(), this.config.connections ?? 4);
  }

  private get where(): string {
    return `${this.config.sftp_user}@${this.config.sftp_host}:${this.config.sftp_port ?? 22}`;
  }

  private async connect(): Promise<SftpClient> {
    const { sftp_host: host = "", sftp_port: port = 22, sftp_user: username = "" } = this.config;
    const platform = currentPlatform();
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
    const reason = reasonOf(error).text;
    const why = reason === "timed out" ? `timed out after ${this.config.connect_timeout ?? 10} s` : reason;
    return new ProviderError(`sftp site "${this.siteName}": cannot connect to ${this.where}: ${why}`, true, {
      cause: error,
    });
  }

  async isActive(): Promise<ActiveCheck> {
    if (!this.config.sftp_host || !this.config.sftp_user)
      return { active: false, reason: "sftp_host and sftp_user are required" };
    try {
      await this.run("opening the SFTP session", async (client) => client.cwd());
      return { active: true };
    } catch (error) {
      return { active: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  rootPaths(): Readonly<Record<string, string>> {
    return this.roots;
  }

  /** `doing` is what a failure's message says we were doing: "creating folder /srv/x". */
  private run<T>(doing: string | (() => string), work: (client: SftpClient) => Promise<T>): Promise<T> {
    return this.pool.use(work).catch((error: unknown) => {
      throw sftpError(error, typeof doing === "string" ? doing : doing(), this.siteName);
    });
  }

  async stat(remote: string): Promise<FileStat | null> {
    return this.run(`checking ${remote}`, async (client) => {
      try {
        const found = await client.stat(remote);
        return { size: found.size, mtimeMs: found.modifyTime, isDirectory: found.isDirectory };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    });
  }

  async list(dir: string): Promise<string[]> {
    return this.run(`listing folder ${dir}`, async (client) =>
      (await client.exists(dir)) ? (await client.list(dir)).map((entry) => entry.name).sort() : [],
    );
  }

  async mkdirs(dir: string): Promise<void> {
    // One folder at a time, so a refusal names the folder refused, not the deepest one asked for.
    let making = dir;
    await this.run(
      () => `creating folder ${making}`,
      async (client) => {
        const missing: string[] = [];
        for (let at = dir; ; at = posix.dirname(at)) {
          const folder = await folderAt(client, at);
          if (folder === false) throw Object.assign(new Error(`${at} is a file`), { code: "ENOTDIR" });
          if (folder) break;
          missing.unshift(at);
          if (posix.dirname(at) === at) break;
        }
        for (const folder of missing) {
          making = folder;
          try {
            await request(client, (session, done) => session.mkdir(folder, done));
          } catch (error) {
            // Parallel transfers of a batch race to make the same folders: one made meanwhile is made.
            if (
              (error as { code?: unknown }).code === "ERR_NOT_CONNECTED" ||
              !(await folderAt(client, folder))
            )
              throw error;
          }
        }
      },
    );
  }

  async upload(local: string, remote: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    if (!options.overwrite && (await this.stat(remote))) {
      throw new ProviderError(`${remote} already exists on site ${this.siteName}`, false);
    }
    // SSH's MAC protects the bytes in flight, so the source's hash is the hash of what the server wrote.
    // Hashed while it uploads: both read the same file, so the hash costs little extra wall time.
    const doing = `uploading ${local} to ${remote}`;
    const source = await stat(local).catch((error: unknown) => {
      // A missing source is permanent (providers/README.md, rule 4): waiting does not bring it back.
      if ((error as { code?: unknown }).code === "ENOENT")
        throw new ProviderError(
          `${local} is missing on this machine, so it cannot be uploaded to site ${this.siteName}`,
          false,
          { cause: error },
        );
      throw sftpError(error, doing, this.siteName);
    });
    const [hash] = await Promise.all([
      options.hash === "sha256" ? sha256File(local) : Promise.resolve(undefined),
      this.transfer(doing, options, async (client, step) => {
        await client.fastPut(local, remote, { step, ...FAST });
        // The source's times, so AYON's op3 hash (basename|mtime|size) agrees between the sites; set
        // before the caller renames the file into place, so it appears with them. SFTP carries seconds.
        await setTimes(client, remote, source.atimeMs, source.mtimeMs).catch((error: unknown) => {
          // Some servers refuse to set times (OpenSSH's `internal-sftp -P setstat`, restricted gateways):
          // the file is still good, only its op3 hash differs between the sites. A lost connection is not.
          if (typeof (error as { code?: unknown }).code !== "number") throw error;
          this.warnTimesRefused(error);
        });
      }).catch(async (error: unknown) => {
        // fastPut writes at the path it is given: a stopped or failed upload leaves no partial file.
        await this.remove(remote).catch(() => undefined);
        throw error;
      }),
    ]);
    return hash ? { hash } : {};
  }

  async download(remote: string, local: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    // The file is created with `wx`: an existing one is refused unless overwrite is asked for.
    if (options.overwrite) await unlink(local).catch(() => undefined);
    let result: TransferResult = {};
    // A file already there is refused (`wx`) and is not ours to remove; any other file at `local`
    // after a failure or an abort is this download's partial copy.
    const existed = await stat(local).then(
      () => true,
      () => false,
    );
    const downloading = this.transfer(`downloading ${remote} to ${local}`, options, async (client, step) => {
      const session = sessions.get(client);
      if (!session) throw lostConnection();
      const got = await pipelinedGet(session, remote, local, {
        ...FAST,
        hash: options.hash === "sha256",
        // The engine flushes its downloads together (TransferOptions.deferSync); other callers get a durable file.
        sync: !(options.direct === true && options.deferSync === true),
        onProgress: (done, total) => step(done, 0, total),
        // ssh2-sftp-client keeps the ssh2 Client as `client`; its typings do not say so.
        connection: [session, (client as unknown as { client: EventEmitter }).client].filter(Boolean),
      }).catch((error: unknown) => {
        // Only opening the remote file answers "no such file" (2); this machine's errors carry errno
        // names. A missing source is permanent (providers/README.md, rule 4): waiting does not bring it back.
        if ((error as { code?: unknown }).code !== 2) throw error;
        throw new ProviderError(`${remote} is missing on site ${this.siteName}`, false, { cause: error });
      });
      result = { size: got.size, ...(got.hash ? { hash: got.hash } : {}) };
    });
    await downloading.catch(async (error: unknown) => {
      if (!existed) await unlink(local).catch(() => undefined);
      throw error;
    });
    return result;
  }

  /** Said once per site: every upload would say the same. */
  private warnTimesRefused(error: unknown): void {
    if (this.timesRefused) return;
    this.timesRefused = true;
    sftpWarn(
      `sftp site "${this.siteName}": the server refuses to set modification times (${reasonOf(error).text}); ` +
        "uploaded files get the time of the upload, so AYON's op3 hash differs between the sites",
    );
  }

  /** Runs one fastPut/fastGet; an abort ends that connection, which stops the transfer at once. */
  private async transfer(
    doing: string,
    options: TransferOptions,
    work: (
      client: SftpClient,
      step: (done: number, chunk: number, total: number) => void,
    ) => Promise<unknown>,
  ): Promise<void> {
    await this.run(doing, async (client) => {
      // Ending the connection stops the bytes, but ssh2-sftp-client's fastPut never settles once
      // end() was called: the abort itself settles the transfer instead of waiting on it.
      let onAbort = () => {};
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => {
          void client.end().catch(() => undefined);
          reject(options.signal?.reason);
        };
      });
      aborted.catch(() => undefined);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const working = work(client, (done, _chunk, total) => options.onProgress?.(done, total));
        working.catch(() => undefined);
        await Promise.race([working, aborted]);
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
    await this.run(`renaming ${from} to ${to}`, async (client) => {
      if (options.overwrite) {
        // posix-rename@openssh.com replaces the target atomically; plain SFTP rename refuses an existing one.
        await client.posixRename(from, to);
        return;
      }
      if (await client.exists(to))
        throw new ProviderError(`${to} already exists on site ${this.siteName}`, false);
      await client.rename(from, to);
    });
  }

  async remove(remote: string): Promise<void> {
    await this.run(`removing ${remote}`, async (client) => {
      if (await client.exists(remote)) await client.delete(remote);
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

export const sftpFactory: ProviderFactory<SftpConfig> = {
  kind: "sftp",
  batchLimit: BATCH_LIMITS.sftp,
  create: (context) => new SftpProvider(context),
};
