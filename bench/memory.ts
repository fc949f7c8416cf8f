/**
 * Peak memory of one `sitesync sync --once` pass (issue 10, item 5): the
 * built CLI (`node dist/lib/cli/main.js`, so `npm run build` first) downloads
 * a published tree from the studio site to the artist's local site, both
 * local_drive folders, as in the default demo setup. Each shape runs at full
 * size and at a quarter of its data, so the table shows whether the peak
 * follows the data:
 *
 *   a: one representation of 10,000 files of 16 KiB (quarter: 2,500)
 *   b: one representation of one 2 GiB file (quarter: 512 MiB)
 *   c: 50 representations of 200 files of 16 KiB (quarter: 50 x 50)
 *
 * plus "0", a pass with nothing queued: the fixed cost of the process (Node,
 * the store, the workers), against which the shapes' working sets show.
 * Every run gets a fresh home (catalog registered through the store, studio
 * OK / local QUEUED) and an empty local root; sources are written once per
 * shape. The child's peak RSS comes from bench/memory-probe.ts, preloaded.
 *
 *   npm run build && npm run bench:build && node dist-bench/bench/memory.js [--runs 3] [--only 0,a,b,c]
 *     [--smoke] [--fail-over] [--cli <other build's main.js>] [--node-args "<node options>"]
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { op3Hash } from "../lib/publish/hash.js";
import {
  flushDisk,
  listFiles,
  median,
  openStudio,
  PROJECT,
  publishDir,
  registerTree,
  removeDir,
  SITE_ID,
  type SourceFile,
  table,
  tempDir,
  writeSourceTree,
} from "./studio.js";

/** The goal of the issue, per pass, whatever the data. */
const BOUND_MIB = 200;
const SMALL_FILE = 16 * 1024;

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    only: { type: "string" },
    smoke: { type: "boolean", default: false },
    // Exit 1 when a run's peak reaches the bound (for CI once the bound holds).
    "fail-over": { type: "boolean", default: false },
    // To compare builds or Node flags: another built main.js, extra node options (space-separated).
    cli: { type: "string" },
    "node-args": { type: "string", default: "" },
  },
});
const smoke = args.smoke ?? false;
const runs = smoke ? 1 : Number(args.runs);

interface Size {
  label: string;
  representations: number;
  filesPerRepresentation: number;
  fileSize: number;
}

interface Shape {
  name: string;
  title: string;
  /** Full size first, then the quarter (the nothing-queued pass has one size). */
  sizes: Size[];
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const small = (label: string, representations: number, files: number): Size => ({
  label,
  representations,
  filesPerRepresentation: files,
  fileSize: SMALL_FILE,
});
const big = (label: string, bytes: number): Size => ({
  label,
  representations: 1,
  filesPerRepresentation: 1,
  fileSize: bytes,
});

const SHAPES: Shape[] = smoke
  ? [
      { name: "0", title: "nothing queued", sizes: [small("0 files", 0, 0)] },
      {
        name: "a",
        title: "one representation of many files",
        sizes: [small("1 x 200", 1, 200), small("1 x 50", 1, 50)],
      },
      { name: "b", title: "one big file", sizes: [big("8 MiB", 8 * MiB), big("2 MiB", 2 * MiB)] },
      { name: "c", title: "many representations", sizes: [small("5 x 20", 5, 20), small("5 x 5", 5, 5)] },
    ]
  : [
      { name: "0", title: "nothing queued", sizes: [small("0 files", 0, 0)] },
      {
        name: "a",
        title: "one representation of 10,000 files",
        sizes: [small("1 x 10,000", 1, 10_000), small("1 x 2,500", 1, 2_500)],
      },
      { name: "b", title: "one 2 GiB file", sizes: [big("2 GiB", 2 * GiB), big("512 MiB", 512 * MiB)] },
      {
        name: "c",
        title: "50 representations of 200 files",
        sizes: [small("50 x 200", 50, 200), small("50 x 50", 50, 50)],
      },
    ];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.resolve(args.cli ?? path.join(ROOT, "dist/lib/cli/main.js"));
const NODE_ARGS = (args["node-args"] ?? "").split(" ").filter(Boolean);
const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), "memory-probe.js");

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

function writeSources(root: string, size: Size): SourceFile[][] {
  if (size.representations === 0) {
    mkdirSync(root, { recursive: true });
    return [];
  }
  return size.fileSize > SMALL_FILE
    ? writeBigFile(root, size.fileSize)
    : writeSourceTree(root, size.representations, size.filesPerRepresentation, size.fileSize);
}

interface Measure {
  rssMiB: number;
  heapMiB: number;
  externalMiB: number;
  seconds: number;
}

