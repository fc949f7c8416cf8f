/**
 * One big file through the sftp provider against OpenSSH's `sftp` client, on
 * a private sshd on 127.0.0.1 (loopback: this measures the client's CPU cost
 * per byte, not a network). Every contender is timed from its first
 * connection to its connection closed, upload and download separately:
 *
 * - openssh: `sftp -b <batch>` with `put <file> <remote>` / `get <remote> <file>`
 *   (its defaults: 32 KiB requests, 64 in flight, chacha20-poly1305).
 * - provider: `createProvider("sftp", ...)`, `upload()` to a temp name then
 *   `rename()` into place, `close()`; `download()` to a temp name, `fs.rename`,
 *   `close()`. What the engine asks of the provider, without the engine.
 * - transfer: the engine's transfer path (`transferOnce` of lib/engine/transfer.ts:
 *   mkdirs, upload, stat (the size check), rename; for a download the
 *   verified temporary file is then flushed and renamed by `placeDownloads`),
 *   with a fresh provider.
 * - engine: one `SyncEngine.runPass()` (fresh home, the file registered, the SFTP
 *   site remote): planning, claims, connection check, transfer, state writes.
 *   The site's default `verify: size` checks sizes.
 * - engine-sha256: the same on a site with `verify: sha256` (the bytes hashed on
 *   the way and checked against the publish).
 *
 * With --tune, ssh2-sftp-client is driven directly (as the provider does) with
 * other fastPut/fastGet `concurrency`/`chunkSize` and ciphers, with and without
 * TCP_NODELAY (see Tweaks in sftp-common.ts), next to OpenSSH with its default
 * cipher and with AES-GCM. The provider before commit 7702ae0 was
 * "ssh2 gcm c64 32K" without TCP_NODELAY; since then it is "ssh2 gcm c16 255K nodelay".
 *
 *   node dist-bench/bench/sftp-big.js [--sizes 64,256,1024] [--runs 3]
 *                                     [--only openssh,provider,transfer,engine,engine-sha256] [--smoke]
 *   node dist-bench/bench/sftp-big.js --tune [--sizes 256,1024] [--runs 3] [--variants a,b]
 *
 * Sizes are MiB. Before each timed run dirty pages are flushed and the CPUs
 * must be idle (<= 15% busy for 1 s: the machine is shared). Runs rotate the
 * contenders' order; tables show medians.
 */

import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { SyncEngine } from "../lib/engine/engine.js";
import { placeDownloads, transferOnce } from "../lib/engine/transfer.js";
import type { FileJob } from "../lib/engine/types.js";
import { SyncStatus } from "../lib/store/status.js";
import { createProvider } from "../providers/registry.js";
import { cpuSince, cpuTimes, machineBusy, threadsSince, threadTimes } from "./cpu.js";
import { startProfile } from "./profile.js";
import {
  type BenchSshd,
  chown,
  openSftpStudio,
  opensshSftp,
  osInfo,
  patchSsh2,
  registerFor,
  type SftpBenchOptions,
  settle,
  sftpConfig,
  startBenchSshd,
  type Tweaks,
  timeCommand,
  VENDOR,
  withTweaks,
} from "./sftp-common.js";
import {
  median,
  PROJECT,
  publishDir,
  removeDir,
  SITE_ID,
  type SourceFile,
  table,
  tempDir,
} from "./studio.js";

const MiB = 1024 * 1024;
const { values: args } = parseArgs({
  options: {
    sizes: { type: "string" },
    runs: { type: "string", default: "3" },
    only: { type: "string" },
    tune: { type: "boolean", default: false },
    variants: { type: "string" },
    smoke: { type: "boolean", default: false },
  },
});
const smoke = args.smoke ?? false;
const tune = args.tune ?? false;
const sizes = smoke
  ? [16]
  : (args.sizes ?? (tune ? "256,1024" : "64,256,1024")).split(",").map((s) => Number(s.trim()));
const runs = smoke ? 1 : Number(args.runs);

type Direction = "up" | "down";
/** One timed transfer: the source file, where to put it; resolves with seconds. */
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
type Contender = Record<Direction, (c: Case) => Promise<number>>;

const seconds = (start: number) => (performance.now() - start) / 1000;

function providerFor(server: BenchSshd, root: string) {
  return createProvider("sftp", {
    siteName: VENDOR,
    config: sftpConfig(server, root),
    roots: { work: root },
  });
}

