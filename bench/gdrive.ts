/**
 * The gdrive provider against the Drive emulator on 127.0.0.1 (test/gdrive/emulator.ts), issue 15:
 *
 * (a) Requests per file. N files (64 KiB) in R representations, each in its own new folder, uploaded
 *     by engine passes (SyncEngine.runPass: temp name, verify, rename) to a gdrive site, then
 *     downloaded back to a fresh local site; every request the emulator saw, by kind. Goal: at most one
 *     request per file and one per new folder besides the ones that carry bytes. Upstream AYON's
 *     provider first lists every folder of the drive (1000 a page) each time it starts, whatever it
 *     then transfers; that cost grows with the studio's drive, not with the transfer.
 * (b) Throughput of one big file: the provider's upload (as the engine calls it: direct, sha256
 *     asked) and download, against one plain HTTP PUT / GET of the same bytes to the same server
 *     (the emulator's /raw/ endpoint). The emulator runs in a child process (this file with
 *     --emulator-child) so server and client do not share one event loop. Runs interleave.
 *
 *   node dist-bench/bench/gdrive.js [--files 500] [--representations 50] [--sizes 1024] [--runs 3]
 *                                   [--only calls,throughput] [--chunk-mib 8] [--no-wait] [--smoke]
 *
 * Sizes (b) are MiB.
 */
import { fork } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SyncEngine } from "../lib/engine/engine.js";
import { SyncStatus } from "../lib/store/status.js";
import type { SiteProvider } from "../providers/provider.js";
import { createProvider } from "../providers/registry.js";
import {
  type DriveCall,
  type DriveEmulator,
  FOLDER_MIME,
  startDriveEmulator,
} from "../test/gdrive/emulator.js";
import { makeServiceAccount, type ServiceAccountFixture } from "../test/gdrive/fixtures.js";
import { benchArgs } from "./lib/args.js";
import { machineInfo, settle } from "./lib/proc.js";
import { fixed, median, pairedRuns, secondsSince, table } from "./lib/runs.js";
import { listFiles, removeDir, withTempDir } from "./lib/tmp.js";
import { openHome, PROJECT, registerTree, SITE_ID, type SourceFile, writeSourceTree } from "./studio.js";

const MiB = 1024 * 1024;
const VENDOR = "vendor";
const DRIVE = "Bench";
const SITE_ROOT = `/${DRIVE}/site`;

// ---------------------------------------------------------------------------------------------------
// The emulator in its own process: started with the account's key from the environment, its URL sent
// to the parent; "clear" forgets stored bytes (files and raw), "calls" sends the request count.

async function emulatorChild(): Promise<void> {
  const emulator = await startDriveEmulator({
    accounts: [
      { email: process.env.BENCH_GDRIVE_EMAIL ?? "", publicKeyPem: process.env.BENCH_GDRIVE_KEY ?? "" },
    ],
  });
  emulator.addSharedDrive(DRIVE);
  process.on("message", (message: { clear?: string[] }) => {
    if (message.clear) {
      for (const [id, file] of emulator.state)
        if (file.mimeType !== FOLDER_MIME && !message.clear.includes(file.name)) emulator.state.delete(id);
      for (const key of emulator.raw.keys()) if (!message.clear.includes(key)) emulator.raw.delete(key);
      emulator.calls.splice(0);
      process.send?.({ cleared: true });
    }
  });
  process.on("disconnect", () => void emulator.close().finally(() => process.exit(0)));
  process.send?.({ url: emulator.url });
}

// ---------------------------------------------------------------------------------------------------

function args() {
  return benchArgs({
    sizes: "1024",
    smoke: { sizes: [16] },
    options: {
      files: { type: "string" },
      representations: { type: "string" },
      "chunk-mib": { type: "string" },
      /** Do not wait for an idle CPU before each run (a machine others keep busy). */
      "no-wait": { type: "boolean", default: false },
      "emulator-child": { type: "boolean", default: false },
    },
  });
}

function gdriveBlock(account: ServiceAccountFixture, chunkMib: number) {
  const paths = [account.credentialsPath];
  return {
    credentials_url: { windows: paths, linux: paths, darwin: paths },
    roots: SITE_ROOT,
    chunk_size_mib: chunkMib,
    // The pacer is not what is measured here (Google's quota is): let every request through.
    requests_per_second: 1000,
  };
}

