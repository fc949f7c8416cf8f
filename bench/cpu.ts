/**
 * CPU seconds from /proc, to tell where a benchmark's time goes on a machine
 * whose cores are shared by client and server (loopback).
 *
 * For a process: its own user+system time (all threads) and the time of the
 * children it has reaped (cutime+cstime). sshd's per-connection processes are
 * reaped by the listening sshd, so its "reaped" figure grows by each finished
 * session's cost.
 */
import { readFileSync } from "node:fs";

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
