/**
 * One big file through the sftp provider against OpenSSH's `sftp` client, on
 * a private sshd on 127.0.0.1 (loopback: this measures the client's CPU cost
 * per byte, not a network). Every contender is timed from its first
 * connection to its connection closed, upload and download separately
 * (docs/benchmarks/sftp.md, "What is measured"):
 *
 * - openssh: `sftp -b <batch>` with `put` / `get` (its defaults).
 * - provider: `createProvider("sftp")`, upload to a temp name and rename, or
 *   download to a temp name and rename locally, then close.
 * - transfer: the engine's transfer path (`transferOnce`, then `placeDownloads`
 *   for a download) with a fresh provider.
 * - engine: one `SyncEngine.runPass()` (fresh home, the file registered);
 *   engine-sha256: the same on a site with `verify: sha256`.
 *
 * And connecting alone: `sftp -b` with `pwd` against createProvider + isActive() + close().
 *
 *   node dist-bench/bench/sftp-big.js [--sizes 64,256,1024] [--runs 3]
 *                                     [--only openssh,provider,transfer,engine,engine-sha256] [--smoke]
 *
 * Sizes are MiB. Before each timed run dirty pages are flushed and the CPUs
 * must be idle (<= 15% busy for 1 s). Needs root and OpenSSH's server; skipped
 * with a notice otherwise.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { SyncEngine } from "../lib/engine/engine.js";
import { placeDownloads, transferOnce } from "../lib/engine/transfer.js";
import type { FileJob } from "../lib/engine/types.js";
import { SyncStatus } from "../lib/store/status.js";
import { createProvider } from "../providers/registry.js";
import { benchArgs } from "./lib/args.js";
import { havePeer } from "./lib/peers.js";
import { cpuSince, cpuTimes, machineInfo, machineTimes, runChild, settle } from "./lib/proc.js";
import { fixed, median, pairedRuns, pick, ratio, secondsSince, table } from "./lib/runs.js";
import {
  type BenchSshd,
  openSftpStudio,
  opensshSftp,
  type SftpSiteOptions,
  serverDir,
  sftpConfig,
  sitesFor,
  startBenchSshd,
  VENDOR,
} from "./lib/sftp.js";
import { removeDir, withTempDir } from "./lib/tmp.js";
import { PROJECT, publishDir, registerTree, SITE_ID, type SourceFile } from "./studio.js";

const MiB = 1024 * 1024;
const args = benchArgs({ sizes: "64,256,1024", smoke: { sizes: [16] } });
/** Flush, and wait for an idle CPU (not in smoke runs). */
const quiet = () => settle({ wait: !args.smoke });

/** One timed transfer of `file`; resolves with seconds. */
interface Case {
  server: BenchSshd;
  file: SourceFile;
  /** Local root holding the source file at file.relPath. */
  localRoot: string;
  /** Remote root holding a copy of the file at file.relPath (for downloads). */
  seedRoot: string;
  /** A fresh folder for this run: local (downloads) or on the server (uploads). */
  target: string;
  work: string;
}
type Direction = "up" | "down";
type Contender = Record<Direction, (c: Case) => Promise<number>>;

function checkSize(file: string, size: number): void {
  const found = statSync(file).size;
  if (found !== size) throw new Error(`${file} has ${found} bytes, expected ${size}`);
}

const providerFor = (server: BenchSshd, root: string) =>
  createProvider("sftp", { siteName: VENDOR, config: sftpConfig(server, root), roots: { work: root } });

async function batch(c: Case, line: string, result: string): Promise<number> {
  const file = path.join(c.work, "batch");
  writeFileSync(file, `${line}\n`);
  const { seconds } = await runChild(opensshSftp(c.server, file));
  checkSize(result, c.file.size);
  return seconds;
}

const name = (c: Case) => path.basename(c.file.relPath);
const openssh: Contender = {
  up: (c) =>
    batch(
      c,
      `put ${path.join(c.localRoot, c.file.relPath)} ${c.target}/${name(c)}`,
      `${c.target}/${name(c)}`,
    ),
  down: (c) =>
    batch(c, `get ${path.join(c.seedRoot, c.file.relPath)} ${c.target}/${name(c)}`, `${c.target}/${name(c)}`),
};

