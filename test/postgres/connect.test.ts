/**
 * Reaching the PostgreSQL store (issue 13): a URL that is not PostgreSQL's, a closed port, a server
 * that never answers, a refused login and a missing database all exit 2 with the host, the port and
 * the reason, quickly and without the password; TLS settings reach the connection; the schema is
 * migrated once however many processes start together, `store migrate` says what it did, and a
 * database migrated by a newer sitesync is refused.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../lib/store/postgres/migrations.js";
import { runCli } from "../helpers/cli.js";
import { type PostgresServer, startPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/tmp.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

/** A home (settings only: the store is PostgreSQL) and a runner with SITESYNC_STORE_URL set. */
function homeWith(storeSettings = ""): {
  home: string;
  run: (url: string, ...args: string[]) => ReturnType<typeof runCli>;
} {
  const home = path.join(tempDir(), "home");
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, "settings.yaml"), storeSettings);
  writeFileSync(path.join(home, "site_id"), "artist1\n");
  return {
    home,
    run: (url, ...args) => runCli([...args, "--home", home], { env: { SITESYNC_STORE_URL: url } }),
  };
}

const timed = async <T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> => {
  const started = Date.now();
  const result = await work();
  return { result, ms: Date.now() - started };
};

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("connecting to the PostgreSQL store", () => {
  it("a closed port exits 2 naming host, port and the reason, without the password", async () => {
    const port = await closedPort();
    const { run } = homeWith();
    const { result, ms } = await timed(() =>
      run(`postgres://sitesync:S3cretPass@127.0.0.1:${port}/studio`, "project", "list"),
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.stderr).toContain("ECONNREFUSED");
    expect(result.stderr + result.stdout).not.toContain("S3cretPass");
    expect(ms).toBeLessThan(15_000);
  });

  it("a server that accepts but never answers fails at the connect timeout from settings", async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const { run } = homeWith(
        "store: {kind: postgres, url: postgres://x@127.0.0.1/db, connect_timeout_s: 1}\n",
      );
      const { result, ms } = await timed(() =>
        run(`postgres://sitesync@127.0.0.1:${port}/studio`, "project", "list"),
      );
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`127.0.0.1:${port}`);
      expect(result.stderr).toContain("no answer within the connect timeout");
      expect(ms).toBeLessThan(10_000);
    } finally {
      silent.close();
    }
  });

  it("a wrong password and a missing database exit 2 with the server's reason", async () => {
    const { run } = homeWith();
    const wrong = await run(
      `postgres://${server.user}:not-the-password@127.0.0.1:${server.port}/${server.database}`,
      "project",
      "list",
    );
    expect(wrong.code, wrong.stderr).toBe(2);
    expect(wrong.stderr).toContain(`password authentication failed for user "${server.user}"`);
    expect(wrong.stderr + wrong.stdout).not.toContain("not-the-password");
    const missing = await run(server.url.replace(/\/[^/]+$/, "/no_such_db"), "project", "list");
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain('database "no_such_db" does not exist');
    expect(missing.stderr + missing.stdout).not.toContain(server.password);
  });

  it("takes the password from ~/.pgpass (PGPASSFILE) when the URL has none, and says when none is found", async () => {
    const { home } = homeWith();
    const url = `postgres://${server.user}@127.0.0.1:${server.port}/${server.database}`;
    const passFile = path.join(path.dirname(home), "pgpass");
    writeFileSync(passFile, `127.0.0.1:${server.port}:*:${server.user}:${server.password}\n`, {
      mode: 0o600,
    });
    const run = (env: NodeJS.ProcessEnv) =>
      runCli(["project", "list", "--json", "--home", home], {
        env: { SITESYNC_STORE_URL: url, PGPASSWORD: undefined, ...env },
      });
    const found = await run({ PGPASSFILE: passFile });
    expect(found.code, found.stderr).toBe(0);
    expect(found.json()).toMatchObject({ projects: [] });
    const none = await run({ PGPASSFILE: path.join(path.dirname(home), "no-such-pgpass") });
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toContain("the server asks for a password and none was given");
    expect(none.stderr).toContain(`127.0.0.1:${server.port}`);
  });

  it("a URL that is not PostgreSQL's exits 2 naming where it came from, password hidden", async () => {
    const { run } = homeWith();
    const result = await run("mysql://me:hunter22@db/studio", "project", "list");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("SITESYNC_STORE_URL");
    expect(result.stderr).toContain("mysql://me:***@db/studio");
    expect(result.stderr).not.toContain("hunter22");
  });

  it("TLS settings reach the connection: sslmode require against a server without TLS is refused", async () => {
    const { run } = homeWith("store: {kind: postgres, url: postgres://x@127.0.0.1/db, sslmode: require}\n");
    const result = await run(server.url, "project", "list");
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/does not support SSL/i);
    const missingCa = homeWith(
      "store: {kind: postgres, url: postgres://x@127.0.0.1/db, sslmode: verify-full, ca_file: /nonexistent/ca.pem}\n",
    );
    const noCa = await missingCa.run(server.url, "project", "list");
    expect(noCa.code).toBe(2);
    expect(noCa.stderr).toContain("/nonexistent/ca.pem");
  });
});

describe("migrations", () => {
  it("store migrate creates the schema once, says so, and has nothing to do the second time", async () => {
    const url = await server.newDatabase();
    const { run } = homeWith();
    const first = await run(url, "store", "migrate", "--json");
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ from: 0, to: MIGRATIONS.length });
    expect((first.json() as { store: string }).store).not.toContain(server.password);
    const second = await run(url, "store", "migrate");
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("nothing to migrate");
  });

  it("processes starting together run each migration exactly once", async () => {
    const url = await server.newDatabase();
    const { run } = homeWith();
    const results = await Promise.all([1, 2, 3, 4].map(() => run(url, "project", "list", "--json")));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>(
        "SELECT version FROM sitesync_schema ORDER BY version",
      );
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    } finally {
      await client.end();
    }
  });

  it("refuses a database migrated by a newer sitesync, naming both versions", async () => {
    const url = await server.newDatabase();
    const { run } = homeWith();
    expect((await run(url, "store", "migrate")).code).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("INSERT INTO sitesync_schema (version, package_version) VALUES ($1, 'future')", [
        MIGRATIONS.length + 1,
      ]);
    } finally {
      await client.end();
    }
    for (const args of [
      ["project", "list"],
      ["store", "migrate"],
    ]) {
      const result = await run(url, ...args);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain(
        `schema version ${MIGRATIONS.length + 1}, newer than this sitesync knows (${MIGRATIONS.length})`,
      );
    }
  });
});
