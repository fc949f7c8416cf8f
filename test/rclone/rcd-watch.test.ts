/**
 * The rclone provider's daemon (`rclone rcd`, one per site) does not outlive
 * the process that started it, even one killed with SIGKILL, which runs no
 * clean-up: the daemon runs under a watch that ends it when the parent's pipe
 * closes (providers/rclone/rcd.ts). A service that crashes leaves no rclone
 * behind.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";
import { localSite } from "./remotes.js";

/** Pids of processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "latin1").includes(marker)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the rclone provider's daemon", () => {
  it("ends when the process that started it is killed with SIGKILL", async () => {
    const dir = tempDir();
    const root = path.join(dir, "site");
    const marker = `sitesync-watch-${randomBytes(6).toString("hex")}`;
    const config = { ...localSite("config_file", root, dir), additional_args: ["--user-agent", marker] };
    const module = path.join(path.dirname(CLI), "../../providers/rclone/index.js");
    const script = `
      import { rcloneFactory } from ${JSON.stringify(module)};
      const site = rcloneFactory.create({ siteName: "watch", config: ${JSON.stringify(config)}, roots: { work: ${JSON.stringify(root)} } });
      await site.mkdirs(${JSON.stringify(root)});
      await site.list(${JSON.stringify(root)});
      process.stdout.write("ready\\n");
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (data: Buffer) => {
        if (data.toString().includes("ready")) resolve();
      });
      child.on("exit", (code) =>
        reject(new Error(`the script exited with ${code} before the daemon was up`)),
      );
    });
    // The daemon (and the shell watching over it) run, with the marker among their arguments.
    const running = processesWith(marker).filter((pid) => pid !== child.pid);
    expect(running.length).toBeGreaterThanOrEqual(1);
    expect(
      running.some((pid) => readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").includes("rcd")),
    ).toBe(true);

    child.kill("SIGKILL");
    await exited;
    await until(() => processesWith(marker).length === 0, "the daemon to end after its parent died");
  }, 30_000);
});
