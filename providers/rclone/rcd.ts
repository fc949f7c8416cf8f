/**
 * One `rclone rcd` per site, kept for the life of the provider: rclone's
 * remote control API answers stat, list, mkdir, delete, move and small copies
 * over HTTP on 127.0.0.1, so a batch of many small files does not start an
 * rclone process (and, for a network backend, a new connection) per file and
 * per step. The daemon listens on a port the system picks, and takes a random
 * user and password from its environment (RCLONE_RC_USER, RCLONE_RC_PASS),
 * never from its arguments, so another user of the machine can neither read
 * them nor call it. execa kills it when this process exits.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { ResultPromise } from "execa";
import { classify, FAIL_FAST_FLAGS, lastMessage, RcloneFailure, redactor } from "./errors.js";
import type { RcloneSetup } from "./settings.js";

/** How long the daemon may take to listen; a slow disk or an antivirus scan at the first run can take seconds. */
const START_TIMEOUT_MS = 20_000;

interface Running {
  child: ResultPromise;
  url: string;
  authorization: string;
  agent: http.Agent;
}

/**
 * One POST to the daemon. node:http with a keep-alive agent, not fetch: a
 * call of a many-small-files pass costs a third of fetch's (2,000 calls at
 * 16 at once: 1.8 s against 5.1 s on this 2-core machine), and a pass makes
 * three per file.
 */
function post(running: Running, method: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${running.url}${method}`,
      {
        method: "POST",
        agent: running.agent,
        headers: {
          authorization: running.authorization,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const WINDOWS = process.platform === "win32";

/**
 * Runs `"$@"` (rclone rcd) and ends it when this process dies: the shell's
 * standard input is a pipe from this process, which the kernel closes when it
 * dies, even by SIGKILL; a watcher reading it then stops the daemon. A signal
 * to the shell (the provider's stop) is passed on. The exit status is rclone's.
 */
const PARENT_WATCH = [
  "exec 3<&0",
  '"$@" </dev/null 3<&- &',
  "child=$!",
  '{ while read -r _; do :; done; kill "$child" 2>/dev/null; } <&3 &',
  "exec 3<&-",
  "trap 'kill \"$child\" 2>/dev/null' TERM INT HUP",
  'wait "$child"',
].join("\n");

export class RcDaemon {
  private running: Promise<Running> | undefined;
  /** The daemon's process once it listens; its exit is noticed only while it is the current one. */
  private current: ResultPromise | undefined;
  private readonly redact: (text: string) => string;

  constructor(private readonly setup: RcloneSetup) {
    this.redact = redactor(setup.secrets);
  }

  /**
   * Calls one remote control method. Its failure is an RcloneFailure
   * classified from rclone's message and HTTP status (404: not found).
   */
  async call<T>(method: string, params: Record<string, unknown>): Promise<T> {
    const running = await this.start();
    let reply: { status: number; body: string };
    try {
      reply = await post(running, method, JSON.stringify(params));
    } catch (error) {
      // A daemon that is gone (killed, crashed) is replaced by the next call; a live one is kept.
      if (running.child.exitCode !== null || running.child.signalCode !== null) this.forget();
      const code = (error as { code?: unknown }).code;
      throw new RcloneFailure(
        `rclone's remote control (rclone rcd) did not answer${typeof code === "string" ? ` (${code})` : ""}`,
        "retryable",
      );
    }
    let body: { error?: unknown } & T;
    try {
      body = JSON.parse(reply.body) as { error?: unknown } & T;
    } catch {
      body = {} as { error?: unknown } & T;
    }
    if (reply.status >= 200 && reply.status < 300) return body;
    const reason = this.redact(String(body.error ?? `HTTP ${reply.status}`));
    throw new RcloneFailure(reason, classify(reason, undefined, reply.status));
  }

  private start(): Promise<Running> {
    if (!this.running) {
      const launching = this.launch();
      this.running = launching;
      // A daemon that failed to start is tried again by the next call.
      launching.catch(() => {
        if (this.running === launching) this.running = undefined;
      });
    }
    return this.running;
  }

  private forget(): void {
    const running = this.running;
    this.running = undefined;
    void running?.then(
      ({ child }) => child.kill(),
      () => undefined,
    );
  }

  private async launch(): Promise<Running> {
    const user = "sitesync";
    const pass = randomBytes(24).toString("base64url");
    const args = [
      "rcd",
      "--rc-addr",
      "127.0.0.1:0",
      "--use-json-log",
      ...FAIL_FAST_FLAGS,
      ...this.setup.args,
    ];
    // Off Windows the daemon runs under a watch that ends it when this process dies, however it dies.
    const [file, argv] = WINDOWS
      ? [this.setup.executable, args]
      : ["/bin/sh", ["-c", PARENT_WATCH, "rclone-rcd", this.setup.executable, ...args]];
    const { execa } = await import("execa");
    const child = execa(file, argv, {
      env: { ...this.setup.env, RCLONE_RC_USER: user, RCLONE_RC_PASS: pass },
      extendEnv: true,
      reject: false,
      stdin: WINDOWS ? "ignore" : "pipe",
      stdout: "ignore",
      buffer: false,
      forceKillAfterDelay: 2_000,
    });
    const url = await new Promise<string>((resolve, reject) => {
      let stderr = "";
      let pending = "";
      const timer = setTimeout(() => {
        child.kill();
        reject(
          new RcloneFailure(`rclone rcd did not start within ${START_TIMEOUT_MS / 1000} s`, "retryable"),
        );
      }, START_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString("utf8");
        // Only the start is kept, for the reason it gives when it fails to start.
        if (stderr.length < 64_000) stderr += text;
        pending += text;
        const found = /Serving remote control on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(pending);
        if (found?.[1]) {
          clearTimeout(timer);
          child.stderr?.off("data", onData);
          // Later log lines are read and dropped: an unread pipe would stall the daemon once full.
          child.stderr?.resume();
          resolve(found[1]);
        }
      };
      child.stderr?.on("data", onData);
      void child.then((result) => {
        clearTimeout(timer);
        // Not found: spawn's ENOENT, or the shell's 127 under the parent watch.
        const missing =
          (result.cause as { code?: unknown } | undefined)?.code === "ENOENT" ||
          (!WINDOWS && result.exitCode === 127);
        const reason = missing
          ? `the rclone executable "${this.setup.executable}" was not found (set rclone_executable_path, or put rclone on PATH)`
          : this.redact(lastMessage(stderr)) ||
            `rclone rcd exited with code ${result.exitCode ?? result.signal}`;
        reject(new RcloneFailure(reason, missing ? "permanent" : classify(reason, result.exitCode)));
      });
    });
    // Once up, a daemon that exits is forgotten, so the next call starts another.
    this.current = child;
    void child.then(() => {
      if (this.current !== child) return;
      this.current = undefined;
      this.running = undefined;
    });
    return {
      child,
      url,
      authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`,
      agent: new http.Agent({ keepAlive: true }),
    };
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    const started = await running.catch(() => undefined);
    if (!started) return;
    started.agent.destroy();
    started.child.kill();
    await started.child.catch(() => undefined);
  }
}
