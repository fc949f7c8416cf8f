/**
 * Four sync services against one on a PostgreSQL store (issue 13): the real
 * `sitesync syncservice --active-site studio` of the built package (dist/;
 * `npm run build` first), each in its own home on one database, draining
 * uploads of R representations x 10 small files from `studio` (local_drive)
 * to `target`, in two scenarios:
 *
 * - `local`: `target` is local_drive on this disk. A service is bound by
 *   CPU (its copies, hashes, fsyncs, and PostgreSQL's work), so the ratio
 *   shows how many cores the machine has to spare.
 * - `latency`: `target` is a remote reached with latency, as a vendor's SFTP
 *   site over the internet is: the test provider slow_drive
 *   (test/fixtures/providers/slow-drive.mjs, loaded through
 *   SITESYNC_PROVIDER_MODULES) waits `--delay-ms` after each 64 KiB chunk,
 *   so each small file waits once: a per-file round trip. A service is bound
 *   by that wait, not by CPU, so the ratio shows whether services claiming
 *   from one database scale.
 *
 * The time is from spawning the services until every representation's
 * record on `target` is OK (a COUNT every 200 ms); one and four services run
 * interleaved, with the same settings per service (16 transfer slots, 4 copy
 * workers, a pool of 10 connections, loop_delay 0 so a service asks for its
 * next batch as soon as one is done). Each scenario has its own database.
 *
 * With it: CPU seconds of the services (user + system from /proc, read just
 * before they are stopped), of PostgreSQL's processes, and of the whole
 * machine over the run, so a machine with fewer cores than services shows
 * where the time went.
 *
 *   node dist-bench/bench/store-services.js [--scenarios local,latency] [--representations 1000]
 *        [--latency-representations 500] [--delay-ms 100] [--file-kib 4] [--runs 3]
 *        [--services 4] [--keep] [--smoke]
 *
 * docs/benchmarks/store.md has the method and the results.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { loadDefaultAnatomy } from "../lib/anatomy/index.js";
import { openContext } from "../lib/context.js";
import { SyncStatus } from "../lib/store/status.js";
import type { ProviderFactory } from "../providers/provider.js";
import { registerProvider } from "../providers/registry.js";
import { benchArgs } from "./lib/args.js";
import { buildInfo, CLI, ENV, ROOT, requireBuild } from "./lib/hook-studio.js";
import { durability, type PostgresServer, startBenchPostgres } from "./lib/postgres.js";
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
    scenarios: { type: "string" },
    representations: { type: "string" },
    "latency-representations": { type: "string" },
    "delay-ms": { type: "string" },
    "file-kib": { type: "string" },
    services: { type: "string" },
  },
});
const fileBytes = Math.round(args.num("file-kib", 4) * 1024);
const many = args.num("services", 4);
const delayMs = args.num("delay-ms", 100);
const cpus = os.cpus().length;
const SLOW_MODULE = path.join(ROOT, "test/fixtures/providers/slow-drive.mjs");

interface Scenario {
  name: string;
  /** What `target` is, for the printout. */
  label: string;
  representations: number;
  /** The `target` site's entry in settings.yaml. */
  targetSite: (root: string) => string;
  /** Extra environment of the services. */
  env: NodeJS.ProcessEnv;
}

const roots = (dir: string) =>
  `{roots: [{name: work, linux: ${JSON.stringify(dir)}, windows: ${JSON.stringify(dir)}, darwin: ${JSON.stringify(dir)}}]}`;

const SCENARIOS: Record<string, Scenario> = {
  local: {
    name: "local",
    label: "local_drive on this disk (CPU-bound)",
    representations: args.smoke ? 20 : args.num("representations", 1000),
    targetSite: (root) => `{name: ${TARGET}, provider: local_drive, local_drive: ${roots(root)}}`,
    env: {},
  },
  latency: {
    name: "latency",
    label: `slow_drive, ${delayMs} ms after each 64 KiB chunk (a remote with latency)`,
    representations: args.smoke ? 10 : args.num("latency-representations", 500),
    targetSite: (root) =>
      `{name: ${TARGET}, provider: slow_drive, slow_drive: {roots: ${JSON.stringify(root)}, delay_ms: ${delayMs}, chunk: 65536}}`,
    env: { SITESYNC_PROVIDER_MODULES: SLOW_MODULE },
  },
};
const scenarios = (args.text("scenarios") ?? "local,latency").split(",").map((name) => {
  const scenario = SCENARIOS[name.trim()];
  if (!scenario) throw new Error(`unknown scenario "${name}": local or latency`);
  return scenario;
});

