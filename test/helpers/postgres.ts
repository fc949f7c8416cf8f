/**
 * A throwaway PostgreSQL 15 cluster for a test file (issue 13, the PostgreSQL store).
 *
 * Each `startPostgres()` gets its own temp dir (the data folder, the server log), its own free
 * 127.0.0.1 port (no Unix socket), a database and a role with a random password. `initdb` refuses
 * root: as root, initdb and pg_ctl run as the `postgres` user, which owns the temp dir.
 *
 * Needs Debian's postgresql (postgresql-15: /usr/lib/postgresql/15/bin), else initdb and pg_ctl on PATH.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

const HOST = "127.0.0.1";
/**
 * Debian keeps the server binaries off PATH, under one folder per major
 * version: 15 (bookworm, what the issue targets) first, else the newest there.
 */
const BIN = debianBin();

function debianBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const chosen = versions.includes("15") ? "15" : versions[0];
  return chosen ? path.join(root, chosen, "bin") : path.join(root, "15", "bin");
}
const SUPERUSER = "postgres";

export interface PostgresServer {
  /** `postgres://user:password@127.0.0.1:port/database`: holds the password, never log it. */
  url: string;
  host: "127.0.0.1";
  port: number;
  database: string;
  user: string;
  password: string;
  /** The temp dir holding the cluster (`data/`) and its log (removed by `stop()`). */
  dir: string;
  /** Stops the server (`pg_ctl stop -m fast`) and removes the temp dir. */
  stop(): Promise<void>;
  /** A new empty database owned by `user`; returns its URL (a fresh store per test). */
  newDatabase(): Promise<string>;
  /** Restarts the server (`pg_ctl restart -m fast`): every connection is cut, as in a server restart. */
  restart(): Promise<void>;
  /** Stops the server and keeps its data (an outage); `start` brings it back. */
  halt(): Promise<void>;
  start(): Promise<void>;
}

export interface PostgresOptions {
  /** How long to wait for the server to accept connections. Default 30 s. */
  readyTimeoutMs?: number;
}

