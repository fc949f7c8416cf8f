/**
 * Preloaded into a measured process (`node --import <this file, built>`):
 * when the process exits it writes, as JSON, to $SITESYNC_MEMORY_PROBE:
 *
 * - `maxRssKiB`: the process's peak resident set (getrusage's ru_maxrss,
 *   Node's `process.resourceUsage().maxRSS`), every thread included (the
 *   hash and copy workers are threads of the process);
 * - `heapMiB`, `externalMiB`: the main thread's peak V8 heap (committed,
 *   `heapTotal`: what the heap holds in RAM, used or not) and peak off-heap
 *   memory (Buffers, ArrayBuffers), sampled every 50 ms, to tell which kind
 *   of memory a peak is made of. Worker threads' heaps are not in these two.
 *
 * Why a preload and not the alternatives: `/usr/bin/time -v` is not on every
 * machine (and macOS's `time` spells it `-l`); /proc/<pid>/status's VmHWM is
 * gone once the child has exited, and read just before it is a race. The
 * rusage peak of the process itself is exact and needs nothing installed.
 * Processes the measured one starts (the small shell that runs syncfs, see
 * lib/fs/durable.ts) are not counted; they are separate and a few MB.
 */
import { writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

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
    const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
    writeFileSync(
      out,
      JSON.stringify({
        maxRssKiB: process.resourceUsage().maxRSS,
        heapMiB: mib(heap),
        externalMiB: mib(external),
      }),
    );
  });
}
