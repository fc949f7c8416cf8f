/**
 * Which store a command opens (docs/contract.md "Home"; docs/adding-a-store.md):
 * SITESYNC_STORE_URL when set, else the settings' `store` (PostgreSQL), else
 * the home's embedded `sitesync.db`. The PostgreSQL driver is loaded only
 * when it is chosen, so a launch on the embedded store does not pay for it.
 */
import path from "node:path";
import { InputError } from "../errors.js";
import type { StoreSettings } from "../settings/schema.js";
import { type PostgresOptions, redactUrl } from "./postgres/connection.js";
import type { Store } from "./types.js";

export const STORE_FILE = "sitesync.db";

export type StoreChoice = { kind: "sqlite"; file: string } | { kind: "postgres"; options: PostgresOptions };

export function chooseStore(
  home: string,
  settings: { file: string; store: StoreSettings | undefined },
  env: NodeJS.ProcessEnv = process.env,
): StoreChoice {
  const configured = settings.store;
  if (env.SITESYNC_STORE_URL) {
    return {
      kind: "postgres",
      options: postgresOptions(env.SITESYNC_STORE_URL, "SITESYNC_STORE_URL", configured, env),
    };
  }
  if (configured?.kind === "postgres" && configured.url) {
    return {
      kind: "postgres",
      options: postgresOptions(configured.url, `${settings.file}: store.url`, configured, env),
    };
  }
  return { kind: "sqlite", file: path.join(home, STORE_FILE) };
}

function postgresOptions(
  url: string,
  source: string,
  settings: StoreSettings | undefined,
  env: NodeJS.ProcessEnv,
): PostgresOptions {
  return {
    url,
    source,
    env,
    ...(settings?.sslmode ? { sslmode: settings.sslmode } : {}),
    ...(settings?.ca_file ? { caFile: settings.ca_file } : {}),
    ...(settings?.connect_timeout_s ? { connectTimeoutMs: settings.connect_timeout_s * 1000 } : {}),
    ...(settings?.pool_size ? { poolSize: settings.pool_size } : {}),
  };
}

export async function openStore(choice: StoreChoice): Promise<Store> {
  if (choice.kind === "sqlite") {
    const { openSqliteStore } = await import("./sqlite/index.js");
    return openSqliteStore(choice.file);
  }
  const { openPostgresStore } = await import("./postgres/index.js");
  return openPostgresStore(choice.options);
}

/** The PostgreSQL store (lib/store/postgres), its driver loaded on first use: the package entry's opener. */
export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  const postgres = await import("./postgres/index.js");
  return postgres.openPostgresStore(options);
}

/** `sqlite:/path/to/sitesync.db` or `postgres://...` (store copy's --from / --to). */
export function parseStoreArgument(
  value: string,
  option: string,
  env: NodeJS.ProcessEnv = process.env,
): StoreChoice {
  if (value.startsWith("sqlite:")) {
    const file = value.slice("sqlite:".length);
    return { kind: "sqlite", file: path.resolve(file) };
  }
  if (value.startsWith("postgres:") || value.startsWith("postgresql:")) {
    return { kind: "postgres", options: { url: value, source: option, env } };
  }
  throw new InputError(
    `${option}: "${redactUrl(value)}" is neither sqlite:PATH nor postgres://user@host:port/database`,
  );
}
