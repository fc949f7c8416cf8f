/**
 * One engine pass downloading a published tree from studio to the artist's
 * local site (both local_drive), against `cp -r` and `rclone copy` of the same
 * tree. Each contender copies into a fresh folder; the source tree is read
 * once beforehand so all start equally warm, and dirty pages are flushed
 * (`sync`) before every timed run. Only the pass / the copy command is timed.
 *
 *   node dist-bench/bench/sync-pass.js [--sizes 1000,4000,10000] [--runs 3] [--file-size 16384]
 *                                      [--only engine,cp,rclone16,rclone] [--smoke]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CONCURRENCY, SyncEngine } from "../lib/engine/engine.js";
import { SyncStatus } from "../lib/store/status.js";
import { startProfile } from "./profile.js";
import {
  flushDisk,
  listFiles,
  median,
  openStudio,
  PROJECT,
  readTree,
  registerTree,
  removeDir,
  SITE_ID,
  type SourceFile,
  table,
  tempDir,
  writeSourceTree,
} from "./studio.js";

const CONCURRENCY = DEFAULT_CONCURRENCY;
/** local_drive's batch limit: a pass takes at most 50 representations. */
const REPRESENTATIONS = 50;

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,4000,10000" },
    runs: { type: "string", default: "3" },
    "file-size": { type: "string", default: "16384" },
    only: { type: "string" },
    smoke: { type: "boolean", default: false },
  },
});
const smoke = args.smoke ?? false;
const sizes = smoke ? [100] : (args.sizes ?? "").split(",").map(Number);
const runs = smoke ? 1 : Number(args.runs);
const fileSize = Number(args["file-size"]);

type Contender = (studioRoot: string, work: string, tree: SourceFile[][]) => Promise<number>;

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

/** The engine: a fresh home and local root, the catalog registered, then one timed pass. */
const engine: Contender = async (studioRoot, work, tree) => {
  const target = path.join(work, "local");
  const context = await openStudio(path.join(work, "home"), studioRoot, target);
  try {
    const ids = await registerTree(context, tree);
    const sync = new SyncEngine({
      store: context.store,
      settings: context.settings,
      ownSite: context.siteId,
      platform: context.platform,
      concurrency: CONCURRENCY,
      // A failing file fails the benchmark anyway; do not wait seconds between its retries.
      retryBaseMs: 10,
    });
    flushDisk();
    const profiler = await startProfile();
    const start = performance.now();
    const report = await sync.runPass({ projects: [PROJECT] });
    const elapsed = seconds(start);
    await profiler.stop();
    const skipped = report.projects.find((p) => p.skipped)?.skipped;
    if (skipped) throw new Error(`engine skipped the project: ${skipped}`);
    await verifyEngine(context.store, ids, tree, target);
    return elapsed;
  } finally {
    await context.store.close();
  }
};

/** Every file is at its place with its content, nothing else is left behind, and the store says OK. */
async function verifyEngine(
  store: Awaited<ReturnType<typeof openStudio>>["store"],
  ids: string[],
  tree: SourceFile[][],
  target: string,
): Promise<void> {
  const expected = tree.flat();
  for (const file of expected) {
    const full = path.join(target, file.relPath);
    let content: Buffer;
    try {
      content = readFileSync(full);
    } catch {
      throw new Error(`engine pass left ${file.relPath} missing on the local site`);
    }
    if (createHash("sha256").update(content).digest("hex") !== file.sha256)
      throw new Error(`engine pass wrote ${file.relPath} with the wrong content`);
  }
  const onDisk = listFiles(target).length;
  if (onDisk !== expected.length)
    throw new Error(`local site holds ${onDisk} files, expected ${expected.length} (temp files left?)`);
  const states = await store.getSiteStates(PROJECT, ids, [SITE_ID]);
  const ok = states.flatMap((s) => s.files).filter((f) => f.status === SyncStatus.OK).length;
  if (states.length !== ids.length || ok !== expected.length)
    throw new Error(`store has ${ok}/${expected.length} files OK on ${SITE_ID} after the pass`);
}

