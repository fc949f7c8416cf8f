/**
 * The prelaunch hook benchmarks' studio, built through the real `sitesync`
 * command line of the built package (dist/; run `npm run build` first): init,
 * maya (the demo's stand-in DCC) in settings, project import, publish of a
 * workfile and its resources on `studio`; and fresh artists cloned from it.
 *
 * SITESYNC_BENCH_ROOT=<another built checkout> measures that build instead
 * (e.g. a snapshot of an older commit; a rebuild of this checkout in the
 * middle of a run then cannot change what is measured).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { listFiles } from "./tmp.js";

export const MiB = 1024 * 1024;
export const KiB = 1024;

/** The checkout this file is in (the folder with package.json above it, wherever it was compiled to). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("no package.json above the benchmark");
    dir = parent;
  }
  return dir;
}

/** The package whose build is measured. */
export const ROOT = process.env.SITESYNC_BENCH_ROOT
  ? path.resolve(process.env.SITESYNC_BENCH_ROOT)
  : packageRoot();
export const CLI = path.join(ROOT, "dist/lib/cli/main.js");
const STANDIN_DCC = path.join(ROOT, "templates/demo/standin-dcc.mjs");

/** The environment the tests give the CLI: nothing from the caller's own sitesync setup leaks in. */
export const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  AYON_SITE_ID: "",
  SITESYNC_HOME: "",
  SITESYNC_STORE_URL: "",
  SITESYNC_PROVIDER_MODULES: "",
};

const PROJECT = "Proj";
const FOLDER = "/assets/characters/hero";
/** Where `publish` puts version 1 of product workfileModeling, relative to a site root. */
const PUBLISHED_REL = "Proj/assets/characters/hero/publish/workfile/workfileModeling/v001";

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" in ${ROOT} first`);
}

/** Runs the CLI to completion; throws with its output when it fails. */
function sitesync(args: string[], home: string): string {
  const result = spawnSync(process.execPath, [CLI, ...args, "--home", home], {
    env: ENV,
    encoding: "utf8",
    maxBuffer: 64 * MiB,
  });
  if (result.status !== 0)
    throw new Error(`sitesync ${args.join(" ")} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** `node <cli> hook run copy-last-published-workfile ... --json` for the artist at `home`. */
export function hookCommand(home: string): string[] {
  return [
    process.execPath,
    CLI,
    ...["hook", "run", "copy-last-published-workfile"],
    ...["--project", PROJECT, "--folder", FOLDER, "--task", "modeling", "--app", "maya/2024"],
    ...["--home", home, "--json"],
  ];
}

export interface HookResult {
  status: string;
  reason?: string;
  resources: unknown[];
  last_workfile_path: string;
}

export const treeBytes = (dir: string) => listFiles(dir).reduce((sum, f) => sum + statSync(f).size, 0);

/** Small deterministic PRNG (mulberry32), so every run publishes the same layout. */
function prng(seed: number): () => number {
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
const EXT: Record<string, string> = { textures: "png", caches: "abc", refs: "jpg", lookdev: "exr" };

export interface Resource {
  relative: string;
  size: number;
}

/**
 * `count` resources spread over 15 nested folders (up to 4 levels), sizes
 * log-uniform between `minBytes` and `maxBytes` (few large, many small, as
 * textures and caches are). Deterministic.
 */
export function resourcePlan(count: number, minBytes: number, maxBytes: number, seed = 7): Resource[] {
  const random = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const folder = FOLDERS[i % FOLDERS.length] as string;
    const size = Math.round(
      Math.exp(Math.log(minBytes) + random() * (Math.log(maxBytes) - Math.log(minBytes))),
    );
    return {
      relative: `${folder}/res_${String(i).padStart(3, "0")}.${EXT[folder.split("/")[0] as string]}`,
      size,
    };
  });
}

function writeRandom(file: string, size: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, "w");
  try {
    for (let left = size; left > 0; left -= 8 * MiB) writeSync(fd, randomBytes(Math.min(left, 8 * MiB)));
  } finally {
    closeSync(fd);
  }
}

/** settings.yaml of `sitesync init` with maya (the stand-in DCC) as the one application. */
function addMaya(home: string): void {
  const file = path.join(home, "settings.yaml");
  const text = readFileSync(file, "utf8");
  if (!text.includes("  applications: {}")) throw new Error(`${file}: no "applications: {}" to replace`);
  const dcc = JSON.stringify(STANDIN_DCC);
  const maya = `  applications:\n    maya:\n      host_name: maya\n      variants:\n        "2024": {executables: {linux: [${dcc}], darwin: [${dcc}], windows: [${dcc}]}}`;
  writeFileSync(file, text.replace("  applications: {}", maya));
}

export interface Studio {
  home: string;
  /** The home as it was right after the publish: every artist run starts from it. */
  template: string;
  localRoot: string;
  publishedDir: string;
  files: number;
  bytes: number;
}

/**
 * A studio as test/hook/copy.test.ts sets one up, through the CLI, with the
 * workfile (`workfileBytes` of random data, `.ma`) and its resources published
 * as workfileModeling v001 on `studio` (local_drive).
 */
export function buildStudio(dir: string, workfileBytes: number, resources: Resource[]): Studio {
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
        ...["publish", "--project", PROJECT, "--folder", FOLDER, "--task", "modeling"],
        ...["--product", "workfileModeling", "--product-type", "workfile"],
        ...["--file", path.join(src, "scene.ma"), "--site", "studio"],
        ...(resources.length ? ["--resources", path.join(src, "res")] : []),
        "--json",
      ],
      home,
    ),
  ) as { files: unknown[] };
  if (existsSync(localRoot)) throw new Error(`the publish wrote to the local site ${localRoot}`);
  const publishedDir = path.join(studioRoot, PUBLISHED_REL);
  const template = path.join(dir, "home-after-publish");
  cpSync(home, template, { recursive: true });
  return {
    home,
    template,
    localRoot,
    publishedDir,
    files: published.files.length,
    bytes: treeBytes(publishedDir),
  };
}

/**
 * A fresh artist: the home put back as it was right after the publish (the
 * local site has none of the publish's files; the settings cache stays valid)
 * and no local root, as for an artist who has nothing of this task yet.
 */
export function cloneArtist(studio: Studio): string {
  rmSync(studio.localRoot, { recursive: true, force: true });
  rmSync(studio.home, { recursive: true, force: true });
  cpSync(studio.template, studio.home, { recursive: true });
  return studio.home;
}

/** Which build is measured: the package root, its commit, the build time. */
export function buildInfo(): string {
  const git = (...args: string[]) => spawnSync("git", ["-C", ROOT, ...args], { encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  const dirty = git("status", "--porcelain", "--", "lib", "hooks", "providers").stdout?.trim();
  const commit =
    head.status === 0
      ? `commit ${head.stdout.trim()}${dirty ? " + uncommitted changes in lib/hooks/providers" : ""}`
      : "not a git checkout";
  return `${CLI} (${commit}; built ${statSync(CLI).mtime.toISOString()})`;
}
