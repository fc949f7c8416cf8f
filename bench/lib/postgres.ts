// The store's PostgreSQL driver imports pgpass, whose types live in lib/types (outside bench/tsconfig's include).
/**
 * A throwaway PostgreSQL cluster for the store benchmarks: the tests' cluster
 * (test/helpers/postgres.ts: initdb + pg_ctl on 127.0.0.1, as the `postgres`
 * user when root) with PostgreSQL's default durability put back. The tests'
 * cluster runs with fsync, synchronous_commit and full_page_writes off (its
 * durability is not under test); a benchmark that compares stores must not,
 * so these three are set back on and the server reloads its configuration
 * (all three take effect on a reload), and `durability()` says what the
 * server runs with, for the report.
 */
import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { type PostgresServer, startPostgres } from "../../test/helpers/postgres.js";

export type { PostgresServer } from "../../test/helpers/postgres.js";

/** The settings a default PostgreSQL runs with (the tests' cluster turns them off). */
const DURABLE = ["fsync = on", "synchronous_commit = on", "full_page_writes = on"];

/** A cluster with fsync, synchronous_commit and full_page_writes on; `stop()` removes it. */
export async function startBenchPostgres(): Promise<PostgresServer> {
  const server = await startPostgres();
  try {
    const data = path.join(server.dir, "data");
    // The last setting of a name in postgresql.conf wins.
    appendFileSync(path.join(data, "postgresql.conf"), `\n# bench: durable\n${DURABLE.join("\n")}\n`);
    // SIGHUP to the postmaster (first line of postmaster.pid): what `pg_ctl reload` sends.
    const pid = Number(readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n", 1)[0]);
    process.kill(pid, "SIGHUP");
    for (let i = 0; ; i++) {
      const settings = await durability(server.url);
      if (settings.fsync === "on" && settings.synchronous_commit === "on") break;
      if (i > 100) throw new Error(`the bench cluster did not reload: ${JSON.stringify(settings)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return server;
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
}

/** fsync, synchronous_commit, full_page_writes and shared_buffers as a new session of `url` sees them. */
export async function durability(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, string> = {};
    for (const name of [
      "fsync",
      "synchronous_commit",
      "full_page_writes",
      "shared_buffers",
      "server_version",
    ]) {
      const { rows } = await client.query<Record<string, string>>(`SHOW ${name}`);
      out[name] = String(Object.values(rows[0] ?? {})[0]);
    }
    return out;
  } finally {
    await client.end();
  }
}
