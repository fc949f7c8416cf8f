/**
 * Faults a pass must outlive (README "Faults"): a file whose path a site
 * cannot resolve, a provider that throws plain Errors, a site that cannot be
 * used, and a store another process keeps locked. Real processes, real files,
 * a real second SQLite connection holding the write lock.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { registerProvider } from "../../providers/registry.js";
import { createSlowDriveFactory } from "../fixtures/providers/slow-drive-impl.mjs";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { type RunningService, startService } from "../helpers/service.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SLOW_MODULE = path.join(ROOT, "test/fixtures/providers/slow-drive.mjs");
// The in-process engine of the helpers validates settings too: it must know the fixture provider.
registerProvider(createSlowDriveFactory("slow_drive", 50), { replace: true });
const env = { SITESYNC_PROVIDER_MODULES: SLOW_MODULE, SITESYNC_RETRY_BASE_MS: "5" };

let studio: EngineStudio | undefined;
let service: RunningService | undefined;
let locker: ChildProcess | undefined;
afterEach(async () => {
  await service?.stop("SIGKILL");
  service = undefined;
  locker?.kill("SIGKILL");
  locker = undefined;
  await studio?.closeAll();
  studio = undefined;
});

/** A remote site "slow" over the studio folder with the fixture provider's faults switched on. */
function faultySettings(roots: { studio: string; local: string }, slow: string, config = "{}"): string {
  return artistSettings(roots, {
    config,
    remote: "slow",
    sites: [
      `- {name: slow, provider: slow_drive, alternative_sites: [studio], slow_drive: {roots: "${roots.studio}", ${slow}}}`,
    ],
  });
}

function sync(home: string, ...extra: string[]) {
  return runCli(["sync", "--project", "Proj", "--once", "--json", "--home", home, ...extra], { env });
}

interface SyncJson {
  projects: Array<{
    transferred: number;
    problem?: boolean;
    error?: string;
    skipped?: string;
    failed: Array<{ file: string; message: string; retries: number }>;
  }>;
}

describe("a pass never dies of one file", () => {
  it("fails only the file whose root the local site lacks; the rest moves and sync --once exits 1 listing it", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const first = await studio.publishFiles({ "scene.ma": "one", "res/a.png": "A", "res/b.png": "B" });
    const second = await studio.publishFiles({ "scene.ma": "two" }, { product: "workfileOther" });
    // A representation pointing at a root this workstation does not define (e.g. published on a
    // platform with a "renders" root): only a.png.
    const db = new Database(path.join(studio.home, "sitesync.db"));
    db.prepare(
      "UPDATE files SET path = replace(path, '{root[work]}', '{root[renders]}') WHERE name = 'a.png'",
    ).run();
    db.close();

    const result = await sync(studio.home);
    expect(result.code, result.stderr).toBe(1);
    const [project] = (result.json() as SyncJson).projects;
    expect(project?.transferred).toBe(3);
    expect(project?.failed).toHaveLength(1);
    expect(project?.failed[0]?.file).toContain("{root[renders]}");
    expect(project?.failed[0]?.message).toContain('cannot resolve the path on site "artist1"');
    expect(project?.failed[0]?.message).toContain("renders");
    for (const rootless of [...first.paths.filter((p) => !p.endsWith("a.png")), ...second.paths])
      expect(existsSync(fillRootless(rootless, { work: studio.localRoot }))).toBe(true);

    const context = await studio.open();
    const [state] = await context.store.getSiteStates("Proj", [first.representationId], ["artist1"]);
    const byName = new Map(state?.files.map((f) => [f.fileId, f]));
    const fileA = (
      await context.store.getRepresentations("Proj", { ids: [first.representationId] })
    )[0]?.files.find((f) => f.name === "a.png");
    expect(byName.get(fileA?.id as string)).toMatchObject({ status: SyncStatus.FAILED, retries: 1 });
    expect(byName.get(fileA?.id as string)?.message).toContain("renders");
  });

  it("fails only the files a provider's plain Error hits, after retry_cnt tries", async () => {
    studio = await engineStudio({
      settings: (roots) => faultySettings(roots, "fail_names: [a.png]", "{retry_cnt: 3}"),
    });
    const { paths } = await studio.publishFiles({ "scene.ma": "one", "res/a.png": "A", "res/b.png": "B" });
    const result = await sync(studio.home);
    expect(result.code, result.stderr).toBe(1);
    const [project] = (result.json() as SyncJson).projects;
    expect(project?.transferred).toBe(2);
    expect(project?.failed).toEqual([
      expect.objectContaining({ retries: 3, message: expect.stringContaining("a.png is on fire") }),
    ]);
    const local = (name: string) =>
      fillRootless(paths.find((p) => p.endsWith(name)) as string, { work: studio?.localRoot as string });
    expect(readFileSync(local("b.png"), "utf8")).toBe("B");
    expect(existsSync(local("a.png"))).toBe(false);
  });
});