const provider: Contender = {
  up: async (c) => {
    const final = path.join(c.target, name(c));
    const temp = path.join(c.target, `.${name(c)}.bench.part`);
    const start = performance.now();
    const p = providerFor(c.server, c.target);
    await p.upload(path.join(c.localRoot, c.file.relPath), temp, { overwrite: false, direct: true });
    await p.rename(temp, final, { overwrite: true });
    await p.close?.();
    const t = secondsSince(start);
    checkSize(final, c.file.size);
    return t;
  },
  down: async (c) => {
    const final = path.join(c.target, name(c));
    const start = performance.now();
    const p = providerFor(c.server, c.seedRoot);
    await p.download(path.join(c.seedRoot, c.file.relPath), `${final}.part`, {
      overwrite: false,
      direct: true,
    });
    renameSync(`${final}.part`, final);
    await p.close?.();
    const t = secondsSince(start);
    checkSize(final, c.file.size);
    return t;
  },
};

function jobFor(c: Case, direction: "upload" | "download", localRoot: string, remoteRoot: string): FileJob {
  return {
    project: PROJECT,
    representationId: "bench",
    file: {
      id: "bench",
      name: name(c),
      path: `{root[work]}/${c.file.relPath}`,
      size: c.file.size,
      hash: c.file.hash,
      hashType: "op3",
      sha256: c.file.sha256,
    },
    direction,
    targetSite: direction === "upload" ? VENDOR : SITE_ID,
    sourceSite: direction === "upload" ? SITE_ID : VENDOR,
    localPath: path.join(localRoot, c.file.relPath),
    remotePath: path.posix.join(remoteRoot, c.file.relPath),
    retries: 0,
  };
}

const transfer: Contender = {
  up: async (c) => {
    const start = performance.now();
    const p = providerFor(c.server, c.target);
    await transferOnce(jobFor(c, "upload", c.localRoot, c.target), {
      remoteProvider: p,
      onProgress: () => {},
    });
    await p.close?.();
    const t = secondsSince(start);
    checkSize(path.join(c.target, c.file.relPath), c.file.size);
    return t;
  },
  down: async (c) => {
    const start = performance.now();
    const p = providerFor(c.server, c.seedRoot);
    const job = jobFor(c, "download", c.target, c.seedRoot);
    const moved = await transferOnce(job, { remoteProvider: p, onProgress: () => {} });
    // A download is verified under its temporary name; the engine flushes and places it after.
    const [problem] = await placeDownloads([{ temp: moved.temp as string, final: job.localPath }]);
    if (problem) throw new Error(problem);
    await p.close?.();
    const t = secondsSince(start);
    checkSize(path.join(c.target, c.file.relPath), c.file.size);
    return t;
  },
};

async function enginePass(c: Case, direction: "upload" | "download", options: SftpSiteOptions = {}) {
  const [localRoot, remoteRoot] = direction === "upload" ? [c.localRoot, c.target] : [c.target, c.seedRoot];
  const home = path.join(c.work, "home");
  const context = await openSftpStudio(home, localRoot, c.server, remoteRoot, options);
  try {
    const [id] = await registerTree(context, [[c.file]], sitesFor(direction));
    const engine = new SyncEngine({
      store: context.store,
      settings: context.settings,
      ownSite: context.siteId,
      platform: context.platform,
      retryBaseMs: 10,
    });
    await quiet();
    const start = performance.now();
    const report = await engine.runPass({ projects: [PROJECT] });
    const t = secondsSince(start);
    const project = report.projects[0];
    if (project?.skipped) throw new Error(`engine skipped the project: ${project.skipped}`);
    if (project?.outcomes.length !== 1 || project.outcomes.some((o) => o.status !== "ok"))
      throw new Error(`engine pass: ${JSON.stringify(project?.outcomes.map((o) => o.status))}`);
    const [state] = await context.store.getSiteStates(PROJECT, [id ?? ""], [sitesFor(direction).wants]);
    if (state?.files[0]?.status !== SyncStatus.OK) throw new Error("store does not say OK after the pass");
    checkSize(path.join(c.target, c.file.relPath), c.file.size);
    return t;
  } finally {
    await context.store.close();
  }
}

const contenders = pick<Contender>(
  {
    openssh,
    provider,
    transfer,
    engine: { up: (c) => enginePass(c, "upload"), down: (c) => enginePass(c, "download") },
    "engine-sha256": {
      up: (c) => enginePass(c, "upload", { verify: "sha256" }),
      down: (c) => enginePass(c, "download", { verify: "sha256" }),
    },
  },
  args.only,
);

