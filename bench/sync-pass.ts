/**
 * One engine pass downloading a published tree from studio to the artist's
 * local site (both local_drive), against `cp -r` and `rclone copy` of the same
 * tree (docs/benchmarks/README.md, "sync-pass"). The source is read once
 * beforehand so all start equally warm; dirty pages are flushed before every
 * timed run; only the pass / the copy command is timed.
 *
 *   node dist-bench/bench/sync-pass.js [--sizes 1000,4000,10000] [--runs 3] [--file-size 16384]
 *                                      [--only engine,cp,rclone16,rclone] [--keep] [--smoke]
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_CONCURRENCY, SyncEngine } from "../lib/engine/engine.js";
import { SyncStatus } from "../lib/store/status.js";
import { benchArgs } from "./lib/args.js";
import { havePeer } from "./lib/peers.js";
import { flushDisk, runChild } from "./lib/proc.js";
import { fixed, medians, pairedRuns, pick, ratio, secondsSince, table } from "./lib/runs.js";
import { listFiles, readTree, removeDir, withTempDir } from "./lib/tmp.js";
import { openStudio, PROJECT, registerTree, SITE_ID, type SourceFile, writeSourceTree } from "./studio.js";

/** local_drive's batch limit: a pass takes at most 50 representations. */
const REPRESENTATIONS = 50;

const args = benchArgs({
  sizes: "1000,4000,10000",
  smoke: { sizes: [100] },
  options: { "file-size": { type: "string" } },
});
const fileSize = args.num("file-size", 16384);

type Contender = (work: string) => Promise<number>;

/** The engine: a fresh home and local root, the catalog registered, then one timed pass, verified. */
async function enginePass(studioRoot: string, work: string, tree: SourceFile[][]): Promise<number> {
  const target = path.join(work, "local");
  const context = await openStudio(path.join(work, "home"), studioRoot, target);
  try {
    const ids = await registerTree(context, tree);
    const sync = new SyncEngine({
      store: context.store,
      settings: context.settings,
      ownSite: context.siteId,
      platform: context.platform,
      concurrency: DEFAULT_CONCURRENCY,
      // A failing file fails the benchmark anyway; do not wait seconds between its retries.
      retryBaseMs: 10,
    });
    flushDisk();
    const start = performance.now();
    const report = await sync.runPass({ projects: [PROJECT] });
    const elapsed = secondsSince(start);
    const skipped = report.projects.find((p) => p.skipped)?.skipped;
    if (skipped) throw new Error(`engine skipped the project: ${skipped}`);
    for (const file of tree.flat()) {
      const full = path.join(target, file.relPath);
      if (createHash("sha256").update(readFileSync(full)).digest("hex") !== file.sha256)
        throw new Error(`engine pass wrote ${file.relPath} with the wrong content`);
    }
    const onDisk = listFiles(target).length;
    if (onDisk !== tree.flat().length)
      throw new Error(`local site holds ${onDisk} files, expected ${tree.flat().length} (temp files left?)`);
    const states = await context.store.getSiteStates(PROJECT, ids, [SITE_ID]);
    const ok = states.flatMap((s) => s.files).filter((f) => f.status === SyncStatus.OK).length;
    if (ok !== tree.flat().length) throw new Error(`store has ${ok}/${tree.flat().length} files OK`);
    return elapsed;
  } finally {
    await context.store.close();
  }
}

/** A copy command into `work` (which does not exist yet: cp -r creates it as the copy of the root). */
function command(argv: string[], studioRoot: string, files: number): Contender {
  return async (work) => {
    flushDisk();
    const { seconds } = await runChild([...argv, studioRoot, work]);
    const copied = listFiles(work).length;
    if (copied !== files) throw new Error(`${argv[0]} copied ${copied} files, expected ${files}`);
    return seconds;
  };
}

const rclone = ["rclone", "copy", "--config", "/dev/null", "-q"];
const withRclone = havePeer("rclone", "the rclone peer is skipped");
const rows: Array<Array<string | number>> = [];
await withTempDir("bench-sync", args.keep, async (base) => {
  for (const files of args.sizes) {
    const representations = Math.min(REPRESENTATIONS, files);
    const studioRoot = path.join(base, `studio-${files}`);
    const tree = writeSourceTree(studioRoot, representations, Math.ceil(files / representations), fileSize);
    const total = readTree(studioRoot);
    const contenders: Record<string, Contender> = pick(
      {
        engine: (work) => enginePass(studioRoot, work, tree),
        cp: command(["cp", "-r"], studioRoot, total),
        ...(withRclone
          ? {
              rclone16: command([...rclone, "--transfers", String(DEFAULT_CONCURRENCY)], studioRoot, total),
              rclone: command(rclone, studioRoot, total),
            }
          : {}),
      },
      args.only,
    );
    // Copies are removed only once all runs of a size are done: deleting thousands of files
    // between timed runs (ext4 with online discard here) made the next run's timing erratic.
    const times = await withTempDir("bench-runs", false, (work) =>
      pairedRuns(contenders, {
        runs: args.runs,
        context: (round, name) => path.join(work, `${name}-${round}`),
        onResult: (name, t, round) =>
          console.error(`${total} files, run ${round}/${args.runs}: ${name} ${t.toFixed(2)} s`),
      }),
    );
    const m = medians(times);
    rows.push([
      total,
      ...["engine", "cp", "rclone16", "rclone"].map((n) => fixed(m[n])),
      ...["cp", "rclone16", "rclone"].map((n) => ratio(m.engine, m[n])),
      m.engine ? (total / m.engine).toFixed(0) : "-",
    ]);
    removeDir(studioRoot);
  }
});

console.log(
  `\nOne pass, local_drive studio -> local, ${fileSize} B files, ${REPRESENTATIONS} representations, ` +
    `engine concurrency ${DEFAULT_CONCURRENCY}, median of ${args.runs} run(s)`,
);
const c = DEFAULT_CONCURRENCY;
console.log(
  table(
    ["files", "engine s", "cp s", `rclone --transfers ${c} s`, "rclone (defaults) s", "engine/cp"].concat([
      `engine/rclone${c}`,
      "engine/rclone",
      "engine files/s",
    ]),
    rows,
  ),
);
if (args.smoke) console.log("sync-pass smoke: OK (every file transferred, verified and OK in the store)");
