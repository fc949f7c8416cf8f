/**
 * Many small files uploaded by one engine pass to an SFTP site, against
 * `rclone copy` to the same private sshd on 127.0.0.1. N files of 64 KiB are
 * written under the artist's local root in the publish layout, 20
 * representations of N/20 files (sftp's batch limit is 20 representations,
 * so one pass takes them all), and registered with `store.registerPublish`:
 * the artist's site OK, the SFTP site `vendor` QUEUED. Per run:
 *
 * - engine: a fresh home and a fresh folder on the server, the catalog
 *   registered, then one timed `engine.runPass()` (default concurrency 16,
 *   the site's default 4 connections). Afterwards every file must be on the
 *   server with its size, no temp file left, and the store must say OK.
 * - rclone: `rclone copy --transfers 4` of the local root to a fresh folder
 *   on the server (sftp remote, key auth, known_hosts checked). rclone's
 *   defaults: it also sets each file's mtime and checks each upload's MD5 by
 *   running `md5sum` on the server.
 * - openssh: OpenSSH `sftp -b` with `put -r` (one connection, one file at a
 *   time): a single-connection reference.
 *
 * The target's folders are made on the server before each run (see
 * makeFolders; --fresh-folders skips that). Each timing includes connecting. Before each timed run dirty pages are
 * flushed and the CPUs must be idle. Runs rotate the contenders' order.
 * With --profile, one more engine pass (untimed in the table) counts the SFTP
 * requests sent per file and the time spent in each provider method.
 *
 *   node dist-bench/bench/sftp-many.js [--sizes 500,2000] [--runs 3] [--file-size 65536]
 *                                      [--only engine,rclone,openssh]
 *                                      [--connections 4] [--concurrency 16] [--profile] [--fresh-folders] [--smoke]
 */
import { chownSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CONCURRENCY, SyncEngine } from "../lib/engine/engine.js";
import { SyncStatus } from "../lib/store/status.js";
import { createProvider } from "../providers/registry.js";
import {
  type BenchSshd,
  openSftpStudio,
  opensshSftp,
  osInfo,
  rcloneConfig,
  registerFor,
  settle,
  startBenchSshd,
  timeCommand,
  VENDOR,
} from "./sftp-common.js";
import {
  median,
  PROJECT,
  readTree,
  removeDir,
  type SourceFile,
  table,
  tempDir,
  writeSourceTree,
} from "./studio.js";

/** sftp's batch limit: one pass takes at most 20 representations. */
const REPRESENTATIONS = 20;

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "500,2000" },
    runs: { type: "string", default: "3" },
    "file-size": { type: "string", default: "65536" },
    only: { type: "string" },
    connections: { type: "string" },
    concurrency: { type: "string" },
    profile: { type: "boolean", default: false },
    "fresh-folders": { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
  },
});
const smoke = args.smoke ?? false;
const sizes = smoke ? [40] : (args.sizes ?? "").split(",").map((s) => Number(s.trim()));
const runs = smoke ? 1 : Number(args.runs);
const fileSize = Number(args["file-size"]);
const connections = args.connections ? Number(args.connections) : undefined;
const concurrency = args.concurrency ? Number(args.concurrency) : undefined;

interface Case {
  server: BenchSshd;
  tree: SourceFile[][];
  localRoot: string;
  /** A fresh folder on the server (not created yet). */
  target: string;
  work: string;
}
type Contender = (c: Case) => Promise<number>;

const seconds = (start: number) => (performance.now() - start) / 1000;

/**
 * Makes the target's folders on the server (owned by the sftp user) before a
 * run, unless --fresh-folders: the provider's mkdirs races when parallel jobs
 * create the same new folder (both see it missing, the second mkdir gets
 * SSH_FX_FAILURE, which ssh2-sftp-client reports as "Bad path: ... permission
 * denied" and the provider as a permanent error), so an engine pass into new
 * folders fails files. Every contender starts from the same made folders.
 */
