/**
 * The prelaunch hook when there is nothing to bring: the last workfile is
 * already in the work area, so `sitesync hook run copy-last-published-workfile`
 * only checks the resources (200 stats) and exits, what every DCC launch after
 * the first pays (docs/benchmarks/hook.md, benchmark 2; goal <= 150 ms for
 * the whole process). Against `node -e 0` (Node's own start-up, the floor)
 * and `sitesync --help`, in rotating order after two untimed warm-up rounds;
 * each round first waits for a mostly idle CPU.
 *
 *   npm run build && npm run bench:build && node dist-bench/bench/hook-noop.js
 *       [--runs 20] [--resources 200] [--keep] [--smoke]
 */
import { benchArgs } from "./lib/args.js";
import {
  buildInfo,
  buildStudio,
  CLI,
  cloneArtist,
  ENV,
  type HookResult,
  hookCommand,
  KiB,
  MiB,
  ROOT,
  requireBuild,
  resourcePlan,
} from "./lib/hook-studio.js";
import { machineInfo, runChild, settle } from "./lib/proc.js";
import { pairedRuns, stats, table } from "./lib/runs.js";
import { withTempDir } from "./lib/tmp.js";

const GOAL_MS = 150;
const args = benchArgs({ runs: 20, smoke: { runs: 2 }, options: { resources: { type: "string" } } });
const resourceCount = args.smoke ? 10 : args.num("resources", 200);
requireBuild();
console.log(`# hook-noop (${machineInfo()})\nmeasuring ${buildInfo()}; ${resourceCount} resources\n`);

const ms = async (argv: string[], check?: (stdout: string) => void) => {
  const run = await runChild(argv, { cwd: ROOT, env: ENV });
  check?.(run.stdout);
  return run.seconds * 1000;
};

await withTempDir("hook-noop", args.keep, async (root) => {
  // The resources' count matters here (one stat each), not their size: kept small so setup is quick.
  const studio = buildStudio(root, MiB, resourcePlan(resourceCount, 4 * KiB, 64 * KiB));
  const home = cloneArtist(studio);
  await ms(hookCommand(home), (stdout) => {
    const first = JSON.parse(stdout) as HookResult;
    if (first.status !== "copied" || first.resources.length !== resourceCount)
      throw new Error(`setup: the first hook run did not copy everything: ${stdout}`);
  });
  const times = await pairedRuns(
    {
      "node -e 0": () => ms([process.execPath, "-e", "0"]),
      "sitesync --help": () => ms([process.execPath, CLI, "--help"]),
      "sitesync hook run (noop)": () =>
        ms(hookCommand(home), (stdout) => {
          const json = JSON.parse(stdout) as HookResult;
          if (
            json.status !== "skipped" ||
            json.reason !== "the last workfile exists" ||
            json.resources.length
          )
            throw new Error(`noop hook run did something: ${stdout}`);
        }),
    },
    {
      runs: args.runs,
      warmup: 2,
      beforeRound: () => settle({ wait: !args.smoke, maxBusy: 0.25, timeoutMs: 10_000 }),
    },
  );
  const floor = stats(times["node -e 0"] ?? []).median;
  const rows = Object.entries(times).map(([name, values]) => {
    const s = stats(values);
    return [name, ...[s.median, s.p90, s.min, s.max, s.median - floor].map((v) => v.toFixed(0))];
  });
  console.log(`Whole process wall time, ${args.runs} runs each (ms)`);
  console.log(table(["command", "median", "p90", "min", "max", "median - node floor"], rows));
  const hook = stats(times["sitesync hook run (noop)"] ?? []);
  console.log(
    `\nhook noop median ${hook.median.toFixed(0)} ms, p90 ${hook.p90.toFixed(0)} ms: ` +
      `${hook.median <= GOAL_MS ? "within" : "OVER"} the ${GOAL_MS} ms goal`,
  );
});
if (args.smoke) console.log("hook-noop smoke: OK (the hook ran and did nothing, as it should)");