/** Writes `size` random bytes under root at a publish path; returns it as a SourceFile. */
function writeBig(root: string, size: number): SourceFile {
  const relPath = `${publishDir(0)}/BN_hero_big_v001.bin`;
  const full = path.join(root, relPath);
  mkdirSync(path.dirname(full), { recursive: true });
  const fd = openSync(full, "w");
  const digest = createHash("sha256");
  for (let done = 0; done < size; done += 16 * MiB) {
    const chunk = randomBytes(Math.min(16 * MiB, size - done));
    digest.update(chunk);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  return { relPath, size, sha256: digest.digest("hex"), hash: `bench-${size}` };
}

if (!havePeer("sshd", "sftp-big is skipped") || !havePeer("sftp", "sftp-big is skipped")) process.exit(0);
console.error(`sftp-big: ${machineInfo()}; ${args.sizes.join(", ")} MiB, ${args.runs} run(s)`);
const server = await startBenchSshd();
const rows: Array<Array<string | number>> = [];
let connectTable = "";
try {
  await withTempDir("bench-sftp-big", args.keep, async (base) => {
    // Connect, authenticate, open the SFTP channel, close: what every timing below includes once.
    const pwd = path.join(base, "pwd");
    writeFileSync(pwd, "pwd\n");
    const connect = await pairedRuns(
      {
        openssh: async () => (await runChild(opensshSftp(server, pwd))).seconds,
        provider: async () => {
          const start = performance.now();
          const p = providerFor(server, server.root);
          const check = await p.isActive();
          await p.close?.();
          if (!check.active) throw new Error(`provider not active: ${check.reason}`);
          return secondsSince(start);
        },
      },
      { runs: args.smoke ? 1 : 5, beforeRun: quiet },
    );
    connectTable = table(
      ["", ...Object.keys(connect)],
      [["connect + close, median s", ...Object.values(connect).map((t) => median(t).toFixed(3))]],
    );
    for (const mib of args.sizes) {
      const localRoot = path.join(base, "local");
      const file = writeBig(localRoot, mib * MiB);
      // The server's copy for the downloads (root copies it: no SFTP involved).
      const seedRoot = path.join(server.root, "seed");
      serverDir(server, path.dirname(path.join(seedRoot, file.relPath)));
      copyFileSync(path.join(localRoot, file.relPath), path.join(seedRoot, file.relPath));
      const runs = Object.fromEntries(
        Object.entries(contenders).flatMap(([n, contender]) =>
          (["up", "down"] as const).map((d) => [
            `${n} ${d}`,
            async () => {
              const work = path.join(base, "work");
              const target = d === "up" ? path.join(server.root, "up") : path.join(base, "down");
              mkdirSync(work, { recursive: true });
              if (d === "up") serverDir(server, target);
              else mkdirSync(target, { recursive: true });
              if (!n.startsWith("engine")) await quiet(); // the engine settles after its setup
              const [cpu0, machine0] = [cpuTimes(), machineTimes().busy];
              const t = await contender[d]({ server, file, localRoot, seedRoot, target, work });
              const cpu = cpuSince(cpu0);
              console.error(
                `${mib} MiB: ${n} ${d} ${t.toFixed(2)} s (${(mib / t).toFixed(0)} MiB/s); cpu s: node ${cpu.own.toFixed(2)}, ` +
                  `its children ${cpu.reaped.toFixed(2)}, machine ${(machineTimes().busy - machine0).toFixed(2)}`,
              );
              removeDir(target);
              removeDir(work);
              return t;
            },
          ]),
        ),
      );
      const times = await pairedRuns(runs, { runs: args.runs });
      removeDir(seedRoot);
      removeDir(localRoot);
      const ref = (d: Direction) => median(times[`openssh ${d}`] ?? []);
      for (const n of Object.keys(contenders)) {
        const [up, down] = [median(times[`${n} up`] ?? []), median(times[`${n} down`] ?? [])];
        const perSecond = (t: number) => (mib / t).toFixed(0);
        rows.push([mib, n, fixed(up), perSecond(up), ratio(up, ref("up"))]);
        rows[rows.length - 1]?.push(fixed(down), perSecond(down), ratio(down, ref("down")));
      }
    }
  });
} finally {
  await server.stop();
}
console.log(
  `\nOne big file, loopback sshd, median of ${args.runs} run(s), connect to close; ratio = time / openssh's`,
);
console.log(
  table(
    ["MiB", "contender", "up s", "up MiB/s", "up / openssh", "down s", "down MiB/s", "down / openssh"],
    rows,
  ),
);
console.log(
  `\nConnecting alone (sftp -b with "pwd"; createProvider + isActive() + close()), same key:\n${connectTable}`,
);
if (args.smoke) console.log("sftp-big smoke: OK");