describe("a site that cannot be used is an error where it matters", () => {
  it("makes sync --once exit 1 with the reason, shows in status, and is logged once by a service that keeps running", async () => {
    studio = await engineStudio({
      settings: (roots) => faultySettings(roots, 'inactive_throws: "VPN is down"', "{loop_delay: 0}"),
    });
    await studio.publishFiles({ "scene.ma": "one" });
    const result = await sync(studio.home);
    expect(result.code, result.stderr).toBe(1);
    expect(result.json()).toMatchObject({
      projects: [
        { problem: true, skipped: expect.stringContaining('site "slow" is not active: VPN is down') },
      ],
    });

    const status = await runCli(["status", "--project", "Proj", "--home", studio.home], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("site slow cannot be used:");
    expect(status.stdout).toContain("VPN is down");

    service = startService(studio.home, "artist1", env);
    const passes = () => service?.lines.filter((l) => l.msg === "pass finished").length ?? 0;
    await service.waitFor(() => passes() >= 5);
    const warnings = service.lines.filter((l) => l.msg === "project cannot sync: a site cannot be used");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, project: "Proj" });
    expect(String(warnings[0]?.reason)).toContain("VPN is down");
    expect(service.child.exitCode).toBeNull();
  });

  it("keeps quiet skips quiet: sync disabled exits 0", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots, { enabled: false }) });
    const result = await sync(studio.home);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ projects: [{ skipped: expect.stringContaining("disabled") }] });
    expect((result.json() as SyncJson).projects[0]?.problem).toBeUndefined();
  });
});

/** A second process that takes SQLite's write lock and keeps it until its stdin closes. */
async function holdWriteLock(dbFile: string): Promise<ChildProcess> {
  const code = `
    const Database = require("better-sqlite3");
    const db = new Database(process.argv[1]);
    db.exec("BEGIN IMMEDIATE");
    process.stdout.write("locked\\n");
    process.stdin.on("end", () => { db.exec("COMMIT"); db.close(); process.exit(0); });
    process.stdin.resume();`;
  const child = spawn(process.execPath, ["-e", code, dbFile], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("exit", (exitCode) => reject(new Error(`lock holder exited with ${exitCode}`)));
  });
  return child;
}

describe("a store another process keeps locked", () => {
  it("makes sync --once exit 1 naming the lock, and a service back off with a growing delay, then sync once it is free", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { config: "{loop_delay: 3600}" }),
    });
    const { paths } = await studio.publishFiles({ "scene.ma": "locked out" });
    await studio.closeAll();
    const dbFile = path.join(studio.home, "sitesync.db");
    locker = await holdWriteLock(dbFile);
    const lockEnv = { ...env, SITESYNC_SQLITE_BUSY_MS: "100", SITESYNC_RETRY_BASE_MS: "100" };

    const once = await runCli(["sync", "--project", "Proj", "--once", "--home", studio.home], {
      env: lockEnv,
    });
    expect(once.code, once.stderr).toBe(1);
    expect(once.stdout).toContain("Proj: cannot sync:");
    expect(once.stdout).toContain("database is locked");

    service = startService(studio.home, "artist1", lockEnv);
    const retried = (l: { msg?: string }) => l.msg?.startsWith("pass failed") ?? false;
    await service.waitFor(() => (service?.lines.filter(retried).length ?? 0) >= 3, 20_000);
    const attempts = service.lines.filter(retried);
    expect(attempts.map((l) => l.attempt)).toEqual([1, 2, 3]);
    const delays = attempts.map((l) => Number(l.retryInMs));
    expect(delays[1]).toBeGreaterThan(delays[0] as number);
    expect(delays[2]).toBeGreaterThan(delays[1] as number);
    expect(service.child.exitCode).toBeNull();

    locker.stdin?.end();
    await service.waitFor((l) => l.event === "file-done" && l.status === "ok", 20_000);
    expect(readFileSync(fillRootless(paths[0] as string, { work: studio.localRoot }), "utf8")).toBe(
      "locked out",
    );
  });
});
