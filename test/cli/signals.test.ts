/**
 * The first SIGINT or SIGTERM stops every long command cleanly (README
 * "Faults", Signals): transfers aborted, temporary files removed, files back to
 * QUEUED, claims released, nothing published half way; 130 after SIGINT, 143
 * after SIGTERM (0 for the service, whose normal end SIGTERM is). Each command
 * runs as a real process and is signalled while bytes are moving.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { SyncStatus } from "../../lib/store/status.js";
import { registerProvider } from "../../providers/registry.js";
import { createSlowDriveFactory } from "../fixtures/providers/slow-drive-impl.mjs";
import { CLI, publishArgs, runCli } from "../helpers/cli.js";
import type { EngineStudio } from "../helpers/engine.js";
import { hookStudio } from "../helpers/hook.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const env = {
  SITESYNC_PROVIDER_MODULES: path.join(ROOT, "test/fixtures/providers/slow-drive.mjs"),
  SITESYNC_RETRY_BASE_MS: "5",
};
registerProvider(createSlowDriveFactory("slow_drive", 50), { replace: true });

let studio: EngineStudio | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill("SIGKILL");
  child = undefined;
  await studio?.closeAll();
  studio = undefined;
});

/** Every file under `dir` (relative paths). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** Resolves once `check` holds, looking at the file system every few milliseconds. */
function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 5);
  });
}

/** Starts the CLI, waits until `ready`, sends `signal`, and resolves with the exit code and stderr. */
async function interrupt(args: string[], ready: () => boolean, signal: NodeJS.Signals) {
  const started = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, AYON_SITE_ID: "", SITESYNC_HOME: "", SITESYNC_STORE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = started;
  let stderr = "";
  started.stderr?.on("data", (d) => {
    stderr += d;
  });
  started.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => started.on("exit", (code) => resolve(code)));
  await Promise.race([
    until(ready, `a transfer to start (${args[0]})`),
    exited.then((code) => {
      throw new Error(`${args[0]} exited with ${code} before it could be signalled: ${stderr}`);
    }),
  ]);
  started.kill(signal);
  return { code: await exited, stderr };
}

/** A studio whose remote site "slow" copies 64 KiB every 20 ms: a 4 MiB file takes over a second. */
async function slowStudio(): Promise<EngineStudio> {
  const s = await hookStudio({
    remote: "slow",
    sites: (roots) => [
      `- {name: slow, provider: slow_drive, alternative_sites: [studio], slow_drive: {roots: "${roots.studio}", delay_ms: 20, chunk: 65536}}`,
    ],
  });
  studio = s;
  return s;
}

const temporary = (dir: string) => () => filesUnder(dir).some((name) => name.includes(".sitesync-"));

/** After a clean stop: no temporary file anywhere, every file QUEUED with its retries, no claim left. */
async function expectCleanStop(s: EngineStudio, representationId: string) {
  expect(filesUnder(s.localRoot).filter((n) => n.includes(".sitesync-"))).toEqual([]);
  const context = await s.open();
  const [state] = await context.store.getSiteStates("Proj", [representationId], ["artist1"]);
  expect(state?.files.map((f) => [f.status, f.retries])).toEqual(
    state?.files.map(() => [SyncStatus.QUEUED, 0]),
  );
  expect(await context.store.getClaims("Proj", representationId, "artist1")).toEqual([]);
  expect(await context.store.getClaimOwners()).toEqual([]);
}

const stopped = (signal: NodeJS.Signals, serviceLike = false) =>
  signal === "SIGINT" ? 130 : serviceLike ? 0 : 143;

const target = ["--folder", "/assets/characters/hero", "--task", "modeling", "--app", "maya/2024"];

describe.each(["SIGINT", "SIGTERM"] as const)("on %s", (signal) => {
  it("sync --once stops cleanly", async () => {
    const s = await slowStudio();
    const { representationId } = await s.publishFiles({ "scene.ma": Buffer.alloc(4 << 20, 1) });
    const result = await interrupt(
      ["sync", "--project", "Proj", "--once", "--home", s.home],
      temporary(s.localRoot),
      signal,
    );
    expect(result.code, result.stderr).toBe(stopped(signal));
    expect(filesUnder(path.join(s.localRoot, "Proj")).filter((n) => n.endsWith(".ma"))).toEqual([]);
    await expectCleanStop(s, representationId);
  });

  it("syncservice stops cleanly", async () => {
    const s = await slowStudio();
    const { representationId } = await s.publishFiles({ "scene.ma": Buffer.alloc(4 << 20, 2) });
    const result = await interrupt(
      ["syncservice", "--active-site", "artist1", "--home", s.home],
      temporary(s.localRoot),
      signal,
    );
    expect(result.code, result.stderr).toBe(stopped(signal, true));
    await expectCleanStop(s, representationId);
  });

  it("hook run stops cleanly, writing nothing into the work area", async () => {
    const s = await slowStudio();
    const { representationId } = await s.publishFiles({ "scene.ma": Buffer.alloc(4 << 20, 3) });
    const result = await interrupt(
      ["hook", "run", "copy-last-published-workfile", "--project", "Proj", ...target, "--home", s.home],
      temporary(s.localRoot),
      signal,
    );
    expect(result.code, result.stderr).toBe(stopped(signal));
    expect(filesUnder(path.join(s.localRoot, "Proj/assets/characters/hero/work"))).toEqual([]);
    await expectCleanStop(s, representationId);
  });

  it("launch stops cleanly in its hook phase, starting nothing", async () => {
    const s = await slowStudio();
    const { representationId } = await s.publishFiles({ "scene.ma": Buffer.alloc(4 << 20, 4) });
    const result = await interrupt(
      ["launch", "--project", "Proj", ...target, "--home", s.home],
      temporary(s.localRoot),
      signal,
    );
    expect(result.code, result.stderr).toBe(stopped(signal));
    expect(filesUnder(path.join(s.localRoot, "Proj/assets/characters/hero/work"))).toEqual([]);
    await expectCleanStop(s, representationId);
  });

  it("publish stops cleanly, leaving no file and no version", async () => {
    const s = await slowStudio();
    const src = path.join(s.dir, "src");
    for (let i = 0; i < 2000; i++) {
      const dir = path.join(src, "res", `d${i % 20}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `t${i}.png`), `texture ${i}`);
    }
    writeFileSync(path.join(src, "scene.ma"), "scene");
    const result = await interrupt(
      [
        ...publishArgs(path.join(src, "scene.ma")),
        "--resources",
        path.join(src, "res"),
        "--site",
        "studio",
        "--home",
        s.home,
      ],
      () => filesUnder(path.join(s.studioRoot, "Proj")).length > 0,
      signal,
    );
    expect(result.code, result.stderr).toBe(stopped(signal));
    expect(filesUnder(s.studioRoot)).toEqual([]);
    const status = await runCli(["status", "--project", "Proj", "--json", "--home", s.home], { env });
    expect(status.json()).toMatchObject({ total: 0 });
  });
});
