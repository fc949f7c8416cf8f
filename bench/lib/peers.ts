/**
 * The tools a benchmark compares with (cp, rclone, OpenSSH's sftp and sshd,
 * sync): found on PATH, or skipped with one NOTICE line saying what is not
 * measured. A benchmark decides which peers it cannot do without (`need`).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const PROBES: Record<string, string[]> = {
  cp: ["cp", "--version"],
  rclone: ["rclone", "version"],
  sftp: ["sftp", "-V"],
  sync: ["sync", "--version"],
};

const found = new Map<string, boolean>();

/** Whether the peer runs here; prints a NOTICE the first time a missing one is asked about. */
export function havePeer(name: string, skipped = "its comparison is skipped"): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    if (name === "sshd") ok = existsSync("/usr/sbin/sshd") && process.getuid?.() === 0;
    else {
      const argv = PROBES[name] ?? [name, "--version"];
      ok = !spawnSync(argv[0] as string, argv.slice(1), { stdio: "ignore" }).error;
    }
    found.set(name, ok);
    if (!ok) {
      const why =
        name === "sshd"
          ? "needs root and OpenSSH's server (/usr/sbin/sshd)"
          : `${name} is not installed or not on PATH`;
      console.log(`NOTICE: ${why}: ${skipped}`);
    }
  }
  return ok;
}

/** Fails when a peer the benchmark cannot do without is missing. */
export function needPeer(name: string): void {
  if (!havePeer(name, "this benchmark cannot run")) throw new Error(`${name} is needed`);
}
