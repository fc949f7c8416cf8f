/**
 * rclone sites for the tests, each way AYON's settings configure one: a remote
 * of an rclone config file (`config_type: config_file`) or inline parameters
 * (`config_type: config_web`). Backends: `local` (a folder here) and `sftp`
 * (the real OpenSSH sshd of test/helpers/sshd.ts on loopback).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { RcloneConfig } from "../../providers/rclone/settings.js";
import type { SshdServer } from "../helpers/sshd.js";

export type ConfigWay = "config_file" | "config_web";

const EMPTY_PATHS = { windows: "", linux: "", darwin: "" };

/** The value rclone stores for a password, obscured by rclone itself (value on stdin). */
export function obscured(value: string): string {
  return execFileSync("rclone", ["obscure", "-"], {
    input: value,
    env: { ...process.env, RCLONE_CONFIG: "" },
  })
    .toString()
    .trim();
}

function site(root: string, rest: Partial<RcloneConfig>): RcloneConfig {
  return {
    rclone_executable_path: EMPTY_PATHS,
    config_file: { remote_name: "", rclone_config_path: EMPTY_PATHS },
    config_web: { type: "", config_params: [] },
    root,
    additional_args: [],
    ...rest,
  };
}

/** A config file with one remote, `[name]` with `params`, in `dir`. */
function fileSite(dir: string, name: string, params: Record<string, string>, root: string): RcloneConfig {
  const file = path.join(dir, `rclone-${name}.conf`);
  const lines = [`[${name}]`, ...Object.entries(params).map(([key, value]) => `${key} = ${value}`)];
  writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  return site(root, {
    config_type: "config_file",
    config_file: { remote_name: name, rclone_config_path: { windows: "", linux: file, darwin: file } },
  });
}

/** The `local` backend rooted at `root`; `dir` holds the config file. */
export function localSite(way: ConfigWay, root: string, dir: string): RcloneConfig {
  if (way === "config_file") return fileSite(dir, "here", { type: "local" }, root);
  // One harmless parameter, so the inline way carries one.
  return site(root, {
    config_type: "config_web",
    config_web: { type: "local", config_params: [{ key: "nounc", value: "false" }] },
  });
}

/** The inline parameters of an sftp remote on `server`, the password in plain (as AYON's settings hold it). */
export function sftpParams(server: SshdServer, knownHosts: string): { key: string; value: string }[] {
  return [
    { key: "host", value: server.host },
    { key: "port", value: String(server.port) },
    { key: "user", value: server.user },
    { key: "pass", value: server.password },
    { key: "known_hosts_file", value: knownHosts },
  ];
}

/** The `sftp` backend on `server`, rooted at its root; `dir` holds the config file. */
export function sftpSite(way: ConfigWay, server: SshdServer, knownHosts: string, dir: string): RcloneConfig {
  const params = sftpParams(server, knownHosts);
  if (way === "config_web")
    return site(server.root, {
      config_type: "config_web",
      config_web: { type: "sftp", config_params: params },
    });
  const values = Object.fromEntries(
    params.map(({ key, value }) => [key, key === "pass" ? obscured(value) : value]),
  );
  return fileSite(dir, "vendor", { type: "sftp", ...values }, server.root);
}
