/**
 * Optional CPU profile of the timed part of a benchmark: set
 * BENCH_CPU_PROFILE=<file.cpuprofile> and the main thread's profile of each
 * timed section is written there (the last one wins). Open it in Chrome's
 * DevTools or any .cpuprofile viewer. Without the variable this does nothing.
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";

export interface Profile {
  stop(): Promise<void>;
}

export async function startProfile(): Promise<Profile> {
  const file = process.env.BENCH_CPU_PROFILE;
  if (!file) return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return {
    stop: async () => {
      const { profile } = await session.post("Profiler.stop");
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
