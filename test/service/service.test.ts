import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { bring } from "../../lib/engine/bring.js";
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

  it("moves each file once when an on-demand request runs while the service transfers", async () => {
    studio = await engineStudio({ settings: (roots) => slowSettings(roots, 10) });
    const files = {
      "scene.ma": Buffer.alloc(1024 * 1024, 1),
      "res/a.png": Buffer.alloc(1024 * 1024, 2),
      "res/b.png": Buffer.alloc(512 * 1024, 3),
    };
    const { representationId, paths } = await studio.publishFiles(files);
    service = startService(studio.home, "artist1", env);
    await service.waitFor((line) => line.event === "file-start");
    const { engine } = await studio.engine();
    const report = await bring(engine, {
      project: "Proj",
      representationIds: [representationId],
      timeoutMs: 20_000,
    });
    expect(report.files).toHaveLength(3);
    for (const rootless of paths)
      expect(existsSync(fillRootless(rootless, { work: studio.localRoot }))).toBe(true);
    const log = readFileSync(path.join(studio.dir, "transfers.log"), "utf8").trim().split("\n");
    const finalNames = log.map(
      (line) => parseTempName(path.basename(line.split("\t")[1] as string))?.finalName,
    );
    expect(finalNames.sort()).toEqual(["PR_hero_workfileModeling_v001.ma", "a.png", "b.png"]);
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