/** Clusters not stopped yet, stopped synchronously if the test process exits without `stop()`. */
const live = new Set<{ dir: string; data: string }>();
// Synchronous calls only: nothing asynchronous runs in an "exit" handler.
process.on("exit", () => {
  for (const c of live) {
    spawnSync(...asOwner(tool("pg_ctl"), ["stop", "-D", c.data, "-m", "immediate", "-w"]), {
      stdio: "ignore",
    });
    rmSync(c.dir, { recursive: true, force: true });
  }
});

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const initdb = tool("initdb");
  const pgCtl = tool("pg_ctl");
  const dir = await mkdtemp(path.join(os.tmpdir(), "sitesync-pg-"));
  const data = path.join(dir, "data");
  const logFile = path.join(dir, "postgres.log");
  const state = { dir, data };
  live.add(state);
  const stop = async (): Promise<void> => {
    if (existsSync(path.join(data, "postmaster.pid"))) {
      await run(...asOwner(pgCtl, ["stop", "-D", data, "-m", "fast", "-w", "-t", "30"]), dir);
    }
    live.delete(state);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    chmodSync(dir, 0o700);
    const owner = runAsPostgres() ? postgresIds() : undefined;
    if (owner) chownSync(dir, owner.uid, owner.gid);
    // The superuser's password reaches initdb in a file (never argv, visible in `ps`), deleted after.
    const superPassword = randomBytes(18).toString("base64url");
    const pwfile = path.join(dir, "pwfile");
    writeFileSync(pwfile, `${superPassword}\n`, { mode: 0o600 });
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    await run(
      ...asOwner(initdb, [
        "-D",
        data,
        "-U",
        SUPERUSER,
        `--pwfile=${pwfile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
      ]),
      dir,
    );
    rmSync(pwfile);

    // The free port can be taken between our probe and the server's bind: retry with another one.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      // Appended: the last setting of a name wins, so a retry overrides the port.
      appendFileSync(
        path.join(data, "postgresql.conf"),
        [
          "",
          `listen_addresses = '${HOST}'`,
          `port = ${port}`,
          "unix_socket_directories = ''", // TCP on 127.0.0.1 only
          "fsync = off", // a throwaway cluster: durability is not under test here
          "synchronous_commit = off",
          "full_page_writes = off",
          "",
        ].join("\n"),
      );
      try {
        await run(...asOwner(pgCtl, ["start", "-D", data, "-l", logFile, "-w", "-t", "60"]), dir);
        break;
      } catch (error) {
        const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
        const tail = log.trim().split("\n").slice(-20).join("\n");
        if (!/could not bind|address already in use/i.test(tail) || attempt >= 5) {
          throw new Error(
            `PostgreSQL on ${HOST}:${port} did not start: ${(error as Error).message}\n${tail}`,
          );
        }
      }
    }

    const admin = { host: HOST, port, user: SUPERUSER, password: superPassword, database: "postgres" };
    await waitReady(admin, readyTimeoutMs);
    const user = "sitesync";
    const database = "sitesync_test";
    const password = randomBytes(18).toString("base64url");
    const client = new pg.Client(admin);
    await client.connect();
    try {
      // Utility statements take no bound parameters: the literal is escaped (and random base64url).
      await client.query(`CREATE ROLE ${user} LOGIN CREATEDB PASSWORD ${client.escapeLiteral(password)}`);
      await client.query(`CREATE DATABASE ${database} OWNER ${user}`);
    } finally {
      await client.end();
    }
    const urlOf = (name: string) =>
      `postgres://${user}:${encodeURIComponent(password)}@${HOST}:${port}/${name}`;
    let made = 0;
    const newDatabase = async (): Promise<string> => {
      const name = `sitesync_${process.pid}_${++made}`;
      const owner = new pg.Client({ host: HOST, port, user, password, database });
      await owner.connect();
      try {
        await owner.query(`CREATE DATABASE ${name}`);
      } finally {
        await owner.end();
      }
      return urlOf(name);
    };
    const restart = async (): Promise<void> => {
      await run(
        ...asOwner(pgCtl, ["restart", "-D", data, "-l", logFile, "-m", "fast", "-w", "-t", "60"]),
        dir,
      );
    };
    const halt = async (): Promise<void> => {
      await run(...asOwner(pgCtl, ["stop", "-D", data, "-m", "fast", "-w", "-t", "60"]), dir);
    };
    const start = async (): Promise<void> => {
      await run(...asOwner(pgCtl, ["start", "-D", data, "-l", logFile, "-w", "-t", "60"]), dir);
    };
    return {
      url: urlOf(database),
      host: HOST,
      port,
      database,
      user,
      password,
      dir,
      stop,
      newDatabase,
      restart,
      halt,
      start,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** The Debian binary, else the one on PATH. */
function tool(name: string): string {
  const file = path.join(BIN, name);
  return existsSync(file) ? file : name;
}

function runAsPostgres(): boolean {
  return process.getuid?.() === 0;
}

/** The command line that runs cmd as the cluster's owner: the `postgres` user when we are root. */
function asOwner(cmd: string, args: string[]): [string, string[]] {
  if (!runAsPostgres()) return [cmd, args];
  const runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].find((f) => existsSync(f));
  if (runuser) return [runuser, ["-u", SUPERUSER, "--", cmd, ...args]];
  const quoted = [cmd, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  return ["su", [SUPERUSER, "-s", "/bin/sh", "-c", quoted]];
}

function postgresIds(): { uid: number; gid: number } {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === SUPERUSER) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(
    "running as root, but there is no `postgres` user to run initdb as (apt-get install postgresql)",
  );
}

/** Runs a command in cwd; resolves on exit 0, rejects with its output otherwise. */
function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("error", (error) => {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      reject(
        missing
          ? new Error(
              `${cmd} not found: the PostgreSQL tests need PostgreSQL 15's server binaries. Install them with ` +
                "`apt-get install --no-install-recommends postgresql` (.ci/run does this).",
            )
          : error,
      );
    });
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(cmd)} exited ${code}: ${out.trim()}`));
    });
  });
}

/** Connects until the server answers a query; retries only while it refuses or is still starting. */
async function waitReady(config: pg.ClientConfig, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client(config);
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // 57P03: the database system is starting up.
      const retry = code === "ECONNREFUSED" || code === "57P03";
      if (!retry || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
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
