/**
 * Shared helpers of the prelaunch-hook benchmarks (bench/hook-*.mjs): a studio
 * built through the real `sitesync` CLI (init, settings with maya, project
 * import, publish), fresh artist homes cloned from it, process timing and
 * statistics. Plain ESM driving the built package (run `npm run build` first).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** This folder (the bench scripts). */
export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
/**
 * The package whose build is measured: this checkout, or SITESYNC_BENCH_ROOT
 * (another built copy, e.g. a snapshot of a commit, so a rebuild of this
 * checkout in the middle of a run cannot change what is measured).
 */
export const ROOT = process.env.SITESYNC_BENCH_ROOT
  ? path.resolve(process.env.SITESYNC_BENCH_ROOT)
  : path.resolve(BENCH_DIR, "..");
export const CLI = path.join(ROOT, "dist/lib/cli/main.js");
export const STANDIN_DCC = path.join(ROOT, "templates/demo/standin-dcc.mjs");
export const MiB = 1024 * 1024;
export const KiB = 1024;

/** The environment the tests give the CLI: nothing from the caller's own sitesync setup leaks in. */
export const ENV = {
  ...process.env,
  AYON_SITE_ID: "",
  SITESYNC_HOME: "",
  SITESYNC_STORE_URL: "",
  SITESYNC_PROVIDER_MODULES: "",
};

export const PROJECT = "Proj";
export const FOLDER = "/assets/characters/hero";
export const TASK = "modeling";
export const APP = "maya/2024";
/** Where `publish` puts version 1 of product workfileModeling, relative to a site root. */
export const PUBLISHED_REL = "Proj/assets/characters/hero/publish/workfile/workfileModeling/v001";
export const WORK_REL = "Proj/assets/characters/hero/work/modeling";

export function requireBuild() {
  if (!existsSync(CLI)) {
    process.stderr.write(`${CLI} is missing: run "npm run build" in ${ROOT} first\n`);
    process.exit(2);
  }
}

export function tempRoot(prefix) {
  return mkdtempSync(path.join(os.tmpdir(), `sitesync-${prefix}-`));
}

/** Runs the CLI to completion; throws with its stderr when it fails. */
export function sitesync(args, home) {
  const result = spawnSync(process.execPath, [CLI, ...args, "--home", home], {
    env: ENV,
    encoding: "utf8",
    maxBuffer: 64 * MiB,
  });
  if (result.status !== 0) {
    throw new Error(`sitesync ${args.join(" ")} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

export function hookArgs(home) {
  return [
    CLI,
    ...["hook", "run", "copy-last-published-workfile"],
    ...["--project", PROJECT, "--folder", FOLDER, "--task", TASK, "--app", APP],
    ...["--home", home, "--json"],
  ];
}

/** Wall time of a whole process, spawn to exit (ms), and its result. */
export function timeProcess(command, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    env: ENV,
    encoding: "utf8",
    maxBuffer: 64 * MiB,
    ...options,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${result.status}:\n${result.stderr}${result.stdout}`,
    );
  }
  return { ms, stdout: result.stdout, stderr: result.stderr };
}

/** Flushes dirty pages so a timed run never pays for the previous run's writeback. */
export function syncDisks() {
  spawnSync("sync");
}

/** Reads every file under `dir` once, so the page cache is equally warm for every contender. */
export function warm(dir) {
  const buffer = Buffer.allocUnsafe(MiB);
  let bytes = 0;
  for (const file of listFiles(dir)) {
    const fd = openSync(file, "r");
    try {
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) break;
        bytes += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  return bytes;
}

export function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath ?? d.path, d.name));
}

export function treeBytes(dir) {
  return listFiles(dir).reduce((sum, f) => sum + statSync(f).size, 0);
}

/** Small deterministic PRNG (mulberry32), so every run of the bench publishes the same layout. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FOLDERS = [
  "textures/hero/diffuse",
  "textures/hero/normal",
  "textures/hero/roughness",
  "textures/env/forest/bark",
  "textures/env/forest/leaves",
  "textures/env/rocks",
  "textures/props/sword",
  "textures/props/shield/decals",
  "caches/anim/sh010",
  "caches/anim/sh020",
  "caches/fx/smoke/v003",
  "caches/fx/sparks",
  "refs/concept",
  "refs/turntable/frames",
  "lookdev/hdri",
];
const EXT = { textures: "png", caches: "abc", refs: "jpg", lookdev: "exr" };

/**
 * The resource layout: `count` files spread over 15 nested folders (up to 4
 * levels), sizes log-uniform between `minBytes` and `maxBytes` (few large,
 * many small, as textures and caches are). Deterministic.
 */
export function resourcePlan(count = 200, minBytes = 4 * KiB, maxBytes = MiB, seed = 7) {
  const random = prng(seed);
  const files = [];
  for (let i = 0; i < count; i++) {
    const folder = FOLDERS[i % FOLDERS.length];
    const size = Math.round(
      Math.exp(Math.log(minBytes) + random() * (Math.log(maxBytes) - Math.log(minBytes))),
    );
    const ext = EXT[folder.split("/")[0]];
    files.push({ relative: `${folder}/res_${String(i).padStart(3, "0")}.${ext}`, size });
  }
  return files;
}

