/**
 * The PostgreSQL store's way to the server: a pool, one-statement queries
 * and transactions, each retried with a growing delay while the error is
 * transient (docs/adding-a-store.md "PostgreSQL": a dropped connection, a
 * server restarting, a serialization failure or deadlock), up to a window
 * (SITESYNC_PG_RETRY_MS, default 120 s). A caller waiting on a write waits
 * through a restart instead of losing what it had to record; after the
 * window the error reaches it as a StoreError naming the database.
 *
 * Every statement is parameterized: values travel as bind parameters, never
 * in SQL text.
 */
import type pg from "pg";
import { StoreError } from "../../errors.js";

/** Runs one parameterized statement, returning its rows. */
export type Query = <R extends pg.QueryResultRow = Record<string, unknown>>(
  text: string,
  values?: readonly unknown[],
) => Promise<R[]>;

export interface Db {
  /** `host:port/database` for messages: never credentials. */
  readonly where: string;
  /** Changed in place by `Store.configureRetries`. */
  readonly policy: RetryPolicy;
  readonly pool: pg.Pool;
  query: Query;
  /** Runs `fn` in one transaction (READ COMMITTED), retried as a whole on a transient error. */
  tx<T>(fn: (query: Query) => Promise<T>): Promise<T>;
}

/** SQLSTATEs worth another attempt: the server going away, serialization failures, deadlocks. */
const TRANSIENT_STATES = new Set([
  "40001",
  "40P01",
  "57P01",
  "57P02",
  "57P03",
  "53300",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTCONN",
  "EHOSTUNREACH",
]);

export function isTransient(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (!e) return false;
  if (typeof e.code === "string" && (TRANSIENT_STATES.has(e.code) || TRANSIENT_CODES.has(e.code)))
    return true;
  const message = typeof e.message === "string" ? e.message : "";
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}

export function retryWindowMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.SITESYNC_PG_RETRY_MS);
  return env.SITESYNC_PG_RETRY_MS && Number.isInteger(value) && value >= 0 ? value : 120_000;
}

function failure(error: unknown, where: string): unknown {
  if (error instanceof StoreError || !(error instanceof Error)) return error;
  // Input errors raised inside a transaction (an unknown representation) keep their class.
  if ("exitCode" in error) return error;
  const code = (error as { code?: unknown }).code;
  return new StoreError(
    `the store ${where} failed: ${error.message}${typeof code === "string" ? ` (${code})` : ""}`,
    { cause: error },
  );
}

/** How transient failures are retried; a service widens the window (see `Store.configureRetries`). */
export interface RetryPolicy {
  windowMs: number;
  onRetry?: (event: { attempt: number; delayMs: number; message: string }) => void;
  /** Stops retrying (the last error is thrown): a service being stopped does not wait for the database. */
  signal?: AbortSignal;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function makeDb(
  pool: pg.Pool,
  where: string,
  policy: RetryPolicy = { windowMs: retryWindowMs() },
): Db {
  const withRetry = async <T>(attempt: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        const gaveUp = Date.now() - started >= policy.windowMs || policy.signal?.aborted;
        if (!isTransient(error) || gaveUp) throw failure(error, where);
        const delayMs = Math.min(100 * 2 ** tries, 5_000, Math.max(policy.windowMs, 1));
        policy.onRetry?.({ attempt: tries + 1, delayMs, message: (error as Error).message });
        await pause(delayMs, policy.signal);
      }
    }
  };
  const query: Query = (text, values) =>
    withRetry(async () => (await pool.query(text, values as unknown[])).rows);
  const tx = <T>(fn: (q: Query) => Promise<T>): Promise<T> =>
    withRetry(async () => {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query("BEGIN");
        const inner: Query = async (text, values) => (await client.query(text, values as unknown[])).rows;
        const result = await fn(inner);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch((rollback: unknown) => {
          broken = rollback;
        });
        throw error;
      } finally {
        // A client whose connection broke is destroyed, not handed to the next caller.
        client.release(broken instanceof Error ? broken : undefined);
      }
    });
  return { where, policy, pool, query, tx };
}
