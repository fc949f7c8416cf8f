/**
 * Peak memory of sitesync's bulk work (issue 10, item 5), each in a child
 * process of the built CLI (`node dist/lib/cli/main.js`, so `npm run build`
 * first) with bench/memory-probe.ts preloaded.
 *
 * One `sync --once` pass downloading a published tree from the studio site
 * to the artist's local site, both local_drive folders, as in the default
 * demo setup:
 *
 *   0: nothing queued: the fixed cost (Node, the store, the settings)
 *   a: one representation of 10,000 files of 16 KiB (quarter: 2,500)
 *   b: one representation of one 2 GiB file (quarter: 512 MiB)
 *   c: 50 representations of 200 files of 16 KiB (quarter: 50 x 50)
 *
 * and the two walks over a whole store, on 20,000 representations of 10
 * files (quarter: 5,000):
 *
 *   v: `sitesync validate --site local` (every file missing: each is checked)
 *   r: start-up recovery (`recoverInterrupted`, as a service runs it first)
 *      with every file left IN_PROGRESS by a dead process
 *
 * Each runs at full size and at a quarter of its data, interleaved run by
 * run, so the table shows whether the peak follows the data. Every run gets
 * a fresh home (and an empty local root); the catalog is registered through
 * the store, studio OK and local QUEUED (IN_PROGRESS for r).
 *
 *   npm run build && npm run bench:build && node dist-bench/bench/memory.js [--runs 3] [--only 0,a,b,c,v,r]
 *     [--smoke] [--fail-over] [--cli <other build's main.js>] [--node-args "<node options>"]
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { op3Hash } from "../lib/publish/hash.js";
import { newId } from "../lib/store/ids.js";
import { SyncStatus } from "../lib/store/status.js";
import { benchArgs } from "./lib/args.js";
import { flushDisk, runChild } from "./lib/proc.js";
import { median, pairedRuns, table } from "./lib/runs.js";
import { listFiles, removeDir, withTempDir } from "./lib/tmp.js";
import {
  openStudio,
  PROJECT,
  publishDir,
  registerTree,
  SITE_ID,
  type SourceFile,
  writeSourceTree,
} from "./studio.js";

/** The goal of the issue, per process, whatever the data. */
const BOUND_MIB = 200;
const SMALL_FILE = 16 * 1024;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const args = benchArgs({
  runs: 3,
  smoke: { runs: 1 },
  options: {
    // Exit 1 when a run's peak reaches the bound (for CI once the bound holds).
    "fail-over": { type: "boolean", default: false },
    // To compare builds or Node flags: another built main.js, extra node options (space-separated).
    cli: { type: "string" },
    "node-args": { type: "string" },
  },
});
const { smoke, runs } = args;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(args.text("cli") ?? path.join(HERE, "../../dist/lib/cli/main.js"));
const PROBE = path.join(HERE, "memory-probe.js");
const RECOVER = path.join(HERE, "memory-recover.js");
const NODE_ARGS = (args.text("node-args") ?? "").split(" ").filter(Boolean);

interface Measure {
  rssMiB: number;
  heapMiB: number;
  externalMiB: number;
  seconds: number;
}

/** One size of a shape, made ready once (sources, a template home) and then measured run after run. */
interface Prepared {
  files: number;
  bytes: number;
  /** Measures one run in `work` (a fresh folder, removed afterwards). */
  measure(work: string): Promise<Measure>;
}

interface Size {
  label: string;
  prepare(dir: string): Promise<Prepared>;
}

interface Shape {
  name: string;
  title: string;
  /** Full size first, then the quarter (the nothing-queued pass has one size). */
  sizes: Size[];
}

