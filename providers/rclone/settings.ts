/**
 * An rclone site's settings (AYON's `rclone` block) turned into what every
 * rclone command of the site runs with: the executable, the remote's name,
 * the extra arguments and the child's environment.
 *
 * Inline configuration (`config_type: config_web`) reaches rclone only
 * through `RCLONE_CONFIG_<REMOTE>_<KEY>` variables of the child's environment
 * (rclone's documented way to configure a remote without a file): never on a
 * command line, where `ps` and /proc/<pid>/cmdline show it to every user.
 * Upstream's provider obscures passwords with a helper that crashes off
 * Windows; here rclone itself obscures them (`rclone obscure -`, the value on
 * standard input), and rclone itself says which options are passwords
 * (`IsPassword` in `rclone config providers`).
 */

import { currentPlatform } from "../../lib/anatomy/roots.js";
import type { SiteSettings } from "../../lib/settings/schema.js";
import { RcloneFailure } from "./errors.js";
import { execRclone } from "./exec.js";

export type RcloneConfig = Partial<NonNullable<SiteSettings["rclone"]>>;

/** The remote's name for inline configuration: it lives only in the children's environment. */
export const INLINE_REMOTE = "sitesync";

/** What every rclone command of a site runs with. */
export interface RcloneSetup {
  executable: string;
  /** The remote's name, without the colon. */
  remote: string;
  /** `additional_args` from settings, appended to every command. */
  args: readonly string[];
  /** Variables added to the child's environment: the inline configuration, the config file. */
  env: Readonly<Record<string, string>>;
  /** Every configured value and its obscured form, hidden from messages (errors.ts `redactor`). */
  secrets: readonly string[];
}

/** rclone's option names: letters, digits and `_` (they become part of a variable's name). */
const KEY = /^[A-Za-z][A-Za-z0-9_]*$/;

export function executableOf(config: RcloneConfig): string {
  return config.rclone_executable_path?.[currentPlatform()]?.trim() || "rclone";
}

/** What is wrong with the settings before rclone runs, for isActive and errors; null when nothing. */
export function settingsProblem(config: RcloneConfig): string | null {
  if ((config.config_type ?? "config_file") === "config_file") {
    if (!config.config_file?.remote_name?.trim())
      return "rclone.config_file.remote_name is empty: name the remote of the rclone config file to use";
    return null;
  }
  if (!config.config_web?.type?.trim())
    return "rclone.config_web.type is empty: name the rclone backend (sftp, s3, webdav, ...)";
  for (const { key } of config.config_web.config_params ?? []) {
    // The key only: a value never appears in a message.
    if (!KEY.test(key)) return `rclone.config_web.config_params: "${key}" is not an rclone option name`;
  }
  return null;
}

/**
 * The setup of a site's commands. Obscuring runs rclone (once per password),
 * so it is asked for once per provider and kept.
 */
export async function prepareSetup(config: RcloneConfig): Promise<RcloneSetup> {
  const problem = settingsProblem(config);
  if (problem) throw new RcloneFailure(problem, "permanent");
  const executable = executableOf(config);
  const args = config.additional_args ?? [];
  if ((config.config_type ?? "config_file") === "config_file") {
    const file = config.config_file?.rclone_config_path?.[currentPlatform()]?.trim() ?? "";
    // RCLONE_CONFIG is --config: without one, rclone's own default file (~/.config/rclone/rclone.conf).
    return {
      executable,
      remote: config.config_file?.remote_name?.trim() ?? "",
      args,
      env: file ? { RCLONE_CONFIG: file } : {},
      secrets: [],
    };
  }
  const web = config.config_web ?? { type: "", config_params: [] };
  const type = web.type.trim();
  const params = (web.config_params ?? []).filter(({ key }) => key.toLowerCase() !== "type");
  const passwords = params.some(({ value }) => value !== "")
    ? await passwordOptions(executable, type)
    : new Set();
  const prefix = `RCLONE_CONFIG_${INLINE_REMOTE.toUpperCase()}_`;
  // An empty RCLONE_CONFIG is rclone's in-memory configuration: no file read, none written.
  const env: Record<string, string> = { RCLONE_CONFIG: "", [`${prefix}TYPE`]: type };
  const secrets: string[] = [];
  for (const { key, value } of params) {
    const obscured =
      passwords.has(key.toLowerCase()) && value !== "" ? await obscure(executable, value) : value;
    env[`${prefix}${key.toUpperCase()}`] = obscured;
    secrets.push(value, obscured);
  }
  return { executable, remote: INLINE_REMOTE, args, env, secrets };
}

/** Options rclone marks as passwords (to store obscured) for a backend, by rclone's own account. */
const passwordsByExecutable = new Map<string, Promise<Map<string, Set<string>>>>();

async function passwordOptions(executable: string, type: string): Promise<Set<string>> {
  let table = passwordsByExecutable.get(executable);
  if (!table) {
    table = execRclone(executable, ["config", "providers"], {
      env: { RCLONE_CONFIG: "" },
      timeoutMs: 30_000,
    }).then((stdout) => {
      const backends = JSON.parse(stdout) as {
        Name: string;
        Prefix?: string;
        Aliases?: string[] | null;
        Options?: { Name: string; IsPassword?: boolean }[];
      }[];
      const byName = new Map<string, Set<string>>();
      for (const backend of backends) {
        const names = new Set(
          (backend.Options ?? []).filter((o) => o.IsPassword).map((o) => o.Name.toLowerCase()),
        );
        for (const name of [backend.Name, backend.Prefix, ...(backend.Aliases ?? [])])
          if (name) byName.set(name.toLowerCase(), names);
      }
      return byName;
    });
    passwordsByExecutable.set(executable, table);
    table.catch(() => passwordsByExecutable.delete(executable));
  }
  const byName = await table;
  const found = byName.get(type.toLowerCase());
  if (!found)
    throw new RcloneFailure(`rclone has no backend "${type}" (rclone.config_web.type)`, "permanent");
  return found;
}

/** `rclone obscure -` reads the value from standard input, so it is never an argument. */
async function obscure(executable: string, value: string): Promise<string> {
  const out = await execRclone(executable, ["obscure", "-"], {
    env: { RCLONE_CONFIG: "" },
    input: value,
    timeoutMs: 30_000,
    secrets: [value],
  });
  return out.trim();
}
