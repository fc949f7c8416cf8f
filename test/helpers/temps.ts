/**
 * Leftovers of killed writers for the sweep tests (lib/fs/temp-names.ts):
 * files made `ageMs` ago, with no waiting. `{made}` in a name becomes that
 * moment in the scheme's form, and the file's mtime is set to it too.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { processAlive } from "../../lib/process.js";

export function fileAged(file: string, ageMs: number, content = "partial"): string {
  const then = Date.now() - ageMs;
  const named = path.join(path.dirname(file), path.basename(file).replace("{made}", then.toString(36)));
  mkdirSync(path.dirname(named), { recursive: true });
  writeFileSync(named, content);
  utimesSync(named, then / 1000, then / 1000);
  return named;
}

/** The pid of a process that has exited: what a killed writer's name carries. */
export function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ["-e", ""]);
  if (pid === undefined || processAlive(pid)) throw new Error("no exited process to borrow a pid from");
  return pid;
}
