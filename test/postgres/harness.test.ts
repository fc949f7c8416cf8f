/**
 * The throwaway PostgreSQL cluster of test/helpers/postgres.ts, which the PostgreSQL store's tests
 * will run on (issue 13): it answers through `pg`, listens on 127.0.0.1 only, checks passwords,
 * and leaves neither a process nor a folder behind.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresServer, startPostgres } from "../helpers/postgres.js";

let server: PostgresServer | undefined;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

function started(): PostgresServer {
  if (!server) throw new Error("the cluster did not start");
  return server;
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Running (not zombie) process ids whose command line mentions text. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text) && running(Number(entry)))
        found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Local addresses (hex, as /proc/net/tcp writes them) listening on port. */
function listeners(table: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync(table, "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === "0A") // 0A: LISTEN
    .map((f) => f[1]?.split(":")[0] ?? "");
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe("PostgreSQL test cluster", () => {
  it("answers a query through pg on its url: Debian's PostgreSQL, as the role it created", async () => {
    const { url, user, database } = started();
    const [row] = await query<{ version: string; user: string; db: string }>(
      url,
      "SELECT version() AS version, current_user AS user, current_database() AS db",
    );
    expect(row?.version).toMatch(/^PostgreSQL \d+\.\d+/);
    expect(row?.user).toBe(user);
    expect(row?.db).toBe(database);
  });

  it("listens on 127.0.0.1 only, with no Unix socket", async () => {
    const { url, host, port } = started();
    expect(host).toBe("127.0.0.1");
    const [listen] = await query<{ listen_addresses: string }>(url, "SHOW listen_addresses");
    expect(listen?.listen_addresses).toBe("127.0.0.1");
    // The kernel's view: one IPv4 listener on 127.0.0.1 (0100007F) for the port, none on IPv6.
    expect(listeners("/proc/net/tcp", port)).toEqual(["0100007F"]);
    expect(existsSync("/proc/net/tcp6") ? listeners("/proc/net/tcp6", port) : []).toEqual([]);
    for (const folder of ["/var/run/postgresql", "/tmp"])
      expect(existsSync(`${folder}/.s.PGSQL.${port}`)).toBe(false);
  });

  it("refuses a wrong password with 28P01", async () => {
    const { host, port, user, database } = started();
    const client = new pg.Client({ host, port, user, database, password: "wrong-password" });
    await expect(client.connect()).rejects.toMatchObject({ code: "28P01" });
    await client.end().catch(() => undefined);
  });

  it("stop() ends the server and removes its folder", async () => {
    const own = await startPostgres();
    const postmaster = Number(
      readFileSync(path.join(own.dir, "data", "postmaster.pid"), "utf8").split("\n")[0],
    );
    expect(running(postmaster)).toBe(true);
    expect(processesMentioning(own.dir)).toContain(postmaster);
    await own.stop();
    expect(running(postmaster)).toBe(false);
    expect(processesMentioning(own.dir)).toEqual([]);
    expect(existsSync(own.dir)).toBe(false);
    await expect(query(own.url, "SELECT 1")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
