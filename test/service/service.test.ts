import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { parseTempName } from "../../lib/fs/temp-names.js";
import { SyncStatus } from "../../lib/store/status.js";
import { registerProvider } from "../../providers/registry.js";
import { createSlowDriveFactory } from "../fixtures/providers/slow-drive-impl.mjs";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { type RunningService, startService } from "../helpers/service.js";

const SLOW_MODULE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/providers/slow-drive.mjs",
);
registerProvider(createSlowDriveFactory("slow_drive", 50), { replace: true });

let service: RunningService | undefined;
let studio: EngineStudio | undefined;
afterEach(async () => {
  await service?.stop("SIGKILL");
  service = undefined;
  await studio?.closeAll();
  studio = undefined;
});

/** A remote site "slow" over the studio folder (an alternative of studio), copying in timed chunks. */
function slowSettings(roots: { studio: string; local: string; dir: string }, delayMs: number): string {
  return artistSettings(roots, {
    config: "{loop_delay: 3600}",
    remote: "slow",
    sites: [
      `- {name: slow, provider: slow_drive, alternative_sites: [studio], slow_drive: {roots: "${roots.studio}", delay_ms: ${delayMs}, chunk: 65536, log: "${roots.dir}/transfers.log"}}`,
    ],
  });
}

const env = { SITESYNC_PROVIDER_MODULES: SLOW_MODULE };
const passDone = (line: { msg?: string }) => line.msg === "pass done";

function leftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => name.includes(".sitesync-"));
}

describe("sitesync syncservice", () => {
  it("is woken by site add and transfers at once instead of after loop_delay", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { config: "{loop_delay: 3600}" }),
    });
    service = startService(studio.home, "artist1");
    await service.waitFor(passDone);
    const { representationId, paths } = await studio.publishFiles({ "scene.ma": "wake me" });
    const local = fillRootless(paths[0] as string, { work: studio.localRoot });
    expect(existsSync(local)).toBe(false);
    const added = await runCli([
      "site",
      "add",
      "--project",
      "Proj",
      "--representation",
      representationId,
      "--site",
      "local",
      "--force",
      "--json",
      "--home",
      studio.home,
    ]);
    expect(added.code).toBe(0);
    expect(added.json()).toMatchObject({ wokenServices: ["artist1"] });
    // loop_delay is an hour: only the wake can make this line appear within the bound.
    await service.waitFor((line) => line.event === "file-done" && line.status === "ok", 10_000);
    expect(readFileSync(local, "utf8")).toBe("wake me");
  });

  it("stops cleanly on SIGTERM mid-transfer, leaving no partial file, and completes after a restart", async () => {
    studio = await engineStudio({ settings: (roots) => slowSettings(roots, 25) });
    const big = Buffer.alloc(4 * 1024 * 1024, 3);
    const { representationId, paths } = await studio.publishFiles({ "scene.ma": big });
    const local = fillRootless(paths[0] as string, { work: studio.localRoot });
    service = startService(studio.home, "artist1", env);
    await service.waitFor((line) => line.event === "file-start");
    expect(await service.stop("SIGTERM")).toBe(0);
    expect(existsSync(local)).toBe(false);
    expect(leftovers(studio.localRoot)).toEqual([]);
    const context = await studio.open();
    const [state] = await context.store.getSiteStates("Proj", [representationId], ["artist1"]);
    expect(state?.files[0]).toMatchObject({ status: SyncStatus.QUEUED, retries: 0 });
    expect(await context.store.getClaims("Proj", representationId, "artist1")).toEqual([]);
    service = startService(studio.home, "artist1", env);
    await service.waitFor((line) => line.event === "file-done" && line.status === "ok", 20_000);
    // Buffer.equals, not toEqual: a deep compare of 4 MiB element by element takes seconds.
    expect(readFileSync(local).equals(big)).toBe(true);
    expect(leftovers(studio.localRoot)).toEqual([]);
  });

  it("moves each file once when an on-demand request runs while the service transfers, waiting for the service's files", async () => {
    // 50 ms a 64 KiB chunk: the service's copies take 0.4 to 0.8 s, far longer than stopping it takes.
    studio = await engineStudio({ settings: (roots) => slowSettings(roots, 50) });
    const files = {
      "scene.ma": Buffer.alloc(1024 * 1024, 1),
      "res/a.png": Buffer.alloc(1024 * 1024, 2),
      "res/b.png": Buffer.alloc(512 * 1024, 3),
    };
    const { representationId, paths } = await studio.publishFiles(files);
    const running = startService(studio.home, "artist1", env);
    service = running;
    await running.waitFor((line) => line.event === "file-start");
    // Stopped mid-copy, the service keeps its claims and cannot finish: the request below plans at
    // least that file as needed and finds it claimed elsewhere. The service resumes once the request
    // has made its plan, so the request waits for the service's files instead of copying them.
    running.child.kill("SIGSTOP");
    const { engine } = await studio.engine();
    engine.on((event) => {
      if (event.type === "project-start") running.child.kill("SIGCONT");
    });
    const report = await engine.bring({
      project: "Proj",
      representationIds: [representationId],
      timeoutMs: 20_000,
    });
    expect(report.files).toHaveLength(3);
    for (const rootless of paths)
      expect(existsSync(fillRootless(rootless, { work: studio.localRoot }))).toBe(true);
    // Each file copied once, by one process: "pid<TAB>temporary name" a copy.
    const log = readFileSync(path.join(studio.dir, "transfers.log"), "utf8").trim().split("\n");
    const movedBy = new Map(
      log.map((line) => {
        const [pid, target] = line.split("\t");
        return [parseTempName(path.basename(target as string))?.finalName, Number(pid)];
      }),
    );
    expect(log).toHaveLength(3);
    expect([...movedBy.keys()].sort()).toEqual(["PR_hero_workfileModeling_v001.ma", "a.png", "b.png"]);
    // The two overlapped: the request reports some file as moved by the service, and the log agrees
    // with every file's report (the request's own copies in this process, the others in the service).
    expect(report.files.filter((file) => file.how === "transferred-elsewhere").length).toBeGreaterThan(0);
    for (const file of report.files) {
      const mover = file.how === "transferred" ? process.pid : running.child.pid;
      expect([path.basename(file.path), movedBy.get(path.basename(file.path))]).toEqual([
        path.basename(file.path),
        mover,
      ]);
    }
  });
});

describe("sitesync sync --once", () => {
  it("exits 0 when every planned transfer succeeded and 1 with the failures listed", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const ok = await studio.publishFiles({ "scene.ma": "fine" });
    const cli = (...args: string[]) =>
      runCli([...args, "--home", studio?.home as string], { env: { SITESYNC_RETRY_BASE_MS: "5" } });
    const first = await cli("sync", "--project", "Proj", "--once", "--json");
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({ projects: [{ project: "Proj", transferred: 1, failed: [] }] });
    expect(existsSync(fillRootless(ok.paths[0] as string, { work: studio.localRoot }))).toBe(true);

    const broken = await studio.publishFiles({ "scene.ma": "will vanish" }, { product: "workfileBroken" });
    writeFileSync(
      fillRootless(broken.paths[0] as string, { work: studio.studioRoot }),
      "changed after publish!",
    );
    const second = await cli("sync", "--project", "Proj", "--once");
    expect(second.code).toBe(1);
    expect(second.stdout).toContain(
      "FAILED {root[work]}/Proj/assets/characters/hero/publish/workfile/workfileBroken/v001",
    );
    expect(second.stdout).toContain("the source differs from the publish");
  });
});
