/**
 * The rclone provider through the engine against `rclone copy --transfers 16`
 * (the engine's own 16 parallel transfers), and against rclone staging the
 * files beside the target and moving them in (`staged`: the engine's
 * guarantee, done by rclone), of the same files, in the same run,
 * interleaved: many small files (N x 64 KiB in 20 representations, rclone's
 * batch limit, so one pass takes them all) and one big file, each to rclone's
 * `local` backend (a folder here) and to its `sftp` backend (a private sshd on
 * 127.0.0.1, key login), both through one rclone config file. Each run writes
 * to a fresh folder; each timing includes rclone starting (the provider's
 * `rclone rcd`, rclone copy's own process) and, for sftp, connecting.
 *
 *   node dist-bench/bench/rclone.js [--sizes 2000] [--big-mib 1024] [--runs 3]
 *                                   [--only engine,rclone,staged] [--backends local,sftp] [--smoke]
 *
 * Without rclone on PATH it prints a NOTICE and exits 0; without root or
 * OpenSSH's server, the sftp backend is skipped the same way.
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import type { Context } from "../lib/context.js";
import { SyncEngine } from "../lib/engine/engine.js";
import { op3Hash } from "../lib/publish/hash.js";
import { benchArgs } from "./lib/args.js";
import { havePeer } from "./lib/peers.js";
import { machineInfo, runChild, settle } from "./lib/proc.js";
import { fixed, medians, pairedRuns, pick, ratio, secondsSince, table } from "./lib/runs.js";
import { type BenchSshd, rcloneConfig, serverDir, sitesFor, startBenchSshd, VENDOR } from "./lib/sftp.js";
import { listFiles, removeDir, tempDir, withTempDir } from "./lib/tmp.js";
import { openHome, PROJECT, publishDir, registerTree, type SourceFile, writeSourceTree } from "./studio.js";

/** rclone's batch limit: one pass takes at most 20 representations. */
const REPRESENTATIONS = 20;
/** The engine's default; rclone copy gets the same with --transfers. */
const PARALLEL = 16;
const MiB = 1024 * 1024;

const args = benchArgs({
  sizes: "2000",
  smoke: { sizes: [40], runs: 1 },
  options: {
    "big-mib": { type: "string" },
    "file-size": { type: "string" },
    backends: { type: "string" },
  },
});
const fileSize = args.num("file-size", 65536);
const bigBytes = (args.smoke ? 20 : args.num("big-mib", 1024)) * MiB;
// At most 10 s for an idle CPU: on a machine shared with other work it never comes, and 24 runs would wait 48 min.
const quiet = () => settle({ wait: !args.smoke, timeoutMs: 10_000 });

type Backend = "local" | "sftp";

interface Case {
  backend: Backend;
  tree: SourceFile[][];
  localRoot: string;
  /** A fresh folder on the remote (here, or on the server). */
  target: string;
  /** Holds the rclone config file and the engine's home. */
  work: string;
  config: string;
}

/** The rclone config file of the run, with the remote `srv:` for the backend. */
function configFile(backend: Backend, server: BenchSshd | undefined, work: string): string {
  if (backend === "sftp" && server) return rcloneConfig(server, work);
  const file = path.join(work, "rclone.conf");
  writeFileSync(file, "[srv]\ntype = local\n");
  return file;
}

/** A home whose remote site `vendor` is the rclone remote `srv:` rooted at the run's target. */
async function openRcloneStudio(c: Case): Promise<Context> {
  const home = path.join(c.work, "home");
  mkdirSync(home, { recursive: true });
  const j = JSON.stringify;
  const rclone = {
    config_type: "config_file",
    config_file: { remote_name: "srv", rclone_config_path: { linux: c.config, windows: "", darwin: "" } },
    root: c.target,
  };
  return openHome(
    home,
    `
studio:
  sitesync:
    enabled: true
    config: {retry_cnt: 3, loop_delay: 60, always_accessible_on: [], active_site: studio, remote_site: studio}
    sites:
      - {name: studio, provider: local_drive, local_drive: {roots: [{name: work, linux: ${j(path.join(home, "studio"))}, windows: "", darwin: ""}]}}
      - {name: ${VENDOR}, provider: rclone, rclone: ${j(rclone)}}
site:
  sitesync:
    local_setting:
      active_site: local
      remote_site: ${VENDOR}
      local_roots: [{name: work, path: ${j(c.localRoot)}}]
`,
  );
}

/** Every file at its place on the remote with its size, and nothing else there. */
function verify(name: string, c: Case): void {
  for (const file of c.tree.flat()) {
    const size = statSync(path.join(c.target, file.relPath), { throwIfNoEntry: false })?.size;
    if (size !== file.size) throw new Error(`${name}: ${file.relPath} is ${size ?? "missing"} on the remote`);
  }
  const found = listFiles(c.target).length;
  if (found !== c.tree.flat().length)
    throw new Error(`${name}: the remote holds ${found} files, expected ${c.tree.flat().length}`);
}

async function engine(c: Case): Promise<number> {
  const context = await openRcloneStudio(c);
  try {
    await registerTree(context, c.tree, sitesFor("upload"));
    const sync = new SyncEngine({
      store: context.store,
      settings: context.settings,
      ownSite: context.siteId,
      platform: context.platform,
      retryBaseMs: 10,
      concurrency: PARALLEL,
    });
    await quiet();
    const start = performance.now();
    const report = await sync.runPass({ projects: [PROJECT] });
    const t = secondsSince(start);
    const project = report.projects[0];
    if (project?.skipped) throw new Error(`engine skipped the project: ${project.skipped}`);
    const notOk = project?.outcomes.filter((o) => o.status !== "ok") ?? [];
    if (notOk.length) throw new Error(`engine: ${notOk.length} files not ok: ${JSON.stringify(notOk[0])}`);
    verify("engine", c);
    return t;
  } finally {
    await context.store.close();
  }
}

