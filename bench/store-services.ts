/**
 * Four sync services against one on a PostgreSQL store (issue 13): the real
 * `sitesync syncservice --active-site studio` of the built package (dist/;
 * `npm run build` first), each in its own home on one database, draining
 * uploads of R representations x 10 small files from `studio` to `target`
 * (both local_drive). The time is from spawning the services until every
 * representation's record on `target` is OK (a COUNT every 200 ms); one and
 * four services run interleaved, with the same settings per service (16
 * transfer slots, 4 copy workers, a pool of 10 connections, loop_delay 0 so
 * a service asks for its next batch as soon as one is done).
 *
 * With it: CPU seconds of the services (user + system from /proc, read just
 * before they are stopped) and of the whole machine over the run, so a
 * machine with fewer cores than services shows where the time went.
 *
 *   node dist-bench/bench/store-services.js [--representations 1000] [--file-kib 4] [--runs 3]
 *                                           [--services 4] [--keep] [--smoke]
 *
 * docs/benchmarks/store.md has the method and the results.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { loadDefaultAnatomy } from "../lib/anatomy/index.js";
import { openContext } from "../lib/context.js";
import { SyncStatus } from "../lib/store/status.js";
import { benchArgs } from "./lib/args.js";
import { buildInfo, CLI, ENV, requireBuild } from "./lib/hook-studio.js";
import { durability, startBenchPostgres } from "./lib/postgres.js";
import { flushDisk, machineInfo, machineTimes, settle } from "./lib/proc.js";
import { median, pairedRuns, table } from "./lib/runs.js";
import { listFiles, removeDir, withTempDir } from "./lib/tmp.js";
import { PROJECT, registerTree, writeSourceTree } from "./studio.js";

const FILES = 10;
const POLL_MS = 200;
const TIMEOUT_MS = 300_000;
const TARGET = "target";

const args = benchArgs({
  runs: 3,
  smoke: { runs: 1 },
  options: {
    representations: { type: "string" },
    "file-kib": { type: "string" },
    services: { type: "string" },
  },
});
const representations = args.smoke ? 20 : args.num("representations", 1000);
const fileBytes = Math.round(args.num("file-kib", 4) * 1024);
const many = args.num("services", 4);
const files = representations * FILES;
const cpus = os.cpus().length;

/** A home's settings: the shared database (no password: PGPASSWORD), studio -> target, loop_delay 0. */
function settingsYaml(url: string, studioRoot: string, targetRoot: string): string {
  const roots = (dir: string) =>
    `{roots: [{name: work, linux: ${JSON.stringify(dir)}, windows: ${JSON.stringify(dir)}, darwin: ${JSON.stringify(dir)}}]}`;
  return `store: {kind: postgres, url: ${JSON.stringify(url)}}
studio:
  sitesync:
    enabled: true
    config: {loop_delay: 0, retry_cnt: 3}
    sites:
      - {name: studio, provider: local_drive, local_drive: ${roots(studioRoot)}}
      - {name: ${TARGET}, provider: local_drive, local_drive: ${roots(targetRoot)}}
  applications: {}
projects: {}
site:
  sitesync:
    local_setting:
      active_site: studio
      remote_site: ${TARGET}
      local_roots: []
`;
}

/** utime + stime of a live process (all its threads), seconds. */
function processCpu(pid: number | undefined): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds so far of every process of the PostgreSQL cluster (the postmaster's children: backends, writers). */
function clusterCpu(postmaster: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === postmaster)
        out.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU the cluster's processes used since `before` (new processes from 0; those that ended are missed). */
function clusterCpuSince(postmaster: number, before: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of clusterCpu(postmaster)) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

interface Drain {
  seconds: number;
  serviceCpu: number;
  postgresCpu: number;
  machineBusy: number;
}

interface Bench {
  homes: string[];
  targetRoot: string;
  password: string;
  postmaster: number;
}

/** Puts the target's records back to QUEUED (a copy taken after the publish), drops claims and copies. */
async function reset(db: pg.Client, bench: Bench): Promise<void> {
  removeDir(bench.targetRoot);
  await db.query("BEGIN");
  await db.query("DELETE FROM sync_state WHERE project = $1 AND site = $2", [PROJECT, TARGET]);
  await db.query("INSERT INTO sync_state SELECT * FROM bench_target_queued");
  await db.query("DELETE FROM claims");
  await db.query("COMMIT");
  await db.query("VACUUM ANALYZE sync_state, claims");
}

async function okCount(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    "SELECT count(*) AS n FROM sync_state WHERE project = $1 AND site = $2 AND status = $3",
    [PROJECT, TARGET, SyncStatus.OK],
  );
  return Number(rows[0]?.n ?? 0);
}

function startService(
  home: string,
  index: number,
  password: string,
): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [CLI, "syncservice", "--active-site", "studio", "--home", home], {
    env: { ...ENV, PGPASSWORD: password, AYON_SITE_ID: `bench-svc${index}` },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    log = (log + s).slice(-8192);
  });
  return { child, log: () => log };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** `count` services from spawn until every representation is OK on the target. */