/** Runs node with the probe preloaded; resolves with its stdout and peaks, rejects on a non-zero exit. */
async function probed(work: string, argv: string[]): Promise<{ stdout: string } & Measure> {
  const probe = path.join(work, "probe.json");
  const env = {
    ...process.env,
    AYON_SITE_ID: SITE_ID,
    SITESYNC_HOME: "",
    SITESYNC_STORE_URL: "",
    SITESYNC_MEMORY_PROBE: probe,
  };
  const { stdout, seconds } = await runChild([process.execPath, ...NODE_ARGS, "--import", PROBE, ...argv], {
    env,
  });
  const figures = JSON.parse(readFileSync(probe, "utf8")) as {
    peakRssKiB: number;
    heapMiB: number;
    externalMiB: number;
  };
  return {
    stdout,
    rssMiB: figures.peakRssKiB / 1024,
    heapMiB: figures.heapMiB,
    externalMiB: figures.externalMiB,
    seconds,
  };
}

/** One file too big to hold: written and hashed in 16 MiB random pieces. */
function writeBigFile(root: string, size: number): SourceFile[][] {
  const relPath = `${publishDir(0)}/BN_hero_render000_v001.exr`;
  const full = path.join(root, relPath);
  mkdirSync(path.dirname(full), { recursive: true });
  const hash = createHash("sha256");
  const fd = openSync(full, "wx");
  try {
    for (let written = 0; written < size; ) {
      const piece = randomBytes(Math.min(16 * MiB, size - written));
      for (let offset = 0; offset < piece.length; ) offset += writeSync(fd, piece, offset);
      hash.update(piece);
      written += piece.length;
    }
  } finally {
    closeSync(fd);
  }
  return [[{ relPath, size, sha256: hash.digest("hex"), hash: op3Hash(full, statSync(full).mtimeMs, size) }]];
}

/** A `sync --once` pass over `representations` x `files` files of `fileSize` bytes. */
function pass(label: string, representations: number, files: number, fileSize = SMALL_FILE): Size {
  return {
    label,
    async prepare(dir) {
      const studioRoot = path.join(dir, "studio");
      mkdirSync(studioRoot, { recursive: true });
      let tree: SourceFile[][] = [];
      if (representations > 0)
        tree =
          fileSize > SMALL_FILE
            ? writeBigFile(studioRoot, fileSize)
            : writeSourceTree(studioRoot, representations, files, fileSize);
      flushDisk();
      const expected = tree.flat().length;
      return {
        files: expected,
        bytes: tree.flat().reduce((sum, f) => sum + f.size, 0),
        async measure(work) {
          const home = path.join(work, "home");
          const localRoot = path.join(work, "local");
          mkdirSync(localRoot, { recursive: true });
          const context = await openStudio(home, studioRoot, localRoot);
          try {
            await registerTree(context, tree);
          } finally {
            await context.store.close();
          }
          flushDisk();
          const run = await probed(work, [
            CLI,
            "sync",
            "--once",
            "--project",
            PROJECT,
            "--home",
            home,
            "--json",
          ]);
          const report = JSON.parse(run.stdout) as {
            projects: Array<{ transferred: number; failed: unknown[] }>;
          };
          const transferred = report.projects[0]?.transferred ?? 0;
          if (transferred !== expected || (report.projects[0]?.failed.length ?? 0) > 0)
            throw new Error(
              `sync --once transferred ${transferred}/${expected} files: ${run.stdout.slice(0, 2000)}`,
            );
          const onDisk = listFiles(localRoot).length;
          if (onDisk !== expected) throw new Error(`local root holds ${onDisk} files, expected ${expected}`);
          return run;
        },
      };
    },
  };
}

/**
 * A home whose store holds `representations` x `files` files (none of them
 * on disk), studio OK and the local site `local`: registered once, copied
 * for each run (the store is a file in the home).
 */
