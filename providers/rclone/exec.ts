/**
 * One rclone command, run with execa: its arguments hold paths and flags
 * only, the configuration is in the child's environment. A failure is an
 * RcloneFailure with rclone's reason, redacted; execa's own error is not kept
 * (its message and output could hold a configured value).
 */
import { classify, exitCodeText, lastMessage, RcloneFailure, redactor } from "./errors.js";

export interface ExecOptions {
  env?: Readonly<Record<string, string>>;
  /** Written to the child's standard input. */
  input?: string;
  /** The child is killed when it runs longer. */
  timeoutMs?: number;
  /** Kills the child when it fires; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Values hidden from the failure's reason. */
  secrets?: readonly string[];
  /** Each line of standard error, as rclone writes it (its JSON log, with --use-json-log). */
  onStderrLine?: (line: string) => void;
}

export async function execRclone(
  executable: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<string> {
  options.signal?.throwIfAborted();
  const redact = redactor(options.secrets ?? []);
  // Loaded on first use: every command registers this provider, few run rclone (execa is ~130 modules).
  const { execa } = await import("execa");
  options.signal?.throwIfAborted();
  const child = execa(executable, args, {
    env: { ...options.env },
    extendEnv: true,
    reject: false,
    stripFinalNewline: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    forceKillAfterDelay: 2_000,
  });
  if (options.onStderrLine) {
    const onLine = options.onStderrLine;
    let pending = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      let end = pending.indexOf("\n");
      while (end >= 0) {
        onLine(pending.slice(0, end));
        pending = pending.slice(end + 1);
        end = pending.indexOf("\n");
      }
    });
  }
  const result = await child;
  if (result.isCanceled && options.signal?.aborted) throw options.signal.reason;
  if (!result.failed) return String(result.stdout ?? "");
  const spawnCode = (result.cause as { code?: unknown } | undefined)?.code;
  if (spawnCode === "ENOENT")
    throw new RcloneFailure(
      `the rclone executable "${executable}" was not found (set rclone_executable_path, or put rclone on PATH)`,
      "permanent",
    );
  if (spawnCode === "EACCES")
    throw new RcloneFailure(
      `the rclone executable "${executable}" cannot be run (permission denied)`,
      "permanent",
    );
  if (result.timedOut)
    throw new RcloneFailure(
      `rclone ${args[0] ?? ""} did not finish within ${(options.timeoutMs ?? 0) / 1000} s`,
      "retryable",
    );
  const reason = redact(lastMessage(String(result.stderr ?? "")));
  const code = result.exitCode;
  if (code === undefined)
    throw new RcloneFailure(
      `rclone ${args[0] ?? ""} was stopped by ${result.signal ?? "a signal"}${reason ? `: ${reason}` : ""}`,
      "retryable",
    );
  throw new RcloneFailure(
    `${reason || exitCodeText(code)} (rclone exit code ${code})`,
    classify(reason, code),
  );
}
