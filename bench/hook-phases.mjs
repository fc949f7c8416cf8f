/**
 * Where the hook's time goes: does in one process what `sitesync hook run
 * copy-last-published-workfile` does (lib/cli/commands/hook.ts), importing
 * the built modules, and prints a JSON line of phase times (ms from process
 * start). Not a benchmark on its own: bench/hook-transfer.mjs runs it after
 * the timed runs on a fresh artist home.
 *
 *   node bench/hook-phases.mjs --home H
 *
 * Phases: import of the modules, openContext, buildLaunch, the hook until the
 * engine starts moving files, the transfers (engine event project-start to
 * the last file-done), the engine's bookkeeping after them (state results,
 * claim releases: the last store call), and the copy into the work area (last
 * store call to the hook's return). Store calls are counted and timed by
 * wrapping the store object's methods.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const T = { start: performance.now() };
const home = process.argv[process.argv.indexOf("--home") + 1];
if (!home || !process.argv.includes("--home")) {
  process.stderr.write("usage: node bench/hook-phases.mjs --home H\n");
  process.exit(2);
}
const { ROOT } = await import("./hook-lib.mjs");
const dist = pathToFileURL(path.join(ROOT, "dist/"));

const [
  { openContext },
  { buildLaunch },
  { createLogger },
  { copyLastPublishedWorkfile },
  { loadProviderModules },
] = await Promise.all([
  import(new URL("lib/context.js", dist).href),
  import(new URL("lib/launcher/launch-data.js", dist).href),
  import(new URL("lib/log.js", dist).href),
  import(new URL("hooks/copy-last-published-workfile.js", dist).href),
  import(new URL("providers/modules.js", dist).href),
]);
// What main.js and commands/hook.js import besides these (commander, every command module) is left out
// here: bench/hook-startup.mjs measures the start-up on its own.
T.imported = performance.now();
await loadProviderModules();
// openContext is synchronous at f610076 and async in later builds: await works for both.
const context = await openContext({ home });
T.opened = performance.now();

const calls = { count: 0, ms: 0, byMethod: {} };
let lastStoreCall = 0;
for (const [name, fn] of Object.entries(context.store)) {
  if (typeof fn !== "function") continue;
  context.store[name] = async (...args) => {
    const t = performance.now();
    try {
      return await fn(...args);
    } finally {
      const now = performance.now();
      calls.byMethod[name] ??= { count: 0, ms: 0 };
      const m = calls.byMethod[name];
      m.count += 1;
      m.ms += now - t;
      calls.count += 1;
      calls.ms += now - t;
      lastStoreCall = now;
    }
  };
}

const { data } = await buildLaunch(context, {
  project: "Proj",
  folderPath: "/assets/characters/hero",
  task: "modeling",
  app: "maya/2024",
});
T.launchBuilt = performance.now();
let files = 0;
const onEvent = (event) => {
  if (event.type === "project-start") T.transferStart = performance.now();
  if (event.type === "file-done") {
    files += 1;
    T.lastFileDone = performance.now();
  }
};
const result = await copyLastPublishedWorkfile({
  data,
  launchType: "local",
  platform: context.platform,
  services: { context, logger: createLogger({ verbose: false }), onEvent },
});
T.hookDone = performance.now();
T.lastStoreCall = lastStoreCall;
await context.store.close();
T.closed = performance.now();
process.stdout.write(
  `${JSON.stringify({ status: result.status, reason: result.reason, files, T, store: calls })}\n`,
);
