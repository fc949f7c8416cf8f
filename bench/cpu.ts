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

/** The fields of a /proc stat line after "(comm)" (which may hold spaces), and comm itself. */
function readStat(file: string): { name: string; fields: string[] } {
  const stat = readFileSync(file, "utf8");
  const close = stat.lastIndexOf(")");
  return { name: stat.slice(stat.indexOf("(") + 1, close), fields: stat.slice(close + 2).split(" ") };
}

/** Field n of stat(5) (1-based: 14 utime, 15 stime, 16 cutime, 17 cstime) in seconds. */
const seconds = (fields: string[], n: number) => Number(fields[n - 3]) / TICKS_PER_SECOND;

export function cpuTimes(): CpuTimes {
  const { fields } = readStat("/proc/self/stat");
  return {
    own: seconds(fields, 14) + seconds(fields, 15),
    reaped: seconds(fields, 16) + seconds(fields, 17),
  };
}

export function cpuSince(before: CpuTimes): CpuTimes {
  const now = cpuTimes();
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
      const { name, fields } = readStat(`/proc/self/task/${tid}/stat`);
      times.set(`${tid}:${name}`, seconds(fields, 14) + seconds(fields, 15));
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