async function catalogHome(dir: string, representations: number, files: number, local: SyncStatus) {
  const home = path.join(dir, "home");
  const context = await openStudio(home, path.join(dir, "studio"), path.join(dir, "local"));
  try {
    const folder = await context.store.getFolderByPath(PROJECT, "/assets/characters/hero");
    if (!folder) throw new Error("bench project has no folder");
    for (let r = 0; r < representations; r++) {
      const ids = Array.from({ length: files }, () => newId());
      await context.store.registerPublish(PROJECT, {
        product: { folderId: folder.id, name: `p${r}`, productType: "render", productBaseType: "render" },
        version: { id: newId(), version: 1, taskId: null, author: "bench" },
        representation: {
          id: newId(),
          name: "exr",
          context: { ext: "exr", version: 1 },
          files: ids.map((id, f) => ({
            id,
            name: `f${f}.exr`,
            path: `{root[work]}/${PROJECT}/r${r}/f${f}.exr`,
            size: SMALL_FILE,
            hash: `h${f}`,
            hashType: "op3",
          })),
        },
        links: [],
        siteStates: [
          {
            site: "studio",
            files: ids.map((fileId) => ({ fileId, status: SyncStatus.OK, size: SMALL_FILE })),
          },
          { site: SITE_ID, files: ids.map((fileId) => ({ fileId, status: local })) },
        ],
      });
    }
  } finally {
    await context.store.close();
  }
  return home;
}

/**
 * A run over a catalog of `representations` x 10 files registered with the
 * local site in `status`, copied into a fresh home per run; `check` reads the
 * child's stdout and throws when it did not do the whole catalog.
 */
function overCatalog(
  label: string,
  representations: number,
  status: SyncStatus,
  args: (home: string) => string[],
  check: (stdout: string) => void,
): Size {
  return {
    label,
    async prepare(dir) {
      const template = await catalogHome(dir, representations, 10, status);
      return {
        files: representations * 10,
        bytes: 0,
        async measure(work) {
          const home = path.join(work, "home");
          cpSync(template, home, { recursive: true });
          const run = await probed(work, args(home));
          check(run.stdout);
          return run;
        },
      };
    },
  };
}

/** `sitesync validate --site local` over a catalog whose files are all missing locally. */
function validate(label: string, representations: number): Size {
  return overCatalog(
    label,
    representations,
    SyncStatus.QUEUED,
    (home) => [CLI, "validate", "--project", PROJECT, "--site", "local", "--home", home, "--json"],
    (stdout) => {
      const report = JSON.parse(stdout) as { representations: number; missing: number };
      if (report.representations !== representations || report.missing !== representations * 10)
        throw new Error(`validate checked ${stdout}, expected ${representations} representations`);
    },
  );
}

/** Start-up recovery over a catalog whose every local file a dead process left IN_PROGRESS. */
function recover(label: string, representations: number): Size {
  return overCatalog(
    label,
    representations,
    SyncStatus.IN_PROGRESS,
    (home) => [RECOVER, home],
    (stdout) => {
      const { requeued } = JSON.parse(stdout) as { requeued: number };
      if (requeued !== representations * 10)
        throw new Error(`recovery requeued ${requeued} files, expected ${representations * 10}`);
    },
  );
}

const SHAPES: Shape[] = smoke
  ? [
      { name: "0", title: "nothing queued", sizes: [pass("0 files", 0, 0)] },
      {
        name: "a",
        title: "one representation of many files",
        sizes: [pass("1 x 200", 1, 200), pass("1 x 50", 1, 50)],
      },
      {
        name: "b",
        title: "one big file",
        sizes: [pass("8 MiB", 1, 1, 8 * MiB), pass("2 MiB", 1, 1, 2 * MiB)],
      },
      { name: "c", title: "many representations", sizes: [pass("5 x 20", 5, 20), pass("5 x 5", 5, 5)] },
      { name: "v", title: "validate", sizes: [validate("200 x 10", 200), validate("50 x 10", 50)] },
      { name: "r", title: "start-up recovery", sizes: [recover("200 x 10", 200), recover("50 x 10", 50)] },
    ]
  : [
      { name: "0", title: "nothing queued", sizes: [pass("0 files", 0, 0)] },
      {
        name: "a",
        title: "one representation of 10,000 files",
        sizes: [pass("1 x 10,000", 1, 10_000), pass("1 x 2,500", 1, 2_500)],
      },
      {
        name: "b",
        title: "one 2 GiB file",
        sizes: [pass("2 GiB", 1, 1, 2 * GiB), pass("512 MiB", 1, 1, 512 * MiB)],
      },
      {
        name: "c",
        title: "50 representations of 200 files",
        sizes: [pass("50 x 200", 50, 200), pass("50 x 50", 50, 50)],
      },
      {
        name: "v",
        title: "validate, 10 files per representation",
        sizes: [validate("20,000 x 10", 20_000), validate("5,000 x 10", 5_000)],
      },
      {
        name: "r",
        title: "start-up recovery, 10 files per representation",
        sizes: [recover("20,000 x 10", 20_000), recover("5,000 x 10", 5_000)],
      },
    ];

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
if (!existsSync(PROBE)) throw new Error(`${PROBE} is missing: run npm run bench:build first`);
const only = args.only;
const shapes = SHAPES.filter((s) => !only || only.includes(s.name));