const openssh = (extra: string[] = []): Contender => ({
  up: async (c) => {
    const remote = path.join(c.target, path.basename(c.file.relPath));
    const batch = path.join(c.work, "batch-up");
    writeBatch(batch, `put ${path.join(c.localRoot, c.file.relPath)} ${remote}\n`);
    const t = timeCommand(opensshSftp(c.server, batch, extra));
    checkSize(remote, c.file.size);
    return t;
  },
  down: async (c) => {
    const local = path.join(c.target, path.basename(c.file.relPath));
    const batch = path.join(c.work, "batch-down");
    writeBatch(batch, `get ${path.join(c.seedRoot, c.file.relPath)} ${local}\n`);
    const t = timeCommand(opensshSftp(c.server, batch, extra));
    checkSize(local, c.file.size);
    return t;
  },
});

function writeBatch(file: string, text: string): void {
  const fd = openSync(file, "w");
  writeSync(fd, text);
  closeSync(fd);
}

function checkSize(file: string, size: number): void {
  const found = statSync(file).size;
  if (found !== size) throw new Error(`${file} has ${found} bytes, expected ${size}`);
}

const provider: Contender = {
  up: async (c) => {
    const final = path.join(c.target, path.basename(c.file.relPath));
    const temp = path.join(c.target, `.${path.basename(c.file.relPath)}.bench.part`);
    const start = performance.now();
    const p = providerFor(c.server, c.target);
    await p.upload(path.join(c.localRoot, c.file.relPath), temp, { overwrite: false, direct: true });
    await p.rename(temp, final, { overwrite: true });
    await p.close?.();
    const t = seconds(start);
    checkSize(final, c.file.size);
    return t;
  },
  down: async (c) => {
    const final = path.join(c.target, path.basename(c.file.relPath));
    const temp = `${final}.part`;
    const start = performance.now();
    const p = providerFor(c.server, c.seedRoot);
    const profiler = await startProfile();
    await p.download(path.join(c.seedRoot, c.file.relPath), temp, { overwrite: false, direct: true });
    await profiler.stop();
    renameSync(temp, final);
    await p.close?.();
    const t = seconds(start);
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
      name: path.basename(c.file.relPath),
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
    const t = seconds(start);
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
    const t = seconds(start);
    checkSize(path.join(c.target, c.file.relPath), c.file.size);
    return t;
  },
};

async function enginePass(
  c: Case,
  direction: "upload" | "download",
  options: SftpBenchOptions = {},
): Promise<number> {
  const [localRoot, remoteRoot] = direction === "upload" ? [c.localRoot, c.target] : [c.target, c.seedRoot];
  const context = await openSftpStudio(
    path.join(c.work, `home-${direction}`),
    localRoot,
    c.server,
    remoteRoot,
    options,
  );
  try {
    await registerFor(context, [[c.file]], direction);
    const engine = new SyncEngine({
      store: context.store,
      settings: context.settings,
      ownSite: context.siteId,
      platform: context.platform,
      retryBaseMs: 10,
    });
    await settle();
    const start = performance.now();
    const profiler = direction === "download" ? await startProfile() : undefined;
    const report = await engine.runPass({ projects: [PROJECT] });
    const t = seconds(start);
    await profiler?.stop();
    const project = report.projects[0];
    if (project?.skipped) throw new Error(`engine skipped the project: ${project.skipped}`);
    const failed = project?.outcomes.filter((o) => o.status !== "ok") ?? [];
    if (project?.outcomes.length !== 1 || failed.length)
      throw new Error(`engine pass: ${JSON.stringify(project?.outcomes.map((o) => o.status))}`);
    const site = direction === "upload" ? VENDOR : SITE_ID;
    const [state] = await context.store.getSiteStates(
      PROJECT,
      [project.outcomes[0]?.job.representationId ?? ""],
      [site],
    );
    if (state?.files[0]?.status !== SyncStatus.OK) throw new Error("store does not say OK after the pass");
    checkSize(path.join(direction === "upload" ? c.target : c.target, c.file.relPath), c.file.size);
    return t;
  } finally {
    await context.store.close();
    removeDir(path.join(c.work, `home-${direction}`));
  }
}

const engine: Contender = { up: (c) => enginePass(c, "upload"), down: (c) => enginePass(c, "download") };
/** The engine on a site with `verify: sha256`: the bytes are also hashed and checked against the publish. */
const engineSha256: Contender = {
  up: (c) => enginePass(c, "upload", { verify: "sha256" }),
  down: (c) => enginePass(c, "download", { verify: "sha256" }),
};

/** The same contender with Tweaks on (TCP_NODELAY, other fastPut/fastGet options: see sftp-common.ts). */
function tweaked(set: Tweaks, contender: Contender): Contender {
  return {
    up: (c) => withTweaks(set, () => contender.up(c)),
    down: (c) => withTweaks(set, () => contender.down(c)),
  };
}
const noDelay = (contender: Contender) => tweaked({ noDelay: true }, contender);

