/**
 * Preloaded into a measured process (`node --import <this file, built>`):
 * when the process exits it writes, as JSON, to $SITESYNC_MEMORY_PROBE:
 *
 * - `peakRssKiB`: the process's peak resident set, every thread included
 *   (the hash and copy workers are threads of the process), and `source`,
 *   where it was read;
 * - `heapMiB`, `externalMiB`: the main thread's peak V8 heap (committed,
 *   `heapTotal`: what the heap holds in RAM, used or not) and peak off-heap
 *   memory (Buffers, ArrayBuffers), sampled every 50 ms, to tell which kind
 *   of memory a peak is made of. Worker threads' heaps are not in these two.
 *
 * The peak is VmHWM of /proc/self/status, read at exit: the high-water mark
 * of this process's own address space, which starts empty at exec. Not
 * getrusage's ru_maxrss (`process.resourceUsage().maxRSS`): on Linux exec
 * keeps the high-water mark of the process that was replaced, and a child
 * spawned by Node starts as a copy of its parent, so the benchmark's own RSS
 * (hundreds of MB once it has written and registered 10,000 files) showed up
 * as the child's peak. ru_maxrss is the fallback where /proc is missing. Not
 * `/usr/bin/time -v` either: it is not on every machine (macOS's spells it
 * `-l`). Processes the measured one starts (the small shell that runs
 * syncfs, lib/fs/durable.ts) are separate and not counted; they are a few MB.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

/** VmHWM in KiB, or undefined where there is no /proc. */
function highWaterKiB(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

const out = process.env.SITESYNC_MEMORY_PROBE;
// Workers inherit --import: only the main thread reports, or they would overwrite its figures.
if (out && isMainThread) {
  let heap = 0;
  let external = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    heap = Math.max(heap, usage.heapTotal);
    external = Math.max(external, usage.external);
  };
  setInterval(sample, 50).unref();
  process.on("exit", () => {
    sample();
    const highWater = highWaterKiB();
    const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
    writeFileSync(
      out,
      JSON.stringify({
        peakRssKiB: highWater ?? process.resourceUsage().maxRSS,
        source: highWater === undefined ? "ru_maxrss" : "VmHWM",
        // Kept to show the difference described above.
        ruMaxRssKiB: process.resourceUsage().maxRSS,
        heapMiB: mib(heap),
        externalMiB: mib(external),
      }),
    );
  });
}
