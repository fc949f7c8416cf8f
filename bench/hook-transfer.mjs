/**
 * Benchmark: the prelaunch hook bringing a published workfile and its
 * resources from the studio site (local_drive) to an artist's empty local
 * site and into the work area, against `cp -r` of the same published folder.
 *
 *   npm run build && node bench/hook-transfer.mjs [--sizes 10,50,100] [--runs 3] [--resources 200] [--max-kib 1024] [--keep]
 *
 * For each workfile size a studio is built through the CLI (init, maya in
 * settings, project import, publish of `scene.ma` plus the resources to
 * `studio`). Each run then times, as whole processes (spawn to exit):
 *   - cp -r         the published version folder -> a fresh folder
 *   - cp -r + sync  the same, then `sync` (what a durable copy costs: the hook fsyncs every file)
 *   - 2x cp -r + sync  published -> A, A -> B, then `sync`: the floor of the hook's design (a
 *                   durable copy on the local site, then a durable copy of that into the work area)
 *   - hook          `sitesync hook run copy-last-published-workfile ... --json` for a fresh
 *                   artist: the home put back as it was right after the publish (settings +
 *                   their validated cache, site id, store: the local site has no file of the
 *                   publish) and a local root that does not exist. The cold "artist has
 *                   nothing" case (bench/hook-lib.mjs cloneArtist).
 * The published files are read once before timing (page cache warm for all three) and `sync`
 * runs before every timed command (no one pays for another's writeback); each run (all
 * four contenders) first waits until other processes leave the CPU mostly idle (up to 20 s). Then one run of
 * bench/hook-phases.mjs on another fresh artist says where the hook's time goes.
 */
import { rmSync, statSync } from "node:fs";
import path from "node:path";
import {
  BENCH_DIR,
  buildInfo,
  buildStudio,
  cloneArtist,
  fmt,
  hookArgs,
  loadAverage,
  MiB,
  machine,
  mib,
  ROOT,
  requireBuild,
  resourcePlan,
  stats,
  syncDisks,
  tempRoot,
  timeProcess,
  treeBytes,
  waitForQuiet,
  warm,
} from "./hook-lib.mjs";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const sizes = option("sizes", "10,50,100").split(",").map(Number);
const runs = Number(option("runs", "3"));
const resourceCount = Number(option("resources", "200"));
const maxKiB = Number(option("max-kib", "1024"));
const keep = process.argv.includes("--keep");

requireBuild();
const root = tempRoot("hook-transfer");
const resources = resourcePlan(resourceCount, 4 * 1024, maxKiB * 1024);
const resourceBytes = resources.reduce((s, r) => s + r.size, 0);
process.stdout.write(
  `# hook-transfer (${machine()})\nmeasuring ${buildInfo()}; load average ${loadAverage()}\n`,
);
process.stdout.write(
  `data in ${root}; ${resourceCount} resources, ${mib(resourceBytes)}${resourceCount ? ` (${(Math.min(...resources.map((r) => r.size)) / 1024).toFixed(0)} KiB..${(Math.max(...resources.map((r) => r.size)) / 1024).toFixed(0)} KiB each)` : ""}, ${runs} runs per size\n\n`,
);