const gdriveSite = (account: ServiceAccountFixture, chunkMib: number, siteName = VENDOR): SiteProvider =>
  createProvider("gdrive", {
    siteName,
    config: gdriveBlock(account, chunkMib),
    roots: { work: SITE_ROOT },
  });

// ---------------------------------------------------------------------------------------------------
// (a) requests per file

/** A request's kind, as the table reports it. */
export function kindOf(call: DriveCall): string {
  const { method, path: p, query } = call;
  if (p === "/token") return "token";
  if (p.startsWith("/raw/")) return "raw";
  if (query.upload_id !== undefined) return method === "PUT" ? "chunk" : "session other";
  if (p.startsWith("/upload/")) return `upload ${query.uploadType ?? "?"}`;
  if (p === "/drive/v3/drives") return "list shared drives";
  if (p === "/drive/v3/files") return method === "GET" ? "list" : "create folder";
  if (p.startsWith("/drive/v3/files/")) {
    if (method === "GET") return query.alt === "media" ? "get media" : "get metadata";
    if (method === "PATCH") return "update/rename";
    if (method === "DELETE") return "delete";
  }
  return `${method} ${p}`;
}

const foldersOf = (emulator: DriveEmulator) =>
  [...emulator.state.values()].filter((f) => f.mimeType === FOLDER_MIME).length;

const DATA_KINDS = new Set(["chunk", "upload multipart", "upload media", "get media"]);