/** ssh2-sftp-client driven directly, as the provider does, with other options (for --tune). */
function raw(options: { cipher?: string; concurrency: number; chunkSize: number }): Contender {
  const session = async (c: Case, work: (client: import("ssh2-sftp-client")) => Promise<unknown>) => {
    const { default: Client } = await import("ssh2-sftp-client");
    const { readFileSync } = await import("node:fs");
    const start = performance.now();
    const client = new Client("bench");
    await client.connect({
      host: c.server.host,
      port: c.server.port,
      username: c.server.user,
      // ssh2 reads the key itself (only the provider's own key parsing is broken, see sftp-common.ts).
      privateKey: readFileSync(c.server.keyPath, "utf8"),
      readyTimeout: 30_000,
      ...(options.cipher ? { algorithms: { cipher: [options.cipher] as never } } : {}),
    });
    await work(client);
    await client.end();
    return seconds(start);
  };
  const xfer = { concurrency: options.concurrency, chunkSize: options.chunkSize, step: () => {} };
  return {
    up: async (c) => {
      const remote = path.join(c.target, path.basename(c.file.relPath));
      const t = await session(c, (client) =>
        client.fastPut(path.join(c.localRoot, c.file.relPath), remote, xfer),
      );
      checkSize(remote, c.file.size);
      return t;
    },
    down: async (c) => {
      const local = path.join(c.target, path.basename(c.file.relPath));
      const t = await session(c, (client) =>
        client.fastGet(path.join(c.seedRoot, c.file.relPath), local, xfer),
      );
      checkSize(local, c.file.size);
      return t;
    },
  };
}

const GCM = "aes128-gcm@openssh.com";
const CHACHA = "chacha20-poly1305@openssh.com";
const tuneVariants: Record<string, Contender> = {
  "openssh (chacha20)": openssh(),
  "openssh aes128-gcm": openssh(["-c", GCM]),
  "ssh2 gcm c64 32K (provider before)": raw({ cipher: GCM, concurrency: 64, chunkSize: 32768 }),
  "ssh2 gcm c64 32K nodelay": noDelay(raw({ cipher: GCM, concurrency: 64, chunkSize: 32768 })),
  "ssh2 chacha20 c64 32K nodelay": noDelay(raw({ cipher: CHACHA, concurrency: 64, chunkSize: 32768 })),
  "ssh2 aes128-ctr c64 32K nodelay": noDelay(
    raw({ cipher: "aes128-ctr", concurrency: 64, chunkSize: 32768 }),
  ),
  "ssh2 gcm c16 32K nodelay": noDelay(raw({ cipher: GCM, concurrency: 16, chunkSize: 32768 })),
  "ssh2 gcm c128 32K nodelay": noDelay(raw({ cipher: GCM, concurrency: 128, chunkSize: 32768 })),
  "ssh2 gcm c32 64K nodelay": noDelay(raw({ cipher: GCM, concurrency: 32, chunkSize: 65536 })),
  "ssh2 gcm c16 128K nodelay": noDelay(raw({ cipher: GCM, concurrency: 16, chunkSize: 131072 })),
  "ssh2 gcm c8 255K nodelay": noDelay(raw({ cipher: GCM, concurrency: 8, chunkSize: 261120 })),
  "ssh2 gcm c16 255K nodelay (provider now)": noDelay(
    raw({ cipher: GCM, concurrency: 16, chunkSize: 261120 }),
  ),
};
const mainContenders: Record<string, Contender> = {
  openssh: openssh(),
  provider,
  transfer,
  engine,
  "engine-sha256": engineSha256,
};
const contenders = tune ? tuneVariants : mainContenders;
const only = (args.only ?? args.variants)?.split(",").map((s) => s.trim());
for (const name of Object.keys(contenders)) if (only && !only.includes(name)) delete contenders[name];
const names = Object.keys(contenders);
if (names.length === 0) throw new Error("no contender left after --only/--variants");