async function drain(db: pg.Client, bench: Bench, count: number): Promise<Drain> {
  await reset(db, bench);
  await settle({ wait: !args.smoke, timeoutMs: 10_000 });
  const cluster0 = clusterCpu(bench.postmaster);
  const machine0 = machineTimes();
  const start = performance.now();
  const services = bench.homes.slice(0, count).map((home, i) => startService(home, i, bench.password));
  let seconds = 0;
  let serviceCpu = 0;
  let postgresCpu = 0;
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const exited = services.find((s) => s.child.exitCode !== null);
      if (exited) throw new Error(`a service exited ${exited.child.exitCode}:\n${exited.log()}`);
      if ((await okCount(db)) >= representations) break;
      if (performance.now() - start > TIMEOUT_MS)
        throw new Error(`not drained in ${TIMEOUT_MS / 1000} s:\n${services[0]?.log()}`);
    }
    seconds = (performance.now() - start) / 1000;
    serviceCpu = services.reduce((sum, s) => sum + processCpu(s.child.pid), 0);
    // Before the services stop: their backends end with them.
    postgresCpu = clusterCpuSince(bench.postmaster, cluster0);
  } finally {
    await Promise.all(services.map((s) => stop(s.child)));
  }
  const machine1 = machineTimes();
  const copied = listFiles(bench.targetRoot).length;
  if (copied !== files) throw new Error(`${copied} files on the target, expected ${files}`);
  return { seconds, serviceCpu, postgresCpu, machineBusy: machine1.busy - machine0.busy };
}

async function main(): Promise<void> {
  requireBuild();
  console.log(`machine: ${machineInfo()}`);
  console.log(`measured: ${buildInfo()}`);
  const server = await startBenchPostgres();
  try {
    const settings = await durability(server.url);
    console.log(
      `PostgreSQL ${settings.server_version}: fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}`,
    );
    await withTempDir("bench-services", args.keep, async (dir) => {
      const url = await server.newDatabase();
      const bare = url.replace(/:[^:@/]*@/, "@");
      const studioRoot = path.join(dir, "studio");
      const targetRoot = path.join(dir, "target");
      const homes = Array.from({ length: Math.max(1, many) }, (_, i) => path.join(dir, `home${i}`));
      for (const home of homes) {
        mkdirSync(home, { recursive: true });
        writeFileSync(path.join(home, "settings.yaml"), settingsYaml(bare, studioRoot, targetRoot));
      }
      // The catalog: one publish per representation through the store (studio OK, target QUEUED).
      const tree = writeSourceTree(studioRoot, representations, FILES, fileBytes);
      // This process opens the store too (the publish, the counts): PGPASSWORD as the services get it.
      process.env.PGPASSWORD = server.password;
      const context = await openContext({
        home: homes[0] as string,
        create: true,
        env: { AYON_SITE_ID: "bench-svc0", PGPASSWORD: server.password },
      });
      try {
        await context.store.importProject({
          name: PROJECT,
          code: "BN",
          anatomy: loadDefaultAnatomy(),
          folders: [{ path: "/assets/characters/hero", tasks: [{ name: "lighting", type: "Lighting" }] }],
        });
        await registerTree(context, tree, { has: "studio", wants: TARGET });
      } finally {
        await context.store.close();
      }
      flushDisk();
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      try {
        await db.query(
          "CREATE TABLE bench_target_queued AS SELECT * FROM sync_state WHERE project = $1 AND site = $2",
          [PROJECT, TARGET],
        );
        const pidFile = path.join(server.dir, "data", "postmaster.pid");
        const postmaster = Number(readFileSync(pidFile, "utf8").split("\n", 1)[0]);
        const bench: Bench = { homes, targetRoot, password: server.password, postmaster };
        const results: Record<string, Drain[]> = {};
        const contenders: Record<string, () => Promise<number>> = {};
        for (const count of [1, many]) {
          const name = `${count} service${count === 1 ? "" : "s"}`;
          results[name] = [];
          contenders[name] = async () => {
            const result = await drain(db, bench, count);
            results[name]?.push(result);
            console.error(
              `  ${name}: ${result.seconds.toFixed(2)} s, ${(files / result.seconds).toFixed(0)} files/s, ` +
                `services CPU ${result.serviceCpu.toFixed(1)} s, PostgreSQL CPU ${result.postgresCpu.toFixed(1)} s, ` +
                `machine busy ${result.machineBusy.toFixed(1)} s`,
            );
            return result.seconds;
          };
        }
        const times = await pairedRuns(contenders, { runs: args.runs });
        const rows: Array<Array<string | number>> = [];
        for (const [name, drains] of Object.entries(results)) {
          drains.forEach((d, i) => {
            rows.push([
              name,
              i + 1,
              d.seconds.toFixed(2),
              (files / d.seconds).toFixed(0),
              d.serviceCpu.toFixed(1),
              d.postgresCpu.toFixed(1),
              (((d.serviceCpu + d.postgresCpu) / files) * 1000).toFixed(2),
              `${(((d.serviceCpu + d.postgresCpu) / (d.seconds * cpus)) * 100).toFixed(0)}%`,
              `${((d.machineBusy / (d.seconds * cpus)) * 100).toFixed(0)}%`,
            ]);
          });
        }
        console.log(
          `\n${representations} representations x ${FILES} files of ${fileBytes} bytes, studio -> ${TARGET} (local_drive), PostgreSQL store; interleaved`,
        );
        console.log(
          table(
            [
              "services",
              "run",
              "s",
              "files/s",
              "services CPU s",
              "PostgreSQL CPU s",
              "services + PostgreSQL CPU ms/file",
              `services + PostgreSQL, of ${cpus} CPUs`,
              `machine busy (all processes), of ${cpus} CPUs`,
            ],
            rows,
          ),
        );
        const one = median(times["1 service"] ?? []);
        const four = median(times[`${many} services`] ?? []);
        console.log(
          `medians: 1 service ${one.toFixed(2)} s (${(files / one).toFixed(0)} files/s), ${many} services ${four.toFixed(2)} s ` +
            `(${(files / four).toFixed(0)} files/s); throughput ratio ${(one / four).toFixed(2)}x (goal: >= 2.5x)`,
        );
      } finally {
        await db.end();
      }
    });
  } finally {
    await server.stop();
  }
  if (args.smoke) console.log("store-services smoke: OK (one and several services drained the queue)");
}

await main();