function countKinds(calls: DriveCall[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(kindOf(call), (counts.get(kindOf(call)) ?? 0) + 1);
  return counts;
}

function settingsFor(
  account: ServiceAccountFixture,
  home: string,
  localRoot: string,
  chunkMib: number,
  remote: string,
) {
  const j = JSON.stringify;
  return `
studio:
  sitesync:
    enabled: true
    config: {retry_cnt: 3, loop_delay: 60, always_accessible_on: [], active_site: studio, remote_site: studio}
    sites:
      - {name: studio, provider: local_drive, local_drive: {roots: [{name: work, linux: ${j(path.join(home, "studio"))}, windows: "", darwin: ""}]}}
      - name: ${remote}
        provider: gdrive
        gdrive: ${j(gdriveBlock(account, chunkMib))}
site:
  sitesync:
    local_setting:
      active_site: local
      remote_site: ${remote}
      local_roots: [{name: work, path: ${j(localRoot)}}]
`;
}

/** Engine passes until every file of `tree` is OK on `wants`; returns the passes run. */
async function passes(
  home: string,
  localRoot: string,
  account: ServiceAccountFixture,
  tree: SourceFile[][],
  sites: { has: string; wants: string },
  chunkMib: number,
): Promise<{ passes: number; seconds: number }> {
  mkdirSync(home, { recursive: true });
  // The remote site is the one of `sites` that is not this workstation's.
  const remote = sites.has === SITE_ID ? sites.wants : sites.has;
  const context = await openHome(home, settingsFor(account, home, localRoot, chunkMib, remote));
  try {
    const ids = await registerTree(context, tree, sites);
    const engine = new SyncEngine({
      store: context.store,
      settings: context.settings,
      ownSite: context.siteId,
      platform: context.platform,
      retryBaseMs: 10,
    });
    const start = performance.now();
    // gdrive's batch limit (7 representations) makes several passes of one transfer.
    for (let pass = 1; pass <= 100; pass++) {
      const report = await engine.runPass({ projects: [PROJECT] });
      const project = report.projects[0];
      if (project?.skipped) throw new Error(`engine skipped the project: ${project.skipped}`);
      const failed = project?.outcomes.filter((o) => o.status !== "ok") ?? [];
      if (failed.length) throw new Error(`${failed.length} files not ok: ${JSON.stringify(failed[0])}`);
      const states = await context.store.getSiteStates(PROJECT, ids, [sites.wants]);
      const files = states.flatMap((s) => s.files);
      if (files.every((f) => f.status === SyncStatus.OK))
        return { passes: pass, seconds: secondsSince(start) };
    }
    throw new Error("100 passes did not bring every file");
  } finally {
    await context.store.close();
  }
}

/** Every file at its place on the emulated drive with its bytes' md5, and nothing else in the site. */
function verifyDrive(emulator: DriveEmulator, localRoot: string, tree: SourceFile[][]): void {
  const files = [...emulator.state.values()].filter((f) => f.mimeType !== FOLDER_MIME);
  const byId = new Map([...emulator.state.values()].map((f) => [f.id, f]));
  const pathOf = (id: string): string => {
    const file = byId.get(id);
    if (!file) return `/${DRIVE}`;
    return `${pathOf(file.parents[0] ?? "")}/${file.name}`;
  };
  const onDrive = new Map(files.map((f) => [pathOf(f.id), f]));
  for (const file of tree.flat()) {
    const found = onDrive.get(`${SITE_ROOT}/${file.relPath}`);
    const md5 = createHash("md5")
      .update(readFileSync(path.join(localRoot, file.relPath)))
      .digest("hex");
    if (!found || found.size !== file.size || found.md5Checksum !== md5)
      throw new Error(`${file.relPath} is ${found ? "damaged" : "missing"} on the drive`);
  }
  if (onDrive.size !== tree.flat().length)
    throw new Error(
      `the drive holds ${onDrive.size} files, expected ${tree.flat().length} (temp files left?)`,
    );
}

function verifyLocal(localRoot: string, tree: SourceFile[][]): void {
  const found = listFiles(localRoot).length;
  if (found !== tree.flat().length)
    throw new Error(`local site holds ${found} files, expected ${tree.flat().length}`);
  for (const file of tree.flat()) {
    const size = statSync(path.join(localRoot, file.relPath), { throwIfNoEntry: false })?.size;
    if (size !== file.size) throw new Error(`${file.relPath} is ${size ?? "missing"} after the download`);
  }
}

async function callsPerFile(a: ReturnType<typeof args>): Promise<void> {
  const files = a.smoke ? 40 : a.num("files", 500);
  const representations = a.smoke ? 5 : a.num("representations", 50);
  const chunkMib = a.num("chunk-mib", 8);
  const account = makeServiceAccount();
  const emulator = await startDriveEmulator({
    accounts: [{ email: account.clientEmail, publicKeyPem: account.publicKeyPem }],
  });
  emulator.addSharedDrive(DRIVE);
  const before = process.env.SITESYNC_GDRIVE_API_URL;
  process.env.SITESYNC_GDRIVE_API_URL = emulator.url;
  try {
    await withTempDir("bench-gdrive", a.keep, async (base) => {
      const source = path.join(base, "source");
      const tree = writeSourceTree(source, representations, Math.ceil(files / representations), 65536);
      const total = tree.flat().length;
      // The site's root exists beforehand, as a studio's would; making it is not counted.
      // Every provider of a site in one process shares its folder cache (providers/gdrive/paths.ts): the
      // set-up and the download use other site names (same drive, same root), so each starts cold, as
      // a sync service started afresh, or another machine, would.
      await gdriveSite(account, chunkMib, "setup").mkdirs(SITE_ROOT);
      const folders0 = foldersOf(emulator);
      let seen = emulator.calls.length;
      const up = await passes(
        path.join(base, "home-up"),
        source,
        account,
        tree,
        { has: SITE_ID, wants: VENDOR },
        chunkMib,
      );
      const upCalls = countKinds(emulator.calls.slice(seen));
      verifyDrive(emulator, source, tree);
      const newFolders = foldersOf(emulator) - folders0;
      seen = emulator.calls.length;
      const back = path.join(base, "back");
      const down = await passes(
        path.join(base, "home-down"),
        back,
        account,
        tree,
        { has: `${VENDOR}-elsewhere`, wants: SITE_ID },
        chunkMib,
      );
      const downCalls = countKinds(emulator.calls.slice(seen));
      verifyLocal(back, tree);
      const kinds = [...new Set([...upCalls.keys(), ...downCalls.keys()])].sort();
      const per = (n: number | undefined) => ((n ?? 0) / total).toFixed(3);
      const sum = (counts: Map<string, number>, data: boolean) =>
        [...counts]
          .filter(([k]) => k !== "token" && DATA_KINDS.has(k) === data)
          .reduce((s, [, n]) => s + n, 0);
      const rows = kinds.map((k) => [
        k,
        upCalls.get(k) ?? 0,
        per(upCalls.get(k)),
        downCalls.get(k) ?? 0,
        per(downCalls.get(k)),
      ]);
      for (const [label, data] of [
        ["all but data-carrying", false],
        ["data-carrying", true],
      ] as const)
        rows.push([
          label,
          sum(upCalls, data),
          per(sum(upCalls, data)),
          sum(downCalls, data),
          per(sum(downCalls, data)),
        ]);
      const driveFolders = foldersOf(emulator);
      console.log(
        `\n(a) Requests per file: ${total} files of 64 KiB in ${representations} representations (${newFolders} new folders), ` +
          `chunk ${chunkMib} MiB; upload ${up.passes} passes ${fixed(up.seconds)} s, download ${down.passes} passes ${fixed(down.seconds)} s`,
      );
      console.log(table(["kind", "upload", "per file", "download", "per file"], rows));
      const overhead = sum(upCalls, false);
      const goal = total + newFolders;
      const checks = (upCalls.get("list shared drives") ?? 0) + (downCalls.get("list shared drives") ?? 0);
      console.log(
        `upload, requests that carry no bytes: ${overhead}; goal <= files + new folders = ${goal}: ` +
          `${overhead <= goal ? "met" : `over by ${overhead - goal}`}; download: ${sum(downCalls, false)}, ` +
          `goal <= files = ${total}: ${sum(downCalls, false) <= total ? "met" : "NOT met"} ` +
          `(both include isActive's credentials check, one per pass: ${checks} in all)`,
      );
      console.log(
        `upstream AYON lists every folder of the drive at each start: ceil(${driveFolders} / 1000) = ` +
          `${Math.ceil(driveFolders / 1000)} request(s) per pass here, ${Math.ceil(50_000 / 1000)} on a drive of 50,000 folders`,
      );
    });
  } finally {
    if (before === undefined) delete process.env.SITESYNC_GDRIVE_API_URL;
    else process.env.SITESYNC_GDRIVE_API_URL = before;
    await emulator.close();
    account.remove();
  }
}

// ---------------------------------------------------------------------------------------------------
// (b) throughput of one big file

interface Child {
  url: string;
  clear(keep: string[]): Promise<void>;
  stop(): void;
}

async function emulatorProcess(account: ServiceAccountFixture): Promise<Child> {
  const child = fork(process.argv[1] as string, ["--emulator-child"], {
    env: { ...process.env, BENCH_GDRIVE_EMAIL: account.clientEmail, BENCH_GDRIVE_KEY: account.publicKeyPem },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (m: { url?: string }) => (m.url ? resolve(m.url) : reject(new Error("no url"))));
    child.once("exit", (code) => reject(new Error(`the emulator exited ${code}`)));
  });
  return {
    url,
    clear: (keep) =>
      new Promise((resolve) => {
        child.once("message", () => resolve());
        child.send({ clear: keep });
      }),
    stop: () => child.disconnect(),
  };
}