const perRun: Array<Array<string | number>> = [];
const summary: Array<Array<string | number>> = [];
let over = 0;
await withTempDir("bench-memory", args.keep, async (base) => {
  for (const shape of shapes) {
    const prepared: Prepared[] = [];
    for (const [i, size] of shape.sizes.entries()) {
      prepared.push(await size.prepare(path.join(base, `${shape.name}-${i}`)));
    }
    // Full and quarter runs are paired, so a change of the disk's mood touches both alike.
    const peaks = await pairedRuns(
      Object.fromEntries(
        prepared.map((ready, i) => [
          shape.sizes[i]?.label ?? String(i),
          async (run: number) => {
            const label = shape.sizes[i]?.label ?? "";
            const work = path.join(base, `run-${shape.name}-${i}-${run}`);
            mkdirSync(work, { recursive: true });
            try {
              const m = await ready.measure(work);
              if (m.rssMiB >= BOUND_MIB) over += 1;
              perRun.push([
                `${shape.name}: ${label}`,
                run,
                ready.files,
                (ready.bytes / MiB).toFixed(0),
                m.rssMiB.toFixed(1),
                m.heapMiB.toFixed(1),
                m.externalMiB.toFixed(1),
                m.seconds.toFixed(1),
              ]);
              console.error(
                `${shape.name} ${label}, run ${run}/${runs}: peak RSS ${m.rssMiB.toFixed(1)} MiB ` +
                  `(heap ${m.heapMiB.toFixed(1)}, external ${m.externalMiB.toFixed(1)}), ${m.seconds.toFixed(1)} s`,
              );
              return m.rssMiB;
            } finally {
              removeDir(work);
            }
          },
        ]),
      ),
      { runs },
    ).then((times) => Object.values(times));
    const [full, quarter] = peaks.map((p) => median(p));
    summary.push([
      `${shape.name}: ${shape.title}`,
      shape.sizes[0]?.label ?? "-",
      (peaks[0] ?? []).map((p) => p.toFixed(0)).join(", "),
      shape.sizes[1]?.label ?? "-",
      (peaks[1] ?? []).map((p) => p.toFixed(0)).join(", ") || "-",
      full === undefined || quarter === undefined ? "-" : (full - quarter).toFixed(0),
      peaks.flat().every((p) => p < BOUND_MIB) ? "yes" : "no",
    ]);
    for (const i of prepared.keys()) removeDir(path.join(base, `${shape.name}-${i}`));
  }
});

console.log("\nEvery run: peak of one process (MiB; heap and external: the main thread's peaks)");
console.log(
  table(["shape", "run", "files", "data MiB", "peak RSS", "peak heap", "peak external", "process s"], perRun),
);
console.log(
  `\nPeak RSS per shape (MiB, every run), full size against a quarter of the data; bound ${BOUND_MIB} MiB`,
);
console.log(
  table(
    ["shape", "full size", "peak RSS", "quarter", "peak RSS", "full - quarter (medians)", `< ${BOUND_MIB}`],
    summary,
  ),
);
if (over > 0) {
  console.log(`\n${over} run(s) at or over the ${BOUND_MIB} MiB bound`);
  if (args.flag("fail-over")) process.exitCode = 1;
}
if (smoke)
  console.log("memory smoke: OK (every pass moved every file, every walk saw every file; peaks measured)");
