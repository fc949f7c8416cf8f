/**
 * The home directory (docs/contract.md "Home"): `--home`, else SITESYNC_HOME, else
 * ~/.sitesync. It holds settings.yaml, the embedded store and the site_id file.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InputError, SettingsError } from "./errors.js";
import { SITE_NAME_PATTERN } from "./names.js";

export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit || env.SITESYNC_HOME || path.join(os.homedir(), ".sitesync");
  return path.resolve(chosen);
}

export const SITE_ID_FILE = "site_id";

/**
 * This workstation's local site id: AYON_SITE_ID when set, else the home's
 * site_id file. `create` writes a new one (AYON-style three word slug) when
 * there is none; without it a missing id is reported, so read-only commands
 * never write.
 */
export function localSiteId(home: string, options: { create: boolean; env?: NodeJS.ProcessEnv }): string {
  const env = options.env ?? process.env;
  if (env.AYON_SITE_ID) return checkSiteId(env.AYON_SITE_ID, "AYON_SITE_ID");
  const file = path.join(home, SITE_ID_FILE);
  if (existsSync(file)) return checkSiteId(readFileSync(file, "utf8").trim(), file);
  if (!options.create) {
    throw new InputError(`${home} has no ${SITE_ID_FILE}; run "sitesync init --home ${home}" first`);
  }
  const id = newSiteId();
  mkdirSync(home, { recursive: true });
  writeFileSync(file, `${id}\n`, { flag: "wx" });
  return id;
}

export function checkSiteId(id: string, source: string): string {
  if (!SITE_NAME_PATTERN.test(id) || id === "local") {
    throw new SettingsError(
      `${source}: "${id}" is not a valid site id (letters, digits, '_', '.', '-'; not "local")`,
    );
  }
  return id;
}

const ADJECTIVES = [
  "amber",
  "brave",
  "calm",
  "deft",
  "eager",
  "fair",
  "glad",
  "keen",
  "lucid",
  "merry",
  "noble",
  "quick",
];
const ANIMALS = [
  "badger",
  "crane",
  "dingo",
  "egret",
  "ferret",
  "gecko",
  "heron",
  "ibex",
  "jackal",
  "koala",
  "lynx",
  "otter",
];

function newSiteId(): string {
  const bytes = randomBytes(4);
  const pick = (list: string[], byte: number | undefined) => list[(byte ?? 0) % list.length];
  return `${pick(ADJECTIVES, bytes[0])}-${pick(ANIMALS, bytes[1])}-${bytes.subarray(2).toString("hex")}`;
}