function writeBig(file: string, size: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, "w");
  for (let done = 0; done < size; done += 16 * MiB)
    writeSync(fd, randomBytes(Math.min(16 * MiB, size - done)));
  closeSync(fd);
}

async function throughput(a: ReturnType<typeof args>): Promise<void> {
  const chunkMib = a.num("chunk-mib", 8);
  const account = makeServiceAccount();
  const child = await emulatorProcess(account);
  const before = process.env.SITESYNC_GDRIVE_API_URL;
  process.env.SITESYNC_GDRIVE_API_URL = child.url;
  const rows: Array<Array<string | number>> = [];
  const every: string[] = [];
  try {
    await withTempDir("bench-gdrive-big", a.keep, async (base) => {
      for (const mib of a.sizes) {
        const size = mib * MiB;
        const local = path.join(base, "big.bin");
        writeBig(local, size);
        const site = gdriveSite(account, chunkMib);
        await site.mkdirs(SITE_ROOT);
        const seed = `${SITE_ROOT}/seed.bin`;
        await site.upload(local, seed);
        await fetchOk(`${child.url}raw/seed`, { method: "PUT", ...bodyOf(local, size) });
        const options = { overwrite: false, direct: true, sizeHint: size, hash: "sha256" };
        let round = 0;
        const runs = {
          "provider up": async () => {
            const start = performance.now();
            const result = await site.upload(local, `${SITE_ROOT}/up-${round}.bin`, options);
            const t = secondsSince(start);
            if (result.size !== size) throw new Error(`provider upload: ${result.size} bytes`);
            return t;
          },
          "plain PUT": async () => {
            const start = performance.now();
            await fetchOk(`${child.url}raw/up-${round}`, { method: "PUT", ...bodyOf(local, size) });
            return secondsSince(start);
          },
          "provider down": async () => {
            const out = path.join(base, `down-${round}.bin`);
            const start = performance.now();
            const result = await site.download(seed, out, { ...options, deferSync: true });
            const t = secondsSince(start);
            if (result.size !== size || statSync(out).size !== size)
              throw new Error("provider download: short");
            removeDir(out);
            return t;
          },
          "plain GET": async () => {
            const out = path.join(base, `get-${round}.bin`);
            const start = performance.now();
            const response = await fetchOk(`${child.url}raw/seed`, { method: "GET" });
            await pipeline(Readable.fromWeb(response.body as never), createWriteStream(out));
            const t = secondsSince(start);
            if (statSync(out).size !== size) throw new Error("plain GET: short");
            removeDir(out);
            return t;
          },
        };
        const times = await pairedRuns(runs, {
          runs: a.runs,
          beforeRound: () => {
            round++;
          },
          beforeRun: async () => {
            await child.clear(["seed.bin", "seed"]);
            await settle({ wait: !a.smoke && !a.flag("no-wait") });
          },
          onResult: (name, t, r) => {
            const line = `${mib} MiB, run ${r}/${a.runs}: ${name} ${t.toFixed(2)} s (${(mib / t).toFixed(0)} MiB/s)`;
            every.push(line);
            console.error(line);
          },
        });
        await site.close?.();
        removeDir(local);
        const m = (n: string) => median(times[n] ?? []);
        const rate = (n: string) => (mib / m(n)).toFixed(0);
        const share = (n: string, ref: string) => `${((m(ref) / m(n)) * 100).toFixed(0)}%`;
        const all = (n: string) => (times[n] ?? []).map((t) => (mib / t).toFixed(0)).join(", ");
        rows.push([
          mib,
          "up",
          rate("provider up"),
          rate("plain PUT"),
          share("provider up", "plain PUT"),
          all("provider up"),
          all("plain PUT"),
        ]);
        rows.push([
          mib,
          "down",
          rate("provider down"),
          rate("plain GET"),
          share("provider down", "plain GET"),
          all("provider down"),
          all("plain GET"),
        ]);
      }
    });
  } finally {
    if (before === undefined) delete process.env.SITESYNC_GDRIVE_API_URL;
    else process.env.SITESYNC_GDRIVE_API_URL = before;
    child.stop();
    account.remove();
  }
  console.log(
    `\n(b) One big file, provider (chunk ${chunkMib} MiB, sha256 asked as the engine does) against one plain HTTP request ` +
      `to the same emulator (its own process); median of ${a.runs} interleaved run(s); goal >= 80% of the plain PUT`,
  );
  console.log(
    table(
      [
        "MiB",
        "way",
        "provider MiB/s",
        "plain MiB/s",
        "provider / plain",
        "provider runs MiB/s",
        "plain runs MiB/s",
      ],
      rows,
    ),
  );
}

function bodyOf(file: string, size: number): RequestInit {
  return {
    body: Readable.toWeb(createReadStream(file, { highWaterMark: MiB })) as ReadableStream,
    headers: { "content-length": String(size), "content-type": "application/octet-stream" },
    duplex: "half",
  } as RequestInit;
}

async function fetchOk(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method} ${url}: HTTP ${response.status}`);
  if (init.method !== "GET") await response.body?.cancel();
  return response;
}

async function main(): Promise<void> {
  const a = args();
  const only = a.only ?? ["calls", "throughput"];
  console.error(`gdrive: ${machineInfo()}; ${a.runs} run(s)`);
  if (only.includes("calls")) await callsPerFile(a);
  if (only.includes("throughput")) await throughput(a);
  if (a.smoke) console.log("gdrive smoke: OK");
}

if (process.argv.includes("--emulator-child")) await emulatorChild();
else await main();
