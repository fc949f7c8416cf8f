/**
 * What `sitesync` loads before it does anything: the import profile of the
 * CLI, for `--help` and for a `hook run` with nothing to bring (the noop of
 * bench/hook-noop.mjs), so the costly imports can be made lazy.
 *
 *   npm run build && node bench/hook-startup.mjs [--runs 7]
 *
 * 1. The static import graph of dist/lib/cli/main.js (a dynamic `import()`
 *    is lazy and not followed): what loads whatever the command.
 * 2. The modules a real run loads, traced (an ESM load hook, plus
 *    require.cache at exit for CommonJS), grouped by package: `--help`, and
 *    `hook run` on a task whose workfile exists (a studio is built for it).
 * 3. Each third-party package the noop hook run loads, imported alone in a
 *    fresh process (median of `runs`): its own cost with what it pulls in.
 * 4. The noop hook run's imports one after another in one process: its
 *    third-party packages first, then our modules in the order the run loads
 *    them; each step's marginal cost, adding up to the run's import cost.
 * 5. A CPU profile (`node --cpu-prof`) of the noop hook run, samples grouped
 *    by package: how much is the module loader (resolve, read, compile).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  buildInfo,
  buildStudio,
  CLI,
  cloneArtist,
  ENV,
  hookArgs,
  KiB,
  loadAverage,
  MiB,
  machine,
  ROOT,
  requireBuild,
  resourcePlan,
  stats,
  tempRoot,
  timeProcess,
} from "./hook-lib.mjs";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const runs = Number(option("runs", "7"));
const keep = process.argv.includes("--keep");
requireBuild();
const out = (s) => process.stdout.write(s);
out(`# hook-startup (${machine()})\nmeasuring ${buildInfo()}; load average ${loadAverage()}\n\n`);

const root = tempRoot("hook-startup");
try {
  // 1. Static import graph.
  const STATIC = /(?:^|\n)\s*(?:import|export)\s+(?:[^;]*?\s+from\s+)?["']([^"']+)["']/g;
  const graph = new Map();
  const walk = (file) => {
    if (graph.has(file)) return;
    const entry = { local: [], bare: [] };
    graph.set(file, entry);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(STATIC)) {
      if (spec.startsWith(".")) entry.local.push(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith("node:")) entry.bare.push(spec);
    }
    for (const child of entry.local) walk(child);
  };
  walk(CLI);
  const rel = (f) => path.relative(path.join(ROOT, "dist"), f);
  const chainTo = (spec) => {
    const queue = [[CLI]];
    const seen = new Set([CLI]);
    while (queue.length) {
      const chain = queue.shift();
      const entry = graph.get(chain[chain.length - 1]);
      if (entry.bare.includes(spec)) return chain;
      for (const child of entry.local)
        if (!seen.has(child)) {
          seen.add(child);
          queue.push([...chain, child]);
        }
    }
    return [];
  };
  const bare = [...new Set([...graph.values()].flatMap((e) => e.bare))].sort();
  out(
    `## 1. Static import graph of dist/lib/cli/main.js\n\n${graph.size} of our modules load whatever the command; third-party packages among them, with the chain that loads each:\n\n`,
  );
  for (const spec of bare) out(`- ${spec}: ${chainTo(spec).map(rel).join(" -> ")}\n`);

  // 2. Trace what real runs load.
  const studio = buildStudio(path.join(root, "studio"), {
    workfileBytes: MiB,
    resources: resourcePlan(200, 4 * KiB, 64 * KiB),
  });
  const artist = cloneArtist(studio);
  const first = JSON.parse(timeProcess(process.execPath, hookArgs(artist.home), { cwd: ROOT }).stdout);
  if (first.status !== "copied") throw new Error(`setup: ${JSON.stringify(first)}`);
  const hooksFile = path.join(root, "trace-hooks.mjs");
  const preloadFile = path.join(root, "trace-preload.mjs");
  writeFileSync(
    hooksFile,
    `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(process.env.BENCH_TRACE, "esm " + url + "\\n");
  return next(url, context);
}
`,
  );
  writeFileSync(
    preloadFile,
    `import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";
register(${JSON.stringify(pathToFileURL(hooksFile).href)});
process.on("exit", () => {
  const cache = createRequire(import.meta.url).cache;
  appendFileSync(process.env.BENCH_TRACE, Object.keys(cache).map((f) => "cjs " + f + "\\n").join(""));
});
`,
  );
  const trace = (args) => {
    const file = path.join(root, `trace-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(file, "");
    const result = spawnSync(process.execPath, ["--import", pathToFileURL(preloadFile).href, ...args], {
      cwd: ROOT,
      env: { ...ENV, BENCH_TRACE: file },
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(result.stderr);
    const seen = new Set();
    const modules = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const [kind, ...rest] = line.split(" ");
      if (!kind) continue;
      const where = rest.join(" ");
      const file = kind === "esm" ? (where.startsWith("file:") ? new URL(where).pathname : where) : where;
      if (file === preloadFile || file === hooksFile || seen.has(file)) continue;
      seen.add(file);
      modules.push({ kind, file, url: where });
    }
    return modules;
  };
  const packageOf = (file) => {
    if (file.startsWith("node:")) return "node:builtin";
    const nm = file.lastIndexOf("/node_modules/");
    if (nm >= 0) {
      const parts = file.slice(nm + 14).split("/");
      return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
    }
    if (file.startsWith(path.join(ROOT, "dist"))) return "sitesync (dist)";
    return file;
  };
  const help = trace([CLI, "--help"]);
  const noop = trace(hookArgs(artist.home));
  out(
    `\n## 2. Modules a run loads (files per package, in the order first loaded)\n\n| package | --help | hook run (noop) |\n|---|---:|---:|\n`,
  );
  const groups = (mods) => {
    const g = new Map();
    for (const m of mods) {
      const p = packageOf(m.file);
      if (p !== "node:builtin") g.set(p, (g.get(p) ?? 0) + 1);
    }
    return g;
  };
  const gHelp = groups(help);
  const gNoop = groups(noop);
  for (const p of new Set([...gHelp.keys(), ...gNoop.keys()]))
    out(`| ${p} | ${gHelp.get(p) ?? 0} | ${gNoop.get(p) ?? 0} |\n`);
  const total = (g) => [...g.values()].reduce((a, b) => a + b, 0);
  out(`| **all files (no node: builtins)** | ${total(gHelp)} | ${total(gNoop)} |\n`);

  // 3. Each third-party package the noop loads, alone.
  const importTimes = (specs) => {
    const script = `const t=[];for (const s of ${JSON.stringify(specs)}){const a=performance.now();await import(s);t.push(performance.now()-a);}console.log(JSON.stringify(t));`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: ROOT,
      env: ENV,
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(result.stderr);
    return JSON.parse(result.stdout);
  };
  // Top-level packages only (those the package.json lists), each by its bare name.
  const direct = Object.keys(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies);
  const loadedPackages = [...gNoop.keys()].filter((p) => direct.includes(p));
  out(
    `\n## 3. Third-party packages the noop hook run loads, each imported alone (fresh process, median of ${runs}, ms)\n\n| package | median | min |\n|---|---:|---:|\n`,
  );
  for (const p of loadedPackages) {
    const s = stats(Array.from({ length: runs }, () => importTimes([p])[0]));
    out(`| ${p} | ${s.median.toFixed(1)} | ${s.min.toFixed(1)} |\n`);
  }
  const notLoaded = direct.filter((p) => !gNoop.has(p));
  out(`\nnot loaded by the noop hook run: ${notLoaded.join(", ") || "none"}\n`);

  // 4. Marginal costs: the packages first (in the order the run first loads them), then our modules in
  // the order the run loads them, so a package's cost is its own and a module's is what it alone adds.
  const packagesInOrder = [];
  const ours = [];
  for (const m of noop) {
    const p = packageOf(m.file);
    if (p === "sitesync (dist)") {
      if (m.file !== CLI && m.kind === "esm") ours.push(m.url);
    } else if (direct.includes(p) && !packagesInOrder.includes(p)) packagesInOrder.push(p);
  }
  const sequence = [...packagesInOrder, ...ours];
  const samples = Array.from({ length: runs }, () => importTimes(sequence));
  const steps = sequence.map((spec, i) => ({
    spec: spec.startsWith("file:") ? rel(new URL(spec).pathname) : spec,
    ms: stats(samples.map((s) => s[i])).median,
  }));
  const sum = steps.reduce((a, s) => a + s.ms, 0);
  out(
    `\n## 4. The noop hook run's imports one after another in one process, packages first (marginal ms, median of ${runs}; total ${sum.toFixed(0)} ms)\n\nSteps of 1 ms or more (a package with everything it pulls in; a module with what it alone adds: its own code and our modules not loaded yet):\n\n| step | marginal ms |\n|---|---:|\n`,
  );
  for (const s of steps.filter((x) => x.ms >= 1)) out(`| ${s.spec} | ${s.ms.toFixed(1)} |\n`);
  const small = steps.filter((x) => x.ms < 1);
  out(
    `| ${small.length} other steps under 1 ms each | ${small.reduce((a, s) => a + s.ms, 0).toFixed(1)} |\n`,
  );

  // 5. CPU profile of the noop hook run.
  const profDir = path.join(root, "prof");
  const prof = spawnSync(
    process.execPath,
    ["--cpu-prof", "--cpu-prof-dir", profDir, "--cpu-prof-interval", "100", ...hookArgs(artist.home)],
    { cwd: ROOT, env: ENV, encoding: "utf8" },
  );
  if (prof.status !== 0) throw new Error(prof.stderr);
  const profile = JSON.parse(
    readFileSync(
      path.join(
        profDir,
        readdirSync(profDir).find((f) => f.endsWith(".cpuprofile")),
      ),
      "utf8",
    ),
  );
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groupOf = (node) => {
    const url = node.callFrame.url;
    if (!url)
      return node.callFrame.functionName.startsWith("(") ? node.callFrame.functionName : "(native/builtin)";
    if (url.startsWith("node:")) return "node: internals (module loader, ...)";
    const p = packageOf(url.startsWith("file:") ? new URL(url).pathname : url);
    return p === "sitesync (dist)"
      ? `sitesync ${url
          .slice(url.indexOf("/dist/") + 6)
          .split("/")
          .slice(0, 2)
          .join("/")}`
      : p;
  };
  const totals = new Map();
  let profiled = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const g = groupOf(byId.get(id));
    totals.set(g, (totals.get(g) ?? 0) + dt);
    profiled += dt;
  });
  out(
    `\n## 5. CPU profile of the noop \`hook run\` (self time by where it runs, ms; ${profiled.toFixed(0)} ms profiled)\n\n| where | self ms | share |\n|---|---:|---:|\n`,
  );
  for (const [g, ms] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    out(`| ${g} | ${ms.toFixed(1)} | ${((100 * ms) / profiled).toFixed(0)}% |\n`);
  }
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
