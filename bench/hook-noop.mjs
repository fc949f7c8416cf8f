/**
 * Benchmark: the prelaunch hook when there is nothing to bring. The last
 * workfile is already in the work area, so `sitesync hook run
 * copy-last-published-workfile` only checks that the published workfile's
 * resources are in the work area (200 stats) and exits: what every DCC launch
 * after the first pays. Goal: <= 150 ms for the whole process.
 *
 *   npm run build && node bench/hook-noop.mjs [--runs 20] [--resources 200]
 *
 * Setup, through the CLI: a studio (init, maya in settings, project import),
 * a 1 MiB workfile plus 200 resources in nested folders published on
 * `studio`, one artist home whose hook run copied them (untimed). Then, `runs`
 * times, in a rotating order, each as a whole process (spawn to exit):
 *   - node -e 0                     Node's own start-up: the floor
 *   - node dist/lib/cli/main.js --help
 *   - sitesync hook run ... --json  (checked: skipped, "the last workfile exists", nothing restored)
 * Each round waits until other processes leave the CPU mostly idle (up to
 * 10 s). Two untimed warm-up rounds first. Then one bench/hook-phases.mjs run on the
 * same home splits the hook's time into start-up, openContext, buildLaunch,
 * the hook and exit.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import {
  BENCH_DIR,
  buildInfo,
  buildStudio,
  CLI,
  cloneArtist,
  hookArgs,
  KiB,
  loadAverage,
  MiB,
  machine,
  ROOT,
  requireBuild,
  resourcePlan,
  stats,
  tempRoot,
  timeProcess,
  waitForQuiet,
} from "./hook-lib.mjs";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const runs = Number(option("runs", "20"));
const resourceCount = Number(option("resources", "200"));
const keep = process.argv.includes("--keep");

requireBuild();
const root = tempRoot("hook-noop");
process.stdout.write(`# hook-noop (${machine()})\nmeasuring ${buildInfo()}; load average ${loadAverage()}\n`);
try {
  // The resources' count matters here (one stat each), not their size: kept small so setup is quick.
  const studio = buildStudio(root, {
    workfileBytes: MiB,
    resources: resourcePlan(resourceCount, 4 * KiB, 64 * KiB),
  });
  const artist = cloneArtist(studio);
  const first = JSON.parse(timeProcess(process.execPath, hookArgs(artist.home), { cwd: ROOT }).stdout);
  if (first.status !== "copied" || first.resources.length !== resourceCount) {
    throw new Error(`setup: the first hook run did not copy everything: ${JSON.stringify(first)}`);
  }
  process.stdout.write(`data in ${root}; ${studio.files} published files; first hook run copied them\n\n`);

  const contenders = {
    "node -e 0": () => timeProcess(process.execPath, ["-e", "0"]).ms,
    "sitesync --help": () => timeProcess(process.execPath, [CLI, "--help"], { cwd: ROOT }).ms,
    "sitesync hook run (noop)": () => {
      const t = timeProcess(process.execPath, hookArgs(artist.home), { cwd: ROOT });
      const json = JSON.parse(t.stdout);
      if (json.status !== "skipped" || json.reason !== "the last workfile exists" || json.resources.length) {
        throw new Error(`noop hook run did something: ${t.stdout}`);
      }
      return t.ms;
    },
  };
  const names = Object.keys(contenders);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const busy = [];
  for (let round = -2; round < runs; round++) {
    const order = names.map((_, k) => names[(k + round + 2) % names.length]);
    busy.push(waitForQuiet(0.25, 10_000));
    for (const name of order) {
      const ms = contenders[name]();
      if (round >= 0) times[name].push(ms);
    }
  }

  const floor = stats(times["node -e 0"]).median;
  process.stdout.write(
    `CPU busy (other processes) before the rounds: median ${(100 * stats(busy).median).toFixed(0)}%, max ${(100 * Math.max(...busy)).toFixed(0)}%\n\n`,
  );
  process.stdout.write(
    `## Whole process wall time, ${runs} runs each (ms)\n\n| command | median | p90 | min | max | median - node floor |\n|---|---:|---:|---:|---:|---:|\n`,
  );
  for (const name of names) {
    const s = stats(times[name]);
    process.stdout.write(
      `| ${name} | ${s.median.toFixed(0)} | ${s.p90.toFixed(0)} | ${s.min.toFixed(0)} | ${s.max.toFixed(0)} | ${(s.median - floor).toFixed(0)} |\n`,
    );
  }
  const hook = stats(times["sitesync hook run (noop)"]);
  process.stdout.write(
    `\nhook noop median ${hook.median.toFixed(0)} ms, p90 ${hook.p90.toFixed(0)} ms: ${hook.median <= 150 ? "within" : "OVER"} the 150 ms goal\n`,
  );

  const phases = JSON.parse(
    timeProcess(process.execPath, [path.join(BENCH_DIR, "hook-phases.mjs"), "--home", artist.home], {
      cwd: ROOT,
    })
      .stdout.trim()
      .split("\n")
      .pop(),
  );
  const { T } = phases;
  const d = (a, b) => (T[b] - T[a]).toFixed(0);
  process.stdout.write(
    `\n## Where the noop's time goes (bench/hook-phases.mjs, one run, ms from process start)\n\n| node boot + script | imports | openContext | buildLaunch | hook (find publish, stat resources) | close store |\n|---:|---:|---:|---:|---:|---:|\n| ${T.start.toFixed(0)} | ${d("start", "imported")} | ${d("imported", "opened")} | ${d("opened", "launchBuilt")} | ${d("launchBuilt", "hookDone")} | ${d("hookDone", "closed")} |\n\nstore calls: ${phases.store.count}, ${phases.store.ms.toFixed(1)} ms\n`,
  );
  process.stdout.write(`\nJSON: ${JSON.stringify({ times, phases })}\n`);
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