function writeRandom(file, size) {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, "w");
  try {
    let left = size;
    while (left > 0) {
      const n = Math.min(left, 8 * MiB);
      writeFileSync(fd, randomBytes(n));
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

/** settings.yaml of `sitesync init` with maya (the demo's stand-in DCC) as the one application. */
function addMaya(home) {
  const file = path.join(home, "settings.yaml");
  const text = readFileSync(file, "utf8");
  if (!text.includes("  applications: {}")) throw new Error(`${file}: no "applications: {}" to replace`);
  const dcc = JSON.stringify(STANDIN_DCC);
  writeFileSync(
    file,
    text.replace(
      "  applications: {}",
      `  applications:\n    maya:\n      host_name: maya\n      variants:\n        "2024": {executables: {linux: [${dcc}], darwin: [${dcc}], windows: [${dcc}]}}`,
    ),
  );
}

/**
 * A studio as test/hook/copy.test.ts sets one up, through the CLI: init
 * (site id artist1, studio root, local root), maya in settings, project Proj
 * imported, then the workfile (`workfileBytes` of random data, `.ma`) and its
 * resources published as workfileModeling v001 on the `studio` site
 * (local_drive). A copy of the home as it is right after the publish is kept
 * (`template`): every artist run starts from it (cloneArtist).
 */
export function buildStudio(dir, { workfileBytes, resources }) {
  const home = path.join(dir, "home");
  const studioRoot = path.join(dir, "studio");
  const localRoot = path.join(dir, "local");
  sitesync(["init", "--site-id", "artist1", "--studio-root", studioRoot, "--local-root", localRoot], home);
  addMaya(home);
  const projectYaml = path.join(dir, "project.yaml");
  writeFileSync(
    projectYaml,
    `name: Proj\ncode: PR\nfolders:\n  - path: ${FOLDER}\n    tasks:\n      - {name: modeling, type: Modeling}\n`,
  );
  sitesync(["project", "import", projectYaml], home);

  const src = path.join(dir, "src");
  writeRandom(path.join(src, "scene.ma"), workfileBytes);
  for (const r of resources) writeRandom(path.join(src, "res", r.relative), r.size);
  const published = JSON.parse(
    sitesync(
      [
        ...["publish", "--project", PROJECT, "--folder", FOLDER, "--task", TASK],
        ...["--product", "workfileModeling", "--product-type", "workfile"],
        ...["--file", path.join(src, "scene.ma"), "--site", "studio"],
        ...(resources.length ? ["--resources", path.join(src, "res")] : []),
        "--json",
      ],
      home,
    ),
  );
  if (existsSync(localRoot)) throw new Error(`the publish wrote to the local site ${localRoot}`);
  const publishedDir = path.join(studioRoot, PUBLISHED_REL);
  const bytes = treeBytes(publishedDir);
  const template = path.join(dir, "home-after-publish");
  cpSync(home, template, { recursive: true });
  return {
    dir,
    home,
    template,
    studioRoot,
    localRoot,
    publishedDir,
    representationId: published.representationId,
    files: published.files.length,
    bytes,
  };
}

/**
 * A fresh artist: the home put back as it was right after the publish
 * (settings and their validated cache, site id, store: the local site has
 * none of the publish's files) and an empty local site (the local root is
 * removed). The home and the local root keep their paths, so the settings
 * cache (keyed by the settings file's path and text) stays valid, as for an
 * artist whose sitesync has run before but who has nothing of this task yet.
 */
export function cloneArtist(studio) {
  rmSync(studio.localRoot, { recursive: true, force: true });
  rmSync(studio.home, { recursive: true, force: true });
  cpSync(studio.template, studio.home, { recursive: true });
  return { home: studio.home, localRoot: studio.localRoot, workDir: path.join(studio.localRoot, WORK_REL) };
}

export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const median =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { n: sorted.length, median, p90: at(0.9), min: sorted[0], max: sorted[sorted.length - 1] };
}

export const fmt = (ms) => `${ms.toFixed(0)} ms`;
export const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

/** Which build is measured: the package root, its commit when it is a git checkout, the build time. */
export function buildInfo() {
  const git = (...args) => spawnSync("git", ["-C", ROOT, ...args], { encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  const dirty = git("status", "--porcelain", "--", "lib", "hooks", "providers");
  const commit =
    head.status === 0
      ? `commit ${head.stdout.trim()}${dirty.stdout.trim() ? " + uncommitted changes in lib/hooks/providers" : ""}`
      : "not a git checkout";
  return `${CLI} (${commit}; built ${statSync(CLI).mtime.toISOString()})`;
}

function cpuTimes() {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const n = fields.map(Number);
  const idle = n[3] + (n[4] ?? 0);
  return { idle, total: n.reduce((a, b) => a + b, 0) };
}

/** Share of the machine's CPU busy over `ms` (Linux /proc/stat; 0 elsewhere). */
export function cpuBusy(ms = 300) {
  if (!existsSync("/proc/stat")) return 0;
  const a = cpuTimes();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const b = cpuTimes();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

/**
 * Waits (up to `maxMs`) until other processes leave the CPU mostly idle, so a
 * timed run does not share this small machine with a test suite; returns the
 * busy share seen last (reported with the results).
 */
export function waitForQuiet(threshold = 0.25, maxMs = 30_000) {
  const deadline = Date.now() + maxMs;
  let busy = cpuBusy();
  while (busy > threshold && Date.now() < deadline) busy = cpuBusy(1000);
  return busy;
}

export function loadAverage() {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

export function machine() {
  return `${os.cpus().length} CPU (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}