function command(name: string, argv: string[]): Contender {
  return async (studioRoot, work, tree) => {
    const target = work; // does not exist yet: cp -r creates it as the copy of the root
    flushDisk();
    const start = performance.now();
    execFileSync(argv[0] as string, [...argv.slice(1), studioRoot, target], { stdio: "inherit" });
    const elapsed = seconds(start);
    const copied = listFiles(target).length;
    if (copied !== tree.flat().length) throw new Error(`${name} copied ${copied} files`);
    return elapsed;
  };
}

const rcloneInstalled = !spawnSync("rclone", ["version"], { stdio: "ignore" }).error;
const rclone = ["rclone", "copy", "--config", "/dev/null", "-q"];
const contenders: Record<string, Contender> = {
  engine,
  cp: command("cp", ["cp", "-r"]),
  ...(rcloneInstalled
    ? {
        rclone16: command("rclone16", [...rclone, "--transfers", String(CONCURRENCY)]),
        rclone: command("rclone", rclone),
      }
    : {}),
};
const only = args.only?.split(",");
for (const name of Object.keys(contenders)) if (only && !only.includes(name)) delete contenders[name];
if (!rcloneInstalled) console.log("NOTICE: rclone is not installed: the rclone peer is skipped");

const base = tempDir("bench-sync");
const rows: Array<Array<string | number>> = [];
try {
  for (const files of sizes) {
    const representations = Math.min(REPRESENTATIONS, files);
    const perRepresentation = Math.ceil(files / representations);
    const studioRoot = path.join(base, `studio-${files}`);
    const tree = writeSourceTree(studioRoot, representations, perRepresentation, fileSize);
    readTree(studioRoot);
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((n) => [n, []]));
    // Copies are removed only once all runs of a size are done: deleting thousands of files
    // between timed runs (ext4 with online discard here) made the next run's timing erratic.
    const work = tempDir("bench-runs");
    try {
      for (let run = 1; run <= runs; run++) {
        for (const [name, contender] of Object.entries(contenders)) {
          const t = await contender(studioRoot, path.join(work, `${name}-${run}`), tree);
          times[name]?.push(t);
          console.error(`${tree.flat().length} files, run ${run}/${runs}: ${name} ${t.toFixed(2)} s`);
        }
      }
    } finally {
      removeDir(work);
    }
    const m = Object.fromEntries(Object.entries(times).map(([name, t]) => [name, median(t)]));
    const e = m.engine;
    const ratio = (peer: string) => (e && m[peer] ? (e / m[peer]).toFixed(2) : "-");
    const secs = (name: string) => (m[name] ? m[name].toFixed(2) : "-");
    rows.push([
      tree.flat().length,
      secs("engine"),
      secs("cp"),
      secs("rclone16"),
      secs("rclone"),
      ratio("cp"),
      ratio("rclone16"),
      ratio("rclone"),
      e ? (tree.flat().length / e).toFixed(0) : "-",
    ]);
    removeDir(studioRoot);
  }
} finally {
  removeDir(base);
}

console.log(
  `\nOne pass, local_drive studio -> local, ${fileSize} B files, ${REPRESENTATIONS} representations, ` +
    `engine concurrency ${CONCURRENCY}, median of ${runs} run(s)`,
);
console.log(
  table(
    [
      "files",
      "engine s",
      "cp s",
      `rclone --transfers ${CONCURRENCY} s`,
      "rclone (defaults) s",
      "engine/cp",
      `engine/rclone${CONCURRENCY}`,
      "engine/rclone",
      "engine files/s",
    ],
    rows,
  ),
);
if (smoke && contenders.engine)
  console.log("sync-pass smoke: OK (every file transferred, verified and OK in the store)");
