/**
 * CPU seconds from /proc, to tell where a benchmark's time goes on a machine
 * whose cores are shared by client and server (loopback).
 *
 * For a process: its own user+system time (all threads) and the time of the
 * children it has reaped (cutime+cstime). For the whole machine: the busy
 * seconds of all CPUs (sshd's sessions included, which are hard to catch by
 * pid as they exit after the client closes).
 */
import { readdirSync, readFileSync } from "node:fs";

/** Linux's USER_HZ; fixed at 100 on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

export interface CpuTimes {
  own: number;
  reaped: number;
}

export function cpuTimes(pid: number | "self" = "self"): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after "(comm)": 3 state ... 14 utime 15 stime 16 cutime 17 cstime.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const tick = (n: number) => Number(fields[n - 3]) / TICKS_PER_SECOND;
  return { own: tick(14) + tick(15), reaped: tick(16) + tick(17) };
}

export function cpuSince(before: CpuTimes, pid: number | "self" = "self"): CpuTimes {
  const now = cpuTimes(pid);
  return { own: now.own - before.own, reaped: now.reaped - before.reaped };
}

/** Busy CPU seconds of the whole machine so far (user, nice, system, irq, softirq, steal). */
export function machineBusy(): number {
  const [, user, nice, system, , , irq, softirq, steal] =
    readFileSync("/proc/stat", "utf8").split("\n", 1)[0]?.trim().split(/\s+/).map(Number) ?? [];
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
    TICKS_PER_SECOND
  );
}

/** CPU seconds of each thread of this process ("tid:name"), to tell the main thread from workers and the GC's helpers. */
export function threadTimes(): Map<string, number> {
  const times = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      times.set(`${tid}:${name}`, (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return times;
}

/** "tid:name=seconds" for the threads that used at least 0.05 s since `before`. */
export function threadsSince(before: Map<string, number>): string {
  return [...threadTimes()]
    .map(([thread, seconds]) => [thread, seconds - (before.get(thread) ?? 0)] as const)
    .filter(([, seconds]) => seconds >= 0.05)
    .map(([thread, seconds]) => `${thread}=${seconds.toFixed(2)}`)
    .join(" ");
}