/** Writes `size` random bytes under root at a publish path; returns it as a SourceFile. */
function writeBig(root: string, size: number): SourceFile {
  const relPath = `${publishDir(0)}/BN_hero_big_v001.bin`;
  const full = path.join(root, relPath);
  mkdirSync(path.dirname(full), { recursive: true });
  const fd = openSync(full, "w");
  const digest = createHash("sha256");
  const block = 16 * MiB;
  for (let done = 0; done < size; done += block) {
    const chunk = randomBytes(Math.min(block, size - done));
    digest.update(chunk);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  return { relPath, size, sha256: digest.digest("hex"), hash: `bench-${size}` };
}

console.error(`sftp-big: ${osInfo()}; sizes ${sizes.join(", ")} MiB, ${runs} run(s), ${names.join(", ")}`);
await patchSsh2();
const server = await startBenchSshd();
const base = tempDir("bench-sftp-big");
const rows: Array<Array<string | number>> = [];
const allTimes: Record<string, Record<string, number[]>> = {};
let connectTable = "";
try {
  if (!tune) {
    // Connect, authenticate, open the SFTP channel, close: what every timing above includes once.
    const work = path.join(base, "connect");
    mkdirSync(work, { recursive: true });
    const batch = path.join(work, "batch");
    writeBatch(batch, "pwd\n");
    const connect: Record<string, number[]> = { openssh: [], provider: [] };
    for (let run = 0; run < (smoke ? 1 : 5); run++) {
      await settle();
      connect.openssh?.push(timeCommand(opensshSftp(server, batch)));
      await settle();
      const start = performance.now();
      const p = providerFor(server, server.root);
      const check = await p.isActive();
      await p.close?.();
      connect.provider?.push(seconds(start));
      if (!check.active) throw new Error(`provider not active: ${check.reason}`);
    }
    connectTable = table(
      ["", ...Object.keys(connect)],
      [["connect + close, median s", ...Object.values(connect).map((t) => median(t).toFixed(3))]],
    );
    rmSync(work, { recursive: true, force: true });
  }
  for (const mib of sizes) {
    const size = mib * MiB;
    const localRoot = path.join(base, "local");
    const file = writeBig(localRoot, size);
    // The server's copy for the downloads, owned by the sftp user (root copies it: no SFTP involved).
    const seedRoot = path.join(server.root, "seed");
    mkdirSync(path.dirname(path.join(seedRoot, file.relPath)), { recursive: true });
    copyFileSync(path.join(localRoot, file.relPath), path.join(seedRoot, file.relPath));
    const times: Record<string, number[]> = {};
    allTimes[mib] = times;
    for (let run = 0; run < runs; run++) {
      // Rotate the order so no contender always runs right after the same other one.
      const order = names.map((_, i) => names[(i + run) % names.length] as string);
      for (const direction of ["up", "down"] as const) {
        for (const name of order) {
          const work = path.join(base, "work");
          mkdirSync(work, { recursive: true });
          const target = direction === "up" ? path.join(server.root, "up") : path.join(base, "down");
          mkdirSync(target, { recursive: true });
          if (direction === "up") chown(server, target);
          const c: Case = { server, file, localRoot, seedRoot, target, work };
          const contender = contenders[name] as Contender;
          let busy = 0;
          if (!name.startsWith("engine")) busy = await settle(); // the engine settles after its setup
          const [cpu0, machine0, threads0] = [cpuTimes(), machineBusy(), threadTimes()];
          const t = await contender[direction](c);
          const [cpu, machine] = [cpuSince(cpu0), machineBusy() - machine0];
          const key = `${name} ${direction}`;
          if (process.env.BENCH_THREADS) console.error(`  threads: ${threadsSince(threads0)}`);
          times[key] ??= [];
          times[key].push(t);
          console.error(
            `${mib} MiB run ${run + 1}/${runs}: ${key} ${t.toFixed(2)} s (${(size / MiB / t).toFixed(0)} MiB/s)` +
              (!name.startsWith("engine") ? ` [cpu ${(busy * 100).toFixed(0)}% before]` : "") +
              ` cpu s: node ${cpu.own.toFixed(2)}, its children ${cpu.reaped.toFixed(2)}, machine ${machine.toFixed(2)}`,
          );
          rmSync(target, { recursive: true, force: true });
          rmSync(work, { recursive: true, force: true });
        }
      }
    }
    rmSync(seedRoot, { recursive: true, force: true });
    removeDir(localRoot);
    const ref = (direction: Direction) =>
      median(times[`${tune ? names[0] : "openssh"} ${direction}`] ?? [Number.NaN]);
    for (const name of names) {
      const up = median(times[`${name} up`] ?? []);
      const down = median(times[`${name} down`] ?? []);
      rows.push([
        mib,
        name,
        up.toFixed(2),
        (mib / up).toFixed(0),
        (up / ref("up")).toFixed(2),
        down.toFixed(2),
        (mib / down).toFixed(0),
        (down / ref("down")).toFixed(2),
      ]);
    }
  }
} finally {
  await server.stop();
  removeDir(base);
}

const refName = tune ? names[0] : "openssh";
console.log(
  `\n${tune ? "Tuning" : "One big file"}, loopback sshd, median of ${runs} run(s), each from connect to close; ratio = time / ${refName}'s time`,
);
console.log(
  table(
    ["MiB", "contender", "up s", "up MiB/s", `up / ${refName}`, "down s", "down MiB/s", `down / ${refName}`],
    rows,
  ),
);
if (connectTable)
  console.log(
    `\nConnecting alone (sftp -b with "pwd"; createProvider + isActive() + close()), median of 5; every client logs in with the same key:\n${connectTable}`,
  );
console.log(`\nraw times (s): ${JSON.stringify(allTimes)}`);
if (smoke) console.log("sftp-big smoke: OK");
