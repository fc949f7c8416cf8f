/**
 * The seed's background process: "everything exported must also be
 * eventually uploaded to the SFTP site". A studio service syncs studio with
 * the project's remote site and with every `always_accessible_on` site, each
 * pair on its own; at start it queues the vendor site for what was published
 * before the site was added there, and a publish wakes it (no loop_delay wait).
 * The vendor site is a real OpenSSH sshd on loopback.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { type RunningService, startService } from "../helpers/service.js";
import { vendorSite } from "../helpers/sftp-studio.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";

let server: SshdServer;
let studio: EngineStudio | undefined;
let service: RunningService | undefined;

beforeAll(async () => {
  server = await startSshd();
}, 60_000);
afterEach(async () => {
  await service?.stop("SIGKILL");
  service = undefined;
  await studio?.closeAll();
  studio = undefined;
  rmSync(path.join(server.root, "Proj"), { recursive: true, force: true });
});
afterAll(async () => {
  await server?.stop();
});

/** The studio home: studio is the active site, nothing else to sync unless vendor is always accessible. */
function studioSettings(roots: { studio: string; local: string }, alwaysAccessible: boolean): string {
  const vendor = vendorSite(server);
  const config = `{loop_delay: 3600${alwaysAccessible ? ", always_accessible_on: [vendor]" : ""}}`;
  return artistSettings(roots, { config, remote: "local", sites: [vendor] });
}

describe("a studio service with an always-accessible SFTP site", () => {
  it("uploads earlier publishes after a backfill at start, and a new publish at once", async () => {
    studio = await engineStudio({ siteId: "studio", settings: (roots) => studioSettings(roots, false) });
    const earlier = await studio.publishFiles({ "scene.ma": "published before vendor was added" });
    const { store } = await studio.open();
    expect(await store.getSiteStates("Proj", [earlier.representationId], ["vendor"])).toEqual([]);

    writeFileSync(
      path.join(studio.home, "settings.yaml"),
      studioSettings({ studio: studio.studioRoot, local: studio.localRoot }, true),
    );
    service = startService(studio.home, "studio");
    await service.waitFor((l) => l.msg === "queued earlier publishes for an always-accessible site");
    await service.waitFor((l) => l.event === "file-done" && l.status === "ok", 20_000);
    const onVendor = (rootless: string) =>
      readFileSync(fillRootless(rootless, { work: server.root }), "utf8");
    expect(onVendor(earlier.paths[0] as string)).toBe("published before vendor was added");
    const [vendorState] = await store.getSiteStates("Proj", [earlier.representationId], ["vendor"]);
    expect(vendorState?.status).toBe(SyncStatus.OK);

    // A publish through the CLI wakes the service: with loop_delay an hour, only the wake moves it.
    const src = path.join(studio.dir, "later");
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, "scene.ma"), "published while the service runs");
    const published = await runCli([
      ...["publish", "--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
      ...["--product", "workfileLater", "--product-type", "workfile", "--file", path.join(src, "scene.ma")],
      ...["--site", "studio", "--json", "--home", studio.home],
    ]);
    expect(published.code, published.stderr).toBe(0);
    const later = published.json() as {
      representationId: string;
      files: Array<{ path: string }>;
      wokenServices: string[];
    };
    expect(later.wokenServices).toEqual(["studio"]);
    await service.waitFor(
      (l) => l.event === "file-done" && l.status === "ok" && String(l.file).includes("workfileLater"),
      20_000,
    );
    expect(onVendor(later.files[0]?.path as string)).toBe("published while the service runs");
  }, 60_000);
});
