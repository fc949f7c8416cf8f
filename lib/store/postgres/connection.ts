/**
 * How the PostgreSQL store reaches its server (docs/adding-a-store.md
 * "PostgreSQL"): the URL from settings or SITESYNC_STORE_URL, the password
 * from the URL, PGPASSWORD or ~/.pgpass (PGPASSFILE), TLS from the URL's own
 * `sslmode`/`sslrootcert` or the settings' `sslmode`/`ca_file`, and a connect
 * timeout. Nothing here ever puts the password in a message: targets are
 * described as `postgres://user@host:port/database`.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type pg from "pg";
import { parse, toClientConfig } from "pg-connection-string";
import pgpass from "pgpass";
import { InputError, SettingsError, StoreConnectError } from "../../errors.js";

export type SslMode = "disable" | "require" | "verify-ca" | "verify-full";

export interface PostgresOptions {
  /** `postgres://user[:password]@host[:port]/database[?sslmode=...]`. */
  url: string;
  /** Where the URL came from, for messages: `SITESYNC_STORE_URL`, `settings.yaml: store.url`. */
  source: string;
  sslmode?: SslMode;
  /** A CA certificate (PEM) the server's certificate must chain to. */
  caFile?: string;
  connectTimeoutMs?: number;
  /** Connections in the pool (default 10: a service's transfers record results in parallel). */
  poolSize?: number;
  env?: NodeJS.ProcessEnv;
}

export interface Target {
  host: string;
  port: number;
  database: string;
  user: string;
  /** `postgres://user@host:port/database`: for messages and `location`. */
  where: string;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_POOL_SIZE = 10;

/** The URL with any password replaced, for messages about a URL that could not be used. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}

/** Host, port, database and user the URL (with PG* defaults) names; a URL that is not postgres:// is refused. */
export function targetOf(url: string, source: string, env: NodeJS.ProcessEnv = process.env): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(
      `${source}: "${redactUrl(url)}" is not a URL (expected postgres://user@host:port/database)`,
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new InputError(
      `${source}: "${redactUrl(url)}" is not a PostgreSQL URL (expected postgres://user@host:port/database)`,
    );
  }
  const user = decodeURIComponent(parsed.username) || env.PGUSER || env.USER || "postgres";
  const host = decodeURIComponent(parsed.hostname).replace(/^\[|\]$/g, "") || env.PGHOST || "localhost";
  const port = Number(parsed.port || env.PGPORT || 5432);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(`${source}: port "${parsed.port || env.PGPORT}" is not a TCP port`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || env.PGDATABASE || user;
  return { host, port, database, user, where: `postgres://${user}@${host}:${port}/${database}` };
}

function sslOf(options: PostgresOptions): false | ConnectionOptions | undefined {
  if (!options.sslmode && !options.caFile) return undefined;
  if (options.sslmode === "disable") return false;
  let ca: string | undefined;
  if (options.caFile) {
    try {
      ca = readFileSync(options.caFile, "utf8");
    } catch (error) {
      throw new SettingsError(`store.ca_file: cannot read "${options.caFile}": ${(error as Error).message}`);
    }
  }
  const mode = options.sslmode ?? "verify-full";
  if (mode === "require" && !ca) return { rejectUnauthorized: false };
  return {
    ...(ca ? { ca } : {}),
    rejectUnauthorized: true,
    // verify-ca: the chain is checked, the host name is not (libpq's meaning).
    ...(mode === "verify-ca" || mode === "require" ? { checkServerIdentity: () => undefined } : {}),
  };
}

/**
 * The pool's configuration; the password is looked up when a connection asks for it.
 * Type parsers are the pool's (index.ts): this module is loaded for every
 * command to read a store URL, and must not load the driver.
 */
export function poolConfig(options: PostgresOptions, target: Target): pg.PoolConfig {
  const env = options.env ?? process.env;
  let fromUrl: pg.ClientConfig;
  try {
    // libpq's meaning of sslmode in the URL (require: encrypt, no check; verify-ca: the chain only),
    // the same as the settings' sslmode.
    fromUrl = toClientConfig(parse(options.url, { useLibpqCompat: true }));
  } catch (error) {
    throw new InputError(`${options.source}: "${redactUrl(options.url)}": ${(error as Error).message}`);
  }
  const ssl = fromUrl.ssl ?? sslOf(options);
  return {
    ...fromUrl,
    // Host, port, user and database with the PG* defaults of the environment given (targetOf).
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    // The URL's password when it has one, else asked for when the server wants one.
    password: fromUrl.password ? fromUrl.password : () => passwordFor(target, env),
    ...(ssl === undefined ? {} : { ssl }),
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: "sitesync",
  };
}

/**
 * PGPASSWORD, else the matching ~/.pgpass (or PGPASSFILE) line. Asked only
 * when the server wants a password; none found is an error here, where
 * node-postgres would go on without one and leave the socket open until the
 * server's authentication timeout, keeping the process alive.
 */
async function passwordFor(target: Target, env: NodeJS.ProcessEnv): Promise<string> {
  if (env.PGPASSWORD) return env.PGPASSWORD;
  const found = await new Promise<string | undefined>((resolve) =>
    pgpass(
      { host: target.host, port: target.port, database: target.database, user: target.user },
      (password) => resolve(password),
    ),
  );
  if (found === undefined) throw new Error(NO_PASSWORD);
  return found;
}

const NO_PASSWORD = "the server asks for a password and none was given (the URL, PGPASSWORD or ~/.pgpass)";

/** Why a connection failed, in the server's or the socket's words (never the password). */
export function reasonOf(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: Array<{ message?: string }> };
  let message = e?.message || e?.errors?.map((inner) => inner.message).join("; ") || String(error);
  if (/client password must be a string|SASL: SCRAM-SERVER-FIRST-MESSAGE: client password/i.test(message)) {
    message = NO_PASSWORD;
  }
  if (
    /timeout exceeded when trying to connect|Connection terminated due to connection timeout|^timeout expired$/i.test(
      message,
    )
  ) {
    message = "no answer within the connect timeout";
  }
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

export function connectError(target: Target, source: string, error: unknown): StoreConnectError {
  return new StoreConnectError(
    `cannot connect to the store at ${target.host}:${target.port} (database "${target.database}", user "${target.user}", from ${source}): ${reasonOf(error)}`,
    { cause: error },
  );
}