function makeFolders(c: Case): void {
  const { uid, gid } = statSync(c.server.root);
  const made = new Set<string>();
  for (const file of c.tree.flat()) {
    let dir = path.dirname(path.join(c.target, file.relPath));
    while (dir.startsWith(c.target) && !made.has(dir)) {
      made.add(dir);
      dir = path.dirname(dir);
    }
  }
  for (const dir of [...made].sort()) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, uid, gid);
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** Every file at its place on the server with its size, and nothing else there. */
function verifyServer(name: string, c: Case): void {
  const expected = c.tree.flat();
  for (const file of expected) {
    const full = path.join(c.target, file.relPath);
    let size = -1;
    try {
      size = statSync(full).size;
    } catch {
      // missing
    }
    if (size !== file.size) throw new Error(`${name}: ${file.relPath} is ${size} bytes on the server`);
  }
  const found = filesUnder(c.target).length;
  if (found !== expected.length)
    throw new Error(`${name}: the server holds ${found} files, expected ${expected.length}`);
}

async function enginePass(c: Case): Promise<number> {
  const home = path.join(c.work, "home");
  const context = await openSftpStudio(home, c.localRoot, c.server, c.target, { connections });
  try {
    const ids = await registerFor(context, c.tree, "upload");
    const engine = new SyncEngine({
      store: context.store,
      settings: context.settings,
      ownSite: context.siteId,
      platform: context.platform,
      retryBaseMs: 10,
      ...(concurrency ? { concurrency } : {}),
    });
    await settle();
    const start = performance.now();
    const report = await engine.runPass({ projects: [PROJECT] });
    const t = seconds(start);
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
    removeDir(home);
  }
}

const engine: Contender = enginePass;

const rclone: Contender = async (c) => {
  const config = rcloneConfig(c.server, c.work);
  await settle();
  const t = timeCommand([
    "rclone",
    "copy",
    "--config",
    config,
    "-q",
    "--transfers",
    "4",
    c.localRoot,
    `srv:${c.target}`,
  ]);
  verifyServer("rclone", c);
  return t;
};

const openssh: Contender = async (c) => {
  const batch = path.join(c.work, "batch");
  writeFileSync(batch, `put -r ${path.join(c.localRoot, PROJECT)} ${c.target}/\n`);
  await settle();
  const t = timeCommand(opensshSftp(c.server, batch));
  verifyServer("openssh", c);
  return t;
};

const contenders: Record<string, Contender> = {
  engine,
  rclone,
  openssh,
};
const only = args.only?.split(",").map((s) => s.trim());
for (const name of Object.keys(contenders)) if (only && !only.includes(name)) delete contenders[name];
const names = Object.keys(contenders);

/**
 * Counts SFTP requests by type (ssh2's SFTP methods) and the time spent in
 * each sftp provider method (pool waits included) during `work`.
 */
async function profiled(work: () => Promise<void>): Promise<{
  requests: Record<string, number>;
  methods: Record<string, { calls: number; ms: number }>;
}> {
  const { SFTP } = (await import("ssh2/lib/protocol/SFTP.js" as string)) as {
    SFTP: { prototype: Record<string, unknown> };
  };
  const requests: Record<string, number> = {};
  const methods: Record<string, { calls: number; ms: number }> = {};
  const restore: Array<() => void> = [];
  const wrap = (
    target: Record<string, unknown>,
    name: string,
    count: (name: string, ms: number | undefined) => void,
  ) => {
    const original = target[name] as (...a: unknown[]) => unknown;
    target[name] = function (this: unknown, ...a: unknown[]) {
      const start = performance.now();
      const result = original.apply(this, a);
      if (result instanceof Promise) return result.finally(() => count(name, performance.now() - start));
      count(name, undefined);
      return result;
    };
    restore.push(() => {
      target[name] = original;
    });
  };
  const sftpRequests = ["open", "close", "write", "read", "fstat", "stat", "lstat", "rename", "mkdir"];
  for (const name of [...sftpRequests, "ext_openssh_rename", "realpath", "readdir", "unlink", "setstat"])
    wrap(SFTP.prototype, name, (n) => {
      requests[n] = (requests[n] ?? 0) + 1;
    });
  const probe = createProvider("sftp", { siteName: "probe", config: {}, roots: {} });
  const providerProto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  for (const name of ["isActive", "stat", "mkdirs", "upload", "rename", "remove", "close"])
    wrap(providerProto, name, (n, ms) => {
      const entry = methods[n] ?? { calls: 0, ms: 0 };
      entry.calls += 1;
      entry.ms += ms ?? 0;
      methods[n] = entry;
    });
  try {
    await work();
  } finally {
    for (const undo of restore) undo();
  }
  return { requests, methods };
}