/** A home's settings: the shared database (no password: PGPASSWORD), studio -> target, loop_delay 0. */
function settingsYaml(url: string, studioRoot: string, targetRoot: string, scenario: Scenario): string {
  return `store: {kind: postgres, url: ${JSON.stringify(url)}}
studio:
  sitesync:
    enabled: true
    config: {loop_delay: 0, retry_cnt: 3}
    sites:
      - {name: studio, provider: local_drive, local_drive: ${roots(studioRoot)}}
      - ${scenario.targetSite(targetRoot)}
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
  scenario: Scenario;
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
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [CLI, "syncservice", "--active-site", "studio", "--home", home], {
    env: { ...ENV, ...env, PGPASSWORD: password, AYON_SITE_ID: `bench-svc${index}` },
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
  const { representations } = bench.scenario;
  const files = representations * FILES;
  const services = bench.homes
    .slice(0, count)
    .map((home, i) => startService(home, i, bench.password, bench.scenario.env));
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

/** slow_drive in this process's registry (the services load it through SITESYNC_PROVIDER_MODULES). */
async function registerSlowDrive(): Promise<void> {
  const impl = pathToFileURL(path.join(ROOT, "test/fixtures/providers/slow-drive-impl.mjs")).href;
  const { createSlowDriveFactory } = (await import(impl)) as {
    createSlowDriveFactory: (kind: string, batchLimit: number) => ProviderFactory<unknown>;
  };
  registerProvider(createSlowDriveFactory("slow_drive", 50), { replace: true });
}

interface Summary {
  scenario: Scenario;
  one: number;
  four: number;
}

/** One scenario on its own database and folders: the catalog, then 1 and `many` services interleaved. */
async function runScenario(server: PostgresServer, scenario: Scenario, dir: string): Promise<Summary> {
  const { representations } = scenario;
  const files = representations * FILES;
  const url = await server.newDatabase();
  const bare = url.replace(/:[^:@/]*@/, "@");
  const studioRoot = path.join(dir, "studio");
  const targetRoot = path.join(dir, "target");
  const homes = Array.from({ length: Math.max(1, many) }, (_, i) => path.join(dir, `home${i}`));
  for (const home of homes) {
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, "settings.yaml"), settingsYaml(bare, studioRoot, targetRoot, scenario));
  }
  // This process reads the same settings (to publish): it needs the target's provider kind too.
  if (scenario.name === "latency") await registerSlowDrive();
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
    const bench: Bench = { scenario, homes, targetRoot, password: server.password, postmaster };
    const results: Record<string, Drain[]> = {};
    const contenders: Record<string, () => Promise<number>> = {};
    console.error(`scenario ${scenario.name}: ${representations} x ${FILES} files, target ${scenario.label}`);
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
      `\nscenario ${scenario.name}: ${representations} representations x ${FILES} files of ${fileBytes} bytes, ` +
        `studio (local_drive) -> ${TARGET} (${scenario.label}), PostgreSQL store; interleaved`,
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
      `medians (${scenario.name}): 1 service ${one.toFixed(2)} s (${(files / one).toFixed(0)} files/s), ` +
        `${many} services ${four.toFixed(2)} s (${(files / four).toFixed(0)} files/s); ` +
        `throughput ratio ${(one / four).toFixed(2)}x (goal: >= 2.5x)`,
    );
    return { scenario, one, four };
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  requireBuild();
  console.log(`machine: ${machineInfo()}`);
  console.log(`measured: ${buildInfo()}`);
  const server = await startBenchPostgres();
  const summaries: Summary[] = [];
  try {
    const settings = await durability(server.url);
    console.log(
      `PostgreSQL ${settings.server_version}: fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}`,
    );
    for (const scenario of scenarios) {
      await withTempDir(`bench-services-${scenario.name}`, args.keep, async (dir) => {
        summaries.push(await runScenario(server, scenario, dir));
      });
    }
  } finally {
    await server.stop();
  }
  console.log(`\n${many} services against 1, throughput ratio of the medians (goal: >= 2.5x):`);
  for (const { scenario, one, four } of summaries)
    console.log(`  ${scenario.name} (${scenario.label}): ${(one / four).toFixed(2)}x`);
  if (args.smoke)
    console.log("store-services smoke: OK (one and several services drained the queue in each scenario)");
}

await main();