const rows = [];
try {
  for (const size of sizes) {
    const dir = path.join(root, `wf${size}`);
    const studio = buildStudio(dir, { workfileBytes: size * MiB, resources });
    warm(studio.publishedDir);
    const times = { cp: [], cpSync: [], cp2Sync: [], hook: [] };
    const busy = [];
    const contenders = {
      cp: (run) => {
        const target = path.join(dir, `cp-${run}`);
        const t = timeProcess("cp", ["-r", studio.publishedDir, target]);
        if (treeBytes(target) !== studio.bytes) throw new Error(`cp -r copied ${treeBytes(target)} bytes`);
        rmSync(target, { recursive: true, force: true });
        return t.ms;
      },
      cpSync: (run) => {
        const target = path.join(dir, `cps-${run}`);
        const t = timeProcess("sh", ["-c", 'cp -r "$0" "$1" && sync', studio.publishedDir, target]);
        rmSync(target, { recursive: true, force: true });
        return t.ms;
      },
      // The floor of the hook's design: two durable copies (studio -> local site -> work area).
      cp2Sync: (run) => {
        const site = path.join(dir, `cp2a-${run}`);
        const work = path.join(dir, `cp2b-${run}`);
        const t = timeProcess("sh", [
          "-c",
          'cp -r "$0" "$1" && cp -r "$1" "$2" && sync',
          studio.publishedDir,
          site,
          work,
        ]);
        rmSync(site, { recursive: true, force: true });
        rmSync(work, { recursive: true, force: true });
        return t.ms;
      },
      hook: () => {
        const artist = cloneArtist(studio);
        syncDisks();
        const t = timeProcess(process.execPath, hookArgs(artist.home), { cwd: ROOT });
        const json = JSON.parse(t.stdout);
        if (json.status !== "copied") throw new Error(`hook: ${json.status}: ${json.reason}`);
        if (json.resources.length !== resourceCount)
          throw new Error(`hook copied ${json.resources.length} resources`);
        if (statSync(json.last_workfile_path).size !== size * MiB)
          throw new Error("hook: workfile size differs");
        rmSync(artist.localRoot, { recursive: true, force: true });
        return t.ms;
      },
    };
    for (let run = 1; run <= runs; run++) {
      // Rotate the order so no contender always runs first (or last) in a run.
      const order = ["cp", "cpSync", "cp2Sync", "hook"];
      for (let k = 0; k < (run - 1) % order.length; k++) order.push(order.shift());
      busy.push(waitForQuiet(0.25, 20_000));
      for (const name of order) {
        syncDisks();
        times[name].push(contenders[name](run));
      }
    }
    // Where the time goes: the same work in one instrumented process on a fresh artist.
    const artist = cloneArtist(studio);
    syncDisks();
    const phaseRun = timeProcess(
      process.execPath,
      [path.join(BENCH_DIR, "hook-phases.mjs"), "--home", artist.home],
      {
        cwd: ROOT,
      },
    );
    const phases = JSON.parse(phaseRun.stdout.trim().split("\n").pop());
    phases.wallMs = phaseRun.ms;
    rmSync(artist.localRoot, { recursive: true, force: true });
    const row = {
      workfileMiB: size,
      files: studio.files,
      bytes: studio.bytes,
      cp: stats(times.cp),
      cpSync: stats(times.cpSync),
      cp2Sync: stats(times.cp2Sync),
      hook: stats(times.hook),
      raw: times,
      busy: Math.max(...busy),
      phases,
    };
    rows.push(row);
    process.stdout.write(
      `workfile ${size} MiB (${studio.files} files, ${mib(studio.bytes)}): hook ${fmt(row.hook.median)} [${times.hook.map(fmt).join(", ")}], cp -r ${fmt(row.cp.median)} [${times.cp.map(fmt).join(", ")}], cp -r+sync ${fmt(row.cpSync.median)} [${times.cpSync.map(fmt).join(", ")}], 2x cp -r+sync ${fmt(row.cp2Sync.median)} [${times.cp2Sync.map(fmt).join(", ")}] -> ${(row.hook.median / row.cp.median).toFixed(2)}x cp -r (CPU busy before runs: up to ${(100 * row.busy).toFixed(0)}%)\n`,
    );
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}

const r = (x) => x.toFixed(0);
process.stdout.write(
  `\n## Median of ${runs} runs (whole process wall time, ms)\n\n| workfile | files | bytes | hook | cp -r | cp -r + sync | 2x cp -r + sync | hook / cp -r (goal <= 1.2) | hook / (2x cp -r + sync) | hook MiB/s |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n`,
);
for (const row of rows) {
  process.stdout.write(
    `| ${row.workfileMiB} MiB | ${row.files} | ${mib(row.bytes)} | ${r(row.hook.median)} | ${r(row.cp.median)} | ${r(row.cpSync.median)} | ${r(row.cp2Sync.median)} | ${(row.hook.median / row.cp.median).toFixed(2)}x | ${(row.hook.median / row.cp2Sync.median).toFixed(2)}x | ${(row.bytes / MiB / (row.hook.median / 1000)).toFixed(0)} |\n`,
  );
}
process.stdout.write(
  `\n## Where the hook's time goes (bench/hook-phases.mjs, one run, ms)\n\n| workfile | start-up + imports | openContext | buildLaunch | hook until transfers | transfers to local site | engine bookkeeping after | copy into work area | close + exit | wall | store calls (ms) |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n`,
);
for (const row of rows) {
  const { T, store, wallMs } = row.phases;
  const d = (a, b) => r(T[b] - T[a]);
  process.stdout.write(
    `| ${row.workfileMiB} MiB | ${r(T.imported)} | ${d("imported", "opened")} | ${d("opened", "launchBuilt")} | ${d("launchBuilt", "transferStart")} | ${d("transferStart", "lastFileDone")} | ${d("lastFileDone", "lastStoreCall")} | ${d("lastStoreCall", "hookDone")} | ${r(wallMs - T.hookDone)} | ${r(wallMs)} | ${store.count} (${r(store.ms)}) |\n`,
  );
}
const last = rows[rows.length - 1];
if (last) {
  process.stdout.write(`\nstore calls of the ${last.workfileMiB} MiB phases run:\n`);
  for (const [name, m] of Object.entries(last.phases.store.byMethod).sort((a, b) => b[1].ms - a[1].ms)) {
    process.stdout.write(`  ${name}: ${m.count} calls, ${m.ms.toFixed(1)} ms\n`);
  }
}
process.stdout.write(
  `\nJSON: ${JSON.stringify(rows.map(({ raw, phases, workfileMiB, bytes }) => ({ workfileMiB, bytes, raw, phases })))}\n`,
);