console.error(
  `sftp-many: ${osInfo()}; ${sizes.join(", ")} files of ${fileSize} B, ${runs} run(s), ${names.join(", ")}; every client logs in with the same key`,
);
const server = await startBenchSshd();
const base = tempDir("bench-sftp-many");
const rows: Array<Array<string | number>> = [];
const allTimes: Record<string, Record<string, number[]>> = {};
let profile = "";
try {
  for (const files of sizes) {
    const perRepresentation = Math.ceil(files / REPRESENTATIONS);
    const localRoot = path.join(base, `local-${files}`);
    const tree = writeSourceTree(localRoot, REPRESENTATIONS, perRepresentation, fileSize);
    readTree(localRoot);
    const total = tree.flat().length;
    const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    allTimes[total] = times;
    for (let run = 0; run < runs; run++) {
      const order = names.map((_, i) => names[(i + run) % names.length] as string);
      for (const name of order) {
        const work = tempDir("bench-sftp-many-run");
        const target = path.join(server.root, `${name.replace(/\W/g, "_")}-${files}-${run}`);
        const c: Case = { server, tree, localRoot, target, work };
        try {
          if (!args["fresh-folders"]) makeFolders(c);
          const logins = server.logins();
          const t = await (contenders[name] as Contender)(c);
          times[name]?.push(t);
          console.error(
            `${total} files, run ${run + 1}/${runs}: ${name} ${t.toFixed(2)} s ` +
              `(${(total / t).toFixed(0)} files/s, ${server.logins() - logins} ssh logins)`,
          );
        } finally {
          // Removed right away: a run's files are not needed and deleting them is cheap here.
          rmSync(target, { recursive: true, force: true });
          removeDir(work);
        }
      }
    }
    if (args.profile && !smoke) {
      {
        const work = tempDir("bench-sftp-many-run");
        const target = path.join(server.root, `profile-${files}`);
        const c: Case = { server, tree, localRoot, target, work };
        if (!args["fresh-folders"]) makeFolders(c);
        let t = 0;
        const found = await profiled(async () => {
          t = await enginePass(c);
        });
        rmSync(target, { recursive: true, force: true });
        removeDir(work);
        const perFile = (n: number) => (n / total).toFixed(2);
        const requests = Object.entries(found.requests).sort((a, b) => b[1] - a[1]);
        const sum = requests.reduce((a, [, v]) => a + v, 0);
        profile +=
          `\nProfile of one engine pass, ${total} files, ${t.toFixed(2)} s (not in the table):\n` +
          `- SFTP requests per file: ${requests.map(([k, v]) => `${k} ${perFile(v)}`).join(", ")} (total ${perFile(sum)})\n` +
          `- provider methods, calls per file x mean ms per call (pool wait included): ${Object.entries(
            found.methods,
          )
            .map(([k, v]) => `${k} ${perFile(v.calls)} x ${(v.ms / v.calls).toFixed(2)} ms`)
            .join(", ")}\n`;
      }
    }
    removeDir(localRoot);
    const m = Object.fromEntries(Object.entries(times).map(([n, t]) => [n, median(t)]));
    const ratio = (a: string, b: string) => (m[a] && m[b] ? (m[a] / m[b]).toFixed(2) : "-");
    const secs = (n: string) => (m[n] ? m[n].toFixed(2) : "-");
    const rate = (n: string) => (m[n] ? (total / m[n]).toFixed(0) : "-");
    rows.push([
      total,
      secs("engine"),
      secs("rclone"),
      secs("openssh"),
      ratio("engine", "rclone"),
      ratio("engine", "openssh"),
      rate("engine"),
      rate("rclone"),
    ]);
  }
} finally {
  await server.stop();
  removeDir(base);
}

console.log(
  `\nOne upload pass (local -> SFTP, loopback sshd), ${fileSize} B files in ${REPRESENTATIONS} representations, ` +
    `engine concurrency ${concurrency ?? DEFAULT_CONCURRENCY}, ${connections ?? 4} connections; median of ${runs} run(s), each including connecting`,
);
console.log(
  table(
    [
      "files",
      "engine s",
      "rclone --transfers 4 s",
      "openssh sftp put -r s",
      "engine/rclone",
      "engine/openssh",
      "engine files/s",
      "rclone files/s",
    ],
    rows,
  ),
);
if (profile) console.log(profile);
console.log(`\nraw times (s): ${JSON.stringify(allTimes)}`);
if (smoke) console.log("sftp-many smoke: OK");