/** Runs `sync --once` in a child with the probe preloaded; fails unless every file arrived. */
async function measurePass(work: string, studioRoot: string, tree: SourceFile[][]): Promise<Measure> {
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
  const probe = path.join(work, "probe.json");
  const argv = [
    ...NODE_ARGS,
    "--import",
    PROBE,
    CLI,
    "sync",
    "--once",
    "--project",
    PROJECT,
    "--home",
    home,
    "--json",
  ];
  const env = {
    ...process.env,
    AYON_SITE_ID: SITE_ID,
    SITESYNC_HOME: "",
    SITESYNC_STORE_URL: "",
    SITESYNC_MEMORY_PROBE: probe,
  };
  const start = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      child.stderr.on("data", (d) => {
        // Only the end matters when a pass fails; a verbose log must not fill this process.
        err = (err + d).slice(-8192);
      });
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
    },
  );
  const seconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`sync --once exited ${code}: ${stderr}`);
  const expected = tree.flat().length;
  const summary = JSON.parse(stdout) as { projects: Array<{ transferred: number; failed: unknown[] }> };
  const transferred = summary.projects[0]?.transferred ?? 0;
  if (transferred !== expected || (summary.projects[0]?.failed.length ?? 0) > 0)
    throw new Error(`sync --once transferred ${transferred}/${expected} files: ${stdout.slice(0, 2000)}`);
  const onDisk = listFiles(localRoot).length;
  if (onDisk !== expected) throw new Error(`local root holds ${onDisk} files, expected ${expected}`);
  const figures = JSON.parse(readFileSync(probe, "utf8")) as {
    peakRssKiB: number;
    heapMiB: number;
    externalMiB: number;
  };
  return {
    rssMiB: figures.peakRssKiB / 1024,
    heapMiB: figures.heapMiB,
    externalMiB: figures.externalMiB,
    seconds,
  };
}

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
if (!existsSync(PROBE)) throw new Error(`${PROBE} is missing: run npm run bench:build first`);
const only = args.only?.split(",");
const shapes = SHAPES.filter((s) => !only || only.includes(s.name));

const base = tempDir("bench-memory");
const perRun: Array<Array<string | number>> = [];
const summary: Array<Array<string | number>> = [];
let over = 0;
try {
  for (const shape of shapes) {
    // Full and quarter runs are interleaved, so a change of the disk's mood touches both alike.
    const sources = shape.sizes.map((size, i) => {
      const root = path.join(base, `studio-${shape.name}-${i}`);
      return { size, root, tree: writeSources(root, size) };
    });
    flushDisk();
    const peaks = sources.map(() => [] as number[]);
    for (let run = 1; run <= runs; run++) {
      for (const [i, source] of sources.entries()) {
        const work = path.join(base, `run-${shape.name}-${i}-${run}`);
        try {
          const m = await measurePass(work, source.root, source.tree);
          peaks[i]?.push(m.rssMiB);
          if (m.rssMiB >= BOUND_MIB) over += 1;
          const files = source.tree.flat().length;
          const bytes = source.tree.flat().reduce((sum, f) => sum + f.size, 0);
          perRun.push([
            `${shape.name}: ${source.size.label}`,
            run,
            files,
            (bytes / MiB).toFixed(0),
            m.rssMiB.toFixed(1),
            m.heapMiB.toFixed(1),
            m.externalMiB.toFixed(1),
            m.seconds.toFixed(1),
          ]);
          console.error(
            `${shape.name} ${source.size.label}, run ${run}/${runs}: peak RSS ${m.rssMiB.toFixed(1)} MiB ` +
              `(heap ${m.heapMiB.toFixed(1)}, external ${m.externalMiB.toFixed(1)}), ${m.seconds.toFixed(1)} s`,
          );
        } finally {
          removeDir(work);
        }
      }
    }
    const [full, quarter] = peaks.map((p) => (p.length ? median(p) : Number.NaN));
    summary.push([
      `${shape.name}: ${shape.title}`,
      sources[0]?.size.label ?? "-",
      (peaks[0] ?? []).map((p) => p.toFixed(0)).join(", "),
      sources[1]?.size.label ?? "-",
      (peaks[1] ?? []).map((p) => p.toFixed(0)).join(", ") || "-",
      quarter === undefined || Number.isNaN(quarter) ? "-" : ((full ?? 0) - quarter).toFixed(0),
      peaks.flat().every((p) => p < BOUND_MIB) ? "yes" : "no",
    ]);
    for (const source of sources) removeDir(source.root);
  }
} finally {
  removeDir(base);
}

console.log(
  `\nEvery run: peak of one \`sitesync sync --once\` process (MiB; heap and external: main thread's peaks)`,
);
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
  if (args["fail-over"]) process.exitCode = 1;
}
if (smoke) console.log("memory smoke: OK (every pass moved every file; peaks measured)");
