/**
 * Processes: CPU seconds from /proc (this process, the children it reaped,
 * the whole machine), a child's wall time, CPU and peak RSS, and a wait for
 * an idle CPU before a timed run (this 2-core machine is shared).
 *
 * Linux only where it reads /proc; elsewhere the CPU figures are 0 and the
 * peak RSS is missing.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

/** Linux's USER_HZ; fixed at 100 on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

export interface CpuTimes {
  /** User + system seconds of this process (all threads). */
  own: number;
  /** User + system seconds of the children it has reaped. */
  reaped: number;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Fields of a /proc stat line after "(comm)" (comm may hold spaces). */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** Field n of stat(5) (1-based: 14 utime, 15 stime, 16 cutime, 17 cstime) in seconds. */
const field = (fields: string[], n: number) => Number(fields[n - 3] ?? 0) / TICKS_PER_SECOND;

export function cpuTimes(): CpuTimes {
  const text = readText("/proc/self/stat");
  if (!text) return { own: 0, reaped: 0 };
  const fields = statFields(text);
  return { own: field(fields, 14) + field(fields, 15), reaped: field(fields, 16) + field(fields, 17) };
}

export function cpuSince(before: CpuTimes): CpuTimes {
  const now = cpuTimes();
  return { own: now.own - before.own, reaped: now.reaped - before.reaped };
}

/** Busy and total CPU seconds of the whole machine so far (busy: all but idle and iowait). */
export function machineTimes(): { busy: number; total: number } {
  const line = readText("/proc/stat")?.split("\n", 1)[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** Busy fraction of all CPUs over the next `ms`. */
export async function busyFraction(ms = 1000): Promise<number> {
  const a = machineTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = machineTimes();
  return b.total === a.total ? 0 : (b.busy - a.busy) / (b.total - a.total);
}

/** Flushes dirty pages so a run does not pay for the previous run's writeback (caches stay warm). */
export function flushDisk(): void {
  execFileSync("sync");
}

/**
 * Flushes dirty pages, then waits until the CPUs were at most `maxBusy` busy
 * for one second, at most `timeoutMs`. Returns the busy fraction seen last.
 * With `wait: false` (smoke runs: their timings mean nothing) it only flushes.
 */
export async function settle({ wait = true, maxBusy = 0.15, timeoutMs = 120_000 } = {}): Promise<number> {
  flushDisk();
  if (!wait) return 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = await busyFraction(1000);
    if (busy <= maxBusy) return busy;
    if (Date.now() > deadline) {
      console.error(`WARNING: CPU still ${(busy * 100).toFixed(0)}% busy after ${timeoutMs / 1000} s`);
      return busy;
    }
  }
}

export interface ChildResult {
  /** Wall time, spawn to exit. */
  seconds: number;
  /** User + system CPU seconds of the child (and of the children it reaped). */
  cpu: number;
  /** Peak RSS in MiB: VmHWM of /proc/<pid>/status, read every 20 ms while it runs; undefined without /proc. */
  peakRssMiB: number | undefined;
  stdout: string;
  /** The last 16 KiB of its stderr. */
  stderr: string;
}

/**
 * Runs a command to its end; rejects with its stderr when it fails. The CPU
 * comes from this process's reaped-children times (run one child at a time
 * for it to be the child's alone). The peak RSS is the last VmHWM sampled,
 * which misses only growth in the child's last 20 ms (bench/memory-probe.ts
 * reads it at exit from inside the process, for figures that matter).
 */
export function runChild(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildResult> {
  const cpu0 = cpuTimes();
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      // Only the end matters when a run fails; a verbose log must not fill this process.
      stderr = (stderr + s).slice(-16_384);
    });
    let peakKiB: number | undefined;
    const sample = () => {
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(readText(`/proc/${child.pid}/status`) ?? "");
      if (match) peakKiB = Math.max(peakKiB ?? 0, Number(match[1]));
    };
    const timer = setInterval(sample, 20);
    child.once("spawn", sample);
    child.once("error", (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearInterval(timer);
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0)
        return reject(new Error(`${argv.join(" ")} exited ${code ?? signal}:\n${stderr}${stdout}`));
      resolve({
        seconds,
        cpu: cpuSince(cpu0).reaped,
        peakRssMiB: peakKiB === undefined ? undefined : peakKiB / 1024,
        stdout,
        stderr,
      });
    });
  });
}

export function machineInfo(): string {
  const cpus = os.cpus();
  return `${cpus.length} CPUs (${cpus[0]?.model ?? "?"}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}
