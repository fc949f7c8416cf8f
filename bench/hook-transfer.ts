/**
 * The prelaunch hook bringing a published workfile and its resources from the
 * studio site (local_drive) to an artist's empty local site and into the work
 * area, against `cp -r` of the same published folder (docs/benchmarks/hook.md,
 * benchmark 1; goal <= 1.2x cp -r). Each is timed as a whole process, spawn
 * to exit:
 *
 * - cp: `cp -r` of the published version folder to a fresh folder;
 * - cp+sync: the same, then `sync` (a durable copy: the hook fsyncs every file);
 * - 2cp+sync: published -> A, A -> B, then `sync`: the floor of the hook's
 *   design (a durable copy on the local site, then one into the work area);
 * - hook: `sitesync hook run copy-last-published-workfile --json` for a fresh
 *   artist (lib/hook-studio.ts cloneArtist).
 *
 * The published files are read once before timing; dirty pages are flushed
 * before every timed command; each round first waits for a mostly idle CPU.
 *
 *   npm run build && npm run bench:build && node dist-bench/bench/hook-transfer.js
 *       [--sizes 10,50,100] [--runs 3] [--resources 200] [--max-kib 1024] [--keep] [--smoke]
 */
import { statSync } from "node:fs";
import path from "node:path";
import { benchArgs } from "./lib/args.js";
import {
  buildInfo,
  buildStudio,
  cloneArtist,
  ENV,
  type HookResult,
  hookCommand,
  MiB,
  ROOT,
  requireBuild,
  resourcePlan,
  treeBytes,
} from "./lib/hook-studio.js";
import { needPeer } from "./lib/peers.js";
import { flushDisk, machineInfo, runChild, settle } from "./lib/proc.js";
import { pairedRuns, stats, table } from "./lib/runs.js";
import { readTree, removeDir, withTempDir } from "./lib/tmp.js";

const args = benchArgs({
  sizes: "10,50,100",
  smoke: { sizes: [1] },
  options: { resources: { type: "string" }, "max-kib": { type: "string" } },
});
const resourceCount = args.smoke ? 10 : args.num("resources", 200);
const resources = resourcePlan(resourceCount, 4 * 1024, args.num("max-kib", 1024) * 1024);
needPeer("cp");
requireBuild();
console.log(`# hook-transfer (${machineInfo()})\nmeasuring ${buildInfo()}; ${resourceCount} resources\n`);

const rows: Array<Array<string | number>> = [];
await withTempDir("hook-transfer", args.keep, async (root) => {
  for (const size of args.sizes) {
    const dir = path.join(root, `wf${size}`);
    const studio = buildStudio(dir, size * MiB, resources);
    readTree(studio.publishedDir);
    const shell = async (script: string, ...paths: string[]) => {
      const { seconds } = await runChild(["sh", "-c", script, ...paths]);
      for (const p of paths.slice(1)) removeDir(p);
      return seconds * 1000;
    };
    const times = await pairedRuns(
      {
        cp: async (round: number) => {
          const target = path.join(dir, `cp-${round}`);
          const { seconds } = await runChild(["cp", "-r", studio.publishedDir, target]);
          if (treeBytes(target) !== studio.bytes) throw new Error(`cp -r copied ${treeBytes(target)} bytes`);
          removeDir(target);
          return seconds * 1000;
        },
        "cp+sync": (round: number) =>
          shell('cp -r "$0" "$1" && sync', studio.publishedDir, path.join(dir, `cps-${round}`)),
        "2cp+sync": (round: number) =>
          shell(
            'cp -r "$0" "$1" && cp -r "$1" "$2" && sync',
            studio.publishedDir,
            path.join(dir, `cp2a-${round}`),
            path.join(dir, `cp2b-${round}`),
          ),
        hook: async () => {
          const home = cloneArtist(studio);
          flushDisk();
          const run = await runChild(hookCommand(home), { cwd: ROOT, env: ENV });
          const json = JSON.parse(run.stdout) as HookResult;
          if (json.status !== "copied") throw new Error(`hook: ${json.status}: ${json.reason}`);
          if (json.resources.length !== resourceCount)
            throw new Error(`hook copied ${json.resources.length} resources`);
          if (statSync(json.last_workfile_path).size !== size * MiB)
            throw new Error("hook: workfile size differs");
          removeDir(studio.localRoot);
          return run.seconds * 1000;
        },
      },
      {
        runs: args.runs,
        beforeRound: () => settle({ wait: !args.smoke, maxBusy: 0.25, timeoutMs: 20_000 }),
        beforeRun: flushDisk,
        onResult: (name, ms, round) =>
          console.error(`${size} MiB, run ${round}/${args.runs}: ${name} ${ms.toFixed(0)} ms`),
      },
    );
    const m = Object.fromEntries(Object.entries(times).map(([name, t]) => [name, stats(t).median]));
    const [hook, cp, cp2] = [m.hook ?? Number.NaN, m.cp ?? Number.NaN, m["2cp+sync"] ?? Number.NaN];
    rows.push([
      `${size} MiB`,
      studio.files,
      `${(studio.bytes / MiB).toFixed(1)} MiB`,
      ...[hook, cp, m["cp+sync"] ?? Number.NaN, cp2].map((ms) => ms.toFixed(0)),
      `${(hook / cp).toFixed(2)}x`,
      `${(hook / cp2).toFixed(2)}x`,
      (studio.bytes / MiB / (hook / 1000)).toFixed(0),
    ]);
    if (!args.keep) removeDir(dir);
  }
});
console.log(`\nMedian of ${args.runs} run(s), whole process wall time, ms`);
console.log(
  table(
    [
      "workfile",
      "files",
      "bytes",
      "hook",
      "cp -r",
      "cp -r + sync",
      "2x cp -r + sync",
      "hook / cp -r (goal <= 1.2)",
    ].concat(["hook / (2x cp -r + sync)", "hook MiB/s"]),
    rows,
  ),
);
if (args.smoke) console.log("hook-transfer smoke: OK (the hook copied the workfile and every resource)");
