/**
 * Many small files uploaded by one engine pass to an SFTP site, against
 * `rclone copy --transfers 4` and OpenSSH `sftp -b` with `put -r` (one
 * connection, one file at a time) to the same private sshd on 127.0.0.1
 * (docs/benchmarks/sftp.md). N files of 64 KiB in 20 representations (sftp's
 * batch limit, so one pass takes them all), registered with the artist's site
 * OK and `vendor` QUEUED. Each run goes to a fresh folder on the server whose
 * folders are made beforehand (--fresh-folders skips that: the provider's
 * mkdirs then races, see the notes); each timing includes connecting.
 *
 *   node dist-bench/bench/sftp-many.js [--sizes 500,2000] [--runs 3] [--file-size 65536]
 *                                      [--only engine,rclone,openssh] [--connections 4]
 *                                      [--concurrency 16] [--fresh-folders] [--smoke]
 */
import { statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_CONCURRENCY, SyncEngine } from "../lib/engine/engine.js";
import { SyncStatus } from "../lib/store/status.js";
import { benchArgs } from "./lib/args.js";
import { havePeer } from "./lib/peers.js";
import { machineInfo, runChild, settle } from "./lib/proc.js";
import { fixed, medians, pairedRuns, pick, ratio, secondsSince, table } from "./lib/runs.js";
import {
  type BenchSshd,
  openSftpStudio,
  opensshSftp,
  rcloneConfig,
  serverDir,
  sitesFor,
  startBenchSshd,
  VENDOR,
} from "./lib/sftp.js";
import { listFiles, readTree, removeDir, tempDir, withTempDir } from "./lib/tmp.js";
import { PROJECT, registerTree, type SourceFile, writeSourceTree } from "./studio.js";

/** sftp's batch limit: one pass takes at most 20 representations. */
const REPRESENTATIONS = 20;

const args = benchArgs({
  sizes: "500,2000",
  smoke: { sizes: [40] },
  options: {
    "file-size": { type: "string" },
    connections: { type: "string" },
    concurrency: { type: "string" },
    "fresh-folders": { type: "boolean", default: false },
  },
});
const fileSize = args.num("file-size", 65536);
/** Flush, and wait for an idle CPU (not in smoke runs). */
const quiet = () => settle({ wait: !args.smoke });
const connections = args.num("connections", 4);
const concurrency = args.num("concurrency", DEFAULT_CONCURRENCY);

interface Case {
  server: BenchSshd;
  tree: SourceFile[][];
  localRoot: string;
  /** A fresh folder on the server. */
  target: string;
  work: string;
}

/** Every file at its place on the server with its size, and nothing else there. */
function verifyServer(name: string, c: Case): void {
  for (const file of c.tree.flat()) {
    const size = statSync(path.join(c.target, file.relPath), { throwIfNoEntry: false })?.size;
    if (size !== file.size) throw new Error(`${name}: ${file.relPath} is ${size ?? "missing"} on the server`);
  }
  const found = listFiles(c.target).length;
  if (found !== c.tree.flat().length)
    throw new Error(`${name}: the server holds ${found} files, expected ${c.tree.flat().length}`);
}

async function engine(c: Case): Promise<number> {
  const context = await openSftpStudio(path.join(c.work, "home"), c.localRoot, c.server, c.target, {
    connections,
  });
  try {
    const ids = await registerTree(context, c.tree, sitesFor("upload"));
    const sync = new SyncEngine({
      store: context.store,
      settings: context.settings,
      ownSite: context.siteId,
      platform: context.platform,
      retryBaseMs: 10,
      concurrency,
    });
    await quiet();
    const start = performance.now();
    const report = await sync.runPass({ projects: [PROJECT] });
    const t = secondsSince(start);
    const project = report.projects[0];
    if (project?.skipped) throw new Error(`engine skipped the project: ${project.skipped}`);
    const notOk = project?.outcomes.filter((o) => o.status !== "ok") ?? [];
    if (notOk.length) throw new Error(`engine: ${notOk.length} files not ok: ${JSON.stringify(notOk[0])}`);
    verifyServer("engine", c);
    const states = await context.store.getSiteStates(PROJECT, ids, [VENDOR]);
    const ok = states.flatMap((s) => s.files).filter((f) => f.status === SyncStatus.OK).length;
    if (ok !== c.tree.flat().length) throw new Error(`engine: store has ${ok} files OK on ${VENDOR}`);
    return t;
  } finally {
    await context.store.close();
  }
}

