/**
 * The connection-level pieces of the sftp provider: the TCP socket ssh2 runs
 * on, the raw ssh2 SFTP session behind each ssh2-sftp-client client, and the
 * few requests made on it directly (times, folder checks).
 */
import type { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";
import type { SFTPWrapper } from "ssh2";
import type SftpClient from "ssh2-sftp-client";

/**
 * The TCP connection ssh2 runs on, with Nagle's algorithm off. ssh2 leaves it
 * on, so small segments (the tail of a WRITE, READ requests, window updates)
 * wait for the previous ACK, which Linux delays up to 40 ms: measured 9x
 * slower downloads and 8x slower small-file uploads. OpenSSH sets TCP_NODELAY.
 */
export function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
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
export const FAST = { concurrency: 16, chunkSize: 261120 };

/** Each client's raw ssh2 SFTP session, for the requests ssh2-sftp-client does not expose (pipelinedGet). */
export const sessions = new WeakMap<SftpClient, SFTPWrapper>();

/** Where ssh2-sftp-client keeps the raw session and the ssh2 client; its typings leave both out. */
interface ClientInternals {
  sftp?: SFTPWrapper;
  client?: EventEmitter;
}

export function lostConnection(detail?: Error): Error {
  return Object.assign(new Error(`connection lost${detail ? `: ${detail.message}` : ""}`), {
    code: "ERR_NOT_CONNECTED",
  });
}

/**
 * One request on a connection's raw ssh2 SFTP session, for what
 * ssh2-sftp-client does not offer (times) or words wrongly (it reports a
 * mkdir's generic failure as "permission denied"). A connection that is gone,
 * or goes before the answer, fails it as lost: ssh2 never answers a request
 * written to a closed channel.
 */
export function request(
  client: SftpClient,
  send: (session: SFTPWrapper, done: (error?: Error | null) => void) => void,
) {
  const internals = client as unknown as ClientInternals;
  const session = internals.sftp;
  if (!session) return Promise.reject(lostConnection());
  const emitters = [session, internals.client].filter((e): e is EventEmitter => e !== undefined);
  return new Promise<void>((resolve, reject) => {
    const onLost = (error?: Error) => settle(lostConnection(error));
    const settle = (error?: Error | null) => {
      for (const emitter of emitters) for (const name of ["close", "end", "error"]) emitter.off(name, onLost);
      if (error) reject(error);
      else resolve();
    };
    for (const emitter of emitters) for (const name of ["close", "end", "error"]) emitter.once(name, onLost);
    send(session, settle);
  });
}

/** SETSTAT of a file's access and modification times, in whole seconds (all SFTP v3 carries). */
export function setTimes(
  client: SftpClient,
  remote: string,
  atimeMs: number,
  mtimeMs: number,
): Promise<void> {
  const [atime, mtime] = [Math.floor(atimeMs / 1000), Math.floor(mtimeMs / 1000)];
  return request(client, (session, done) => session.utimes(remote, atime, mtime, done));
}

/** Whether a path on the server is a folder (false when it is a file), or null when nothing is there. */
export async function folderAt(client: SftpClient, remote: string): Promise<boolean | null> {
  try {
    return (await client.stat(remote)).isDirectory;
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

export function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 2 || code === "ENOENT";
}