async function rclone(c: Case): Promise<number> {
  await quiet();
  const argv = ["rclone", "copy", "--config", c.config, "-q", "--transfers", String(PARALLEL)];
  const { seconds } = await runChild([...argv, c.localRoot, `srv:${c.target}`]);
  verify("rclone", c);
  return seconds;
}

/**
 * rclone doing what the engine guarantees: nothing at a final path before the
 * copy is whole. `rclone copy` (1.60) writes each file at its final path as it
 * goes; the same files staged in a folder beside the target, then moved into
 * it (renames on the remote), is rclone's way to that guarantee. It still
 * checks no sha256 and records no state.
 */
async function staged(c: Case): Promise<number> {
  await quiet();
  const stage = `${c.target}.stage`;
  const flags = ["--config", c.config, "-q", "--transfers", String(PARALLEL)];
  const copy = await runChild(["rclone", "copy", ...flags, c.localRoot, `srv:${stage}`]);
  const move = await runChild([
    "rclone",
    "move",
    ...flags,
    "--delete-empty-src-dirs",
    `srv:${stage}`,
    `srv:${c.target}`,
  ]);
  await runChild(["rclone", "rmdir", "--config", c.config, `srv:${stage}`]);
  verify("staged", c);
  return copy.seconds + move.seconds;
}

/** One file of `size` bytes (random 16 MiB blocks, written as they are made) as representation 0. */
function writeBigFile(root: string, size: number): SourceFile[][] {
  const relPath = `${publishDir(0)}/BN_hero_render000_v001.exr`;
  const full = path.join(root, relPath);
  mkdirSync(path.dirname(full), { recursive: true });
  const sha = createHash("sha256");
  const fd = openSync(full, "w");
  try {
    for (let left = size; left > 0; ) {
      const block = randomBytes(Math.min(16 * MiB, left));
      writeSync(fd, block);
      sha.update(block);
      left -= block.length;
    }
  } finally {
    closeSync(fd);
  }
  return [[{ relPath, size, sha256: sha.digest("hex"), hash: op3Hash(full, statSync(full).mtimeMs, size) }]];
}

if (!havePeer("rclone", "the rclone benchmark is skipped")) process.exit(0);
const backends = (args.text("backends", "local,sftp") ?? "")
  .split(",")
  .filter((b): b is Backend => b === "local" || b === "sftp")
  .filter((b) => b === "local" || havePeer("sshd", "the rclone benchmark's sftp backend is skipped"));
const contenders = pick<(c: Case) => Promise<number>>({ engine, rclone, staged }, args.only);
console.error(
  `rclone: ${machineInfo()}; ${args.sizes.join(", ")} files of ${fileSize} B and one of ${bigBytes / MiB} MiB, ` +
    `backends ${backends.join(", ")}, ${args.runs} run(s)`,
);
const server = backends.includes("sftp") ? await startBenchSshd() : undefined;
const rows: Array<Array<string | number>> = [];
const every: string[] = [];
try {
  await withTempDir("bench-rclone", args.keep, async (base) => {
    const workloads: { label: string; write: (root: string) => SourceFile[][] }[] = [
      ...args.sizes.map((files) => ({
        label: `${files} x ${fileSize / 1024} KiB`,
        write: (root: string) =>
          writeSourceTree(root, REPRESENTATIONS, Math.ceil(files / REPRESENTATIONS), fileSize),
      })),
      { label: `1 x ${bigBytes / MiB} MiB`, write: (root: string) => writeBigFile(root, bigBytes) },
    ];
    for (const [index, workload] of workloads.entries()) {
      const localRoot = path.join(base, `local-${index}`);
      const tree = workload.write(localRoot);
      for (const backend of backends) {
        const runs = Object.fromEntries(
          Object.entries(contenders).map(([name, contender]) => [
            name,
            async (round: number) => {
              const work = tempDir("bench-rclone-run");
              const remoteBase = backend === "sftp" && server ? server.root : path.join(base, "remote");
              const target = path.join(remoteBase, `${name}-${index}-${round}`);
              if (backend === "sftp" && server) serverDir(server, target);
              else mkdirSync(target, { recursive: true });
              const c: Case = {
                backend,
                tree,
                localRoot,
                target,
                work,
                config: configFile(backend, server, work),
              };
              try {
                const t = await contender(c);
                const line = `${workload.label} to ${backend}, run ${round}/${args.runs}: ${name} ${t.toFixed(2)} s`;
                every.push(line);
                console.error(line);
                return t;
              } finally {
                removeDir(target);
                removeDir(work);
              }
            },
          ]),
        );
        const m = medians(await pairedRuns(runs, { runs: args.runs }));
        rows.push([
          workload.label,
          backend,
          fixed(m.engine),
          fixed(m.rclone),
          ratio(m.engine, m.rclone),
          fixed(m.staged),
          ratio(m.engine, m.staged),
        ]);
      }
      removeDir(localRoot);
    }
  });
} finally {
  await server?.stop();
}
console.log(
  `\nOne upload pass through the rclone provider (engine, ${PARALLEL} transfers) against rclone copy ` +
    `--transfers ${PARALLEL}; median of ${args.runs} run(s), each including rclone's start and connecting`,
);
console.log(
  table(
    [
      "files",
      "backend",
      "engine s",
      "rclone copy s",
      "engine/rclone",
      "rclone copy+move s",
      "engine/copy+move",
    ],
    rows,
  ),
);
console.log(`\nEvery run:\n${every.map((line) => `  ${line}`).join("\n")}`);
if (args.smoke) console.log("rclone smoke: OK");