async function rclone(c: Case): Promise<number> {
  const config = rcloneConfig(c.server, c.work);
  await quiet();
  const argv = [
    "rclone",
    "copy",
    "--config",
    config,
    "-q",
    "--transfers",
    "4",
    c.localRoot,
    `srv:${c.target}`,
  ];
  const { seconds } = await runChild(argv);
  verifyServer("rclone", c);
  return seconds;
}

async function openssh(c: Case): Promise<number> {
  const batch = path.join(c.work, "batch");
  writeFileSync(batch, `put -r ${path.join(c.localRoot, PROJECT)} ${c.target}/\n`);
  await quiet();
  const { seconds } = await runChild(opensshSftp(c.server, batch));
  verifyServer("openssh", c);
  return seconds;
}

/** The target's folders, made on the server (owned by the sftp user) before a run. */
function makeFolders(c: Case): void {
  const dirs = new Set(c.tree.flat().map((file) => path.dirname(path.join(c.target, file.relPath))));
  for (const dir of dirs) serverDir(c.server, dir);
}

if (!havePeer("sshd", "sftp-many is skipped") || !havePeer("sftp", "sftp-many is skipped")) process.exit(0);
const contenders = pick<(c: Case) => Promise<number>>(
  { engine, ...(havePeer("rclone", "the rclone peer is skipped") ? { rclone } : {}), openssh },
  args.only,
);
console.error(
  `sftp-many: ${machineInfo()}; ${args.sizes.join(", ")} files of ${fileSize} B, ${args.runs} run(s)`,
);
const server = await startBenchSshd();
const rows: Array<Array<string | number>> = [];
try {
  await withTempDir("bench-sftp-many", args.keep, async (base) => {
    for (const files of args.sizes) {
      const localRoot = path.join(base, `local-${files}`);
      const tree = writeSourceTree(localRoot, REPRESENTATIONS, Math.ceil(files / REPRESENTATIONS), fileSize);
      const total = readTree(localRoot);
      const runs = Object.fromEntries(
        Object.entries(contenders).map(([name, contender]) => [
          name,
          async (round: number) => {
            const work = tempDir("bench-sftp-many-run");
            const target = path.join(server.root, `${name}-${files}-${round}`);
            const c: Case = { server, tree, localRoot, target, work };
            try {
              if (!args.flag("fresh-folders")) makeFolders(c);
              const logins = server.logins();
              const t = await contender(c);
              console.error(
                `${total} files, run ${round}/${args.runs}: ${name} ${t.toFixed(2)} s ` +
                  `(${(total / t).toFixed(0)} files/s, ${server.logins() - logins} ssh logins)`,
              );
              return t;
            } finally {
              removeDir(target);
              removeDir(work);
            }
          },
        ]),
      );
      const m = medians(await pairedRuns(runs, { runs: args.runs }));
      removeDir(localRoot);
      const rate = (n: string) => (m[n] ? (total / m[n]).toFixed(0) : "-");
      rows.push([total, fixed(m.engine), fixed(m.rclone), fixed(m.openssh), ratio(m.engine, m.rclone)]);
      rows[rows.length - 1]?.push(ratio(m.engine, m.openssh), rate("engine"), rate("rclone"));
    }
  });
} finally {
  await server.stop();
}
console.log(
  `\nOne upload pass (local -> SFTP, loopback sshd), ${fileSize} B files in ${REPRESENTATIONS} representations, ` +
    `engine concurrency ${concurrency}, ${connections} connections; median of ${args.runs} run(s), each including connecting`,
);
console.log(
  table(
    ["files", "engine s", "rclone --transfers 4 s", "openssh sftp put -r s", "engine/rclone"].concat([
      "engine/openssh",
      "engine files/s",
      "rclone files/s",
    ]),
    rows,
  ),
);
if (args.smoke) console.log("sftp-many smoke: OK");
