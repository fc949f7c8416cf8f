/**
 * What copying the published folder costs inside Node, by way of copying:
 * the floor under the hook's two copies (studio -> local site, local site ->
 * work area), to tell what the hook's design costs from what its code costs.
 *
 *   npm run build && node bench/hook-copy-floor.mjs [--workfile 100] [--runs 3]
 *
 * The same published folder as bench/hook-transfer.mjs (a `--workfile` MiB
 * `.ma` plus 200 resources, 4 KiB..1 MiB, nested), read once before timing;
 * `sync` before every timed copy; each copy goes to a fresh folder. Timed in
 * this process (no Node start-up), median of `runs`:
 *   cp -r (process)                       the reference of hook-transfer
 *   stream, 1 file at a time              1 MiB chunks through JS, no fsync
 *   stream + fsync, 1 at a time           what the hook's copy into the work area does per file
 *   stream + sha256 + fsync, 8 at a time  what the engine's download does per file
 *   copyFileAtomic (dist), 1 at a time    the real function, as copyResources calls it
 *   copyFileAtomic (dist) + sha256, 8 at a time  as the engine calls it through local_drive
 *   copyFileAtomic (dist), 8 at a time    what copyResources would cost made parallel
 *   fs.copyFile + fsync, 1 at a time      kernel copy, one file at a time
 *   fs.copyFile + fsync, 8 at a time      kernel copy (copy_file_range), no bytes through JS
 *   fs.copyFile, 8 at a time, one sync    durability paid once at the end instead of per file
 */
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, rmSync } from "node:fs";
import { copyFile, mkdir, open } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  buildInfo,
  buildStudio,
  listFiles,
  loadAverage,
  MiB,
  machine,
  mib,
  ROOT,
  requireBuild,
  resourcePlan,
  stats,
  syncDisks,
  tempRoot,
  timeProcess,
  treeBytes,
  warm,
} from "./hook-lib.mjs";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const workfileMiB = Number(option("workfile", "100"));
const runs = Number(option("runs", "3"));
const keep = process.argv.includes("--keep");
requireBuild();

const { copyFileAtomic } = await import(pathToFileURL(path.join(ROOT, "dist/lib/fs/atomic-copy.js")).href);

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function streamCopy(source, target, { fsync, hash }) {
  await mkdir(path.dirname(target), { recursive: true });
  const digest = hash ? createHash("sha256") : undefined;
  const handle = await open(target, "wx");
  try {
    for await (const chunk of createReadStream(source, { highWaterMark: MiB })) {
      let offset = 0;
      while (offset < chunk.length) offset += (await handle.write(chunk, offset)).bytesWritten;
      digest?.update(chunk);
    }
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  return digest?.digest("hex");
}

async function kernelCopy(source, target, { fsync }) {
  await mkdir(path.dirname(target), { recursive: true });
  await copyFile(source, target);
  if (fsync) {
    const handle = await open(target, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

const root = tempRoot("hook-copy-floor");
process.stdout.write(
  `# hook-copy-floor (${machine()})\nmeasuring ${buildInfo()}; load average ${loadAverage()}\n`,
);
try {
  const studio = buildStudio(root, { workfileBytes: workfileMiB * MiB, resources: resourcePlan(200) });
  const src = studio.publishedDir;
  const files = listFiles(src);
  warm(src);
  process.stdout.write(`data in ${root}: ${files.length} files, ${mib(studio.bytes)}, ${runs} runs each\n\n`);
  const each = (n, fn) => async (dest) =>
    pool(files, n, (f) => fn(f, path.join(dest, path.relative(src, f))));
  const strategies = {
    "cp -r (process)": async (dest) => {
      timeProcess("cp", ["-r", src, dest]);
    },
    "stream, 1 file at a time, no fsync": each(1, (s, t) => streamCopy(s, t, { fsync: false })),
    "stream + fsync, 1 at a time (hook's work-area copy)": each(1, (s, t) =>
      streamCopy(s, t, { fsync: true }),
    ),
    "stream + sha256 + fsync, 8 at a time (engine download)": each(8, (s, t) =>
      streamCopy(s, t, { fsync: true, hash: true }),
    ),
    "copyFileAtomic (dist), 1 at a time (copyResources)": each(1, (s, t) => copyFileAtomic(s, t)),
    "copyFileAtomic (dist) + sha256, 8 at a time (local_drive download)": each(8, (s, t) =>
      copyFileAtomic(s, t, { hash: "sha256" }),
    ),
    "copyFileAtomic (dist), 8 at a time (copyResources made parallel)": each(8, (s, t) =>
      copyFileAtomic(s, t),
    ),
    "fs.copyFile + fsync, 1 at a time": each(1, (s, t) => kernelCopy(s, t, { fsync: true })),
    "fs.copyFile + fsync, 8 at a time": each(8, (s, t) => kernelCopy(s, t, { fsync: true })),
    "fs.copyFile, 8 at a time, one sync at the end": async (dest) => {
      await each(8, (s, t) => kernelCopy(s, t, { fsync: false }))(dest);
      syncDisks();
    },
  };
  const results = [];
  for (const [name, fn] of Object.entries(strategies)) {
    const times = [];
    for (let run = 0; run < runs; run++) {
      const dest = path.join(root, `copy-${results.length}-${run}`);
      mkdirSync(path.dirname(dest), { recursive: true });
      syncDisks();
      const start = process.hrtime.bigint();
      await fn(dest);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (treeBytes(dest) !== studio.bytes) throw new Error(`${name}: copied ${treeBytes(dest)} bytes`);
      rmSync(dest, { recursive: true, force: true });
    }
    results.push({ name, ...stats(times), times });
    process.stdout.write(`${name}: ${times.map((t) => t.toFixed(0)).join(", ")} ms\n`);
  }
  const base = results[0].median;
  process.stdout.write(
    `\n## Copying ${files.length} files, ${mib(studio.bytes)} (median of ${runs}, ms)\n\n| how | median | min | max | / cp -r |\n|---|---:|---:|---:|---:|\n`,
  );
  for (const r of results) {
    process.stdout.write(
      `| ${r.name} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ${r.max.toFixed(0)} | ${(r.median / base).toFixed(1)}x |\n`,
    );
  }
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
