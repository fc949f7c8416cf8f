import { type ChildProcess, spawn } from "node:child_process";
import { CLI } from "./cli.js";

export interface LogLine {
  msg?: string;
  event?: string;
  status?: string;
  [key: string]: unknown;
}

export interface RunningService {
  child: ChildProcess;
  lines: LogLine[];
  /** Resolves with the first log line (already seen or coming) that matches; rejects after `timeoutMs`. */
  waitFor: (match: (line: LogLine) => boolean, timeoutMs?: number) => Promise<LogLine>;
  /** Sends a signal and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Starts `sitesync syncservice` as a real background process and follows its JSON log lines. */
export function startService(home: string, site: string, env: NodeJS.ProcessEnv = {}): RunningService {
  const child = spawn(
    process.execPath,
    [CLI, "syncservice", "--active-site", site, "--home", home, "--verbose"],
    {
      env: { ...process.env, AYON_SITE_ID: "", SITESYNC_HOME: "", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let buffer = "";
  child.stderr?.on("data", (data: Buffer) => {
    buffer += data.toString();
    let cut = buffer.indexOf("\n");
    while (cut >= 0) {
      const text = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 1);
      cut = buffer.indexOf("\n");
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    waitFor(match, timeoutMs = 15_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter)) {
            reject(
              new Error(
                `no matching service log line within ${timeoutMs} ms; log:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`,
              ),
            );
          }
        }, timeoutMs).unref();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
