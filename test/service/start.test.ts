/**
 * What `syncservice` checks and says (README "The sync engine"): the site it
 * runs for must exist (`local` is this workstation's), it refuses to start
 * when no project gives it anything to do, and every reason it skips a
 * project is logged at warn once per change of reason.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { type RunningService, startService } from "../helpers/service.js";

let studio: EngineStudio | undefined;
let service: RunningService | undefined;
afterEach(async () => {
  await service?.stop("SIGKILL");
  service = undefined;
  await studio?.closeAll();
  studio = undefined;
});

const syncservice = (home: string, site: string) =>
  runCli(["syncservice", "--active-site", site, "--home", home]);

describe("sitesync syncservice at start", () => {
  it("refuses an unknown site with exit 2, naming the sites that exist", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const result = await syncservice(studio.home, "nosuch");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--active-site: unknown site "nosuch"');
    expect(result.stderr).toContain("sites: artist1, studio");
  });

  it("takes `local` as this workstation's site", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { config: "{loop_delay: 3600}" }),
    });
    service = startService(studio.home, "local");
    const started = await service.waitFor(
      (line) => line.msg === "sync service listening for wake requests on 127.0.0.1",
    );
    expect(started.site).toBe("artist1");
  });

  it("refuses to start when no enabled project gives it anything to do, saying why for each", async () => {
    studio = await engineStudio({ settings: (roots) => artistSettings(roots, { enabled: false }) });
    const disabled = await syncservice(studio.home, "artist1");
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toContain('the sync service for site "artist1" has nothing to do in any project');
    expect(disabled.stderr).toContain("Proj: site sync is disabled for this project");

    // An SFTP-like (not local_drive) site as the service's own site can never receive a download.
    writeFileSync(
      path.join(studio.home, "settings.yaml"),
      artistSettings(
        { studio: studio.studioRoot, local: studio.localRoot },
        {
          sites: [
            `- {name: vendor, provider: sftp, sftp: {sftp_host: 127.0.0.1, sftp_user: u, sftp_pass: p, roots: /srv}}`,
          ],
        },
      ),
    );
    const remoteOnly = await syncservice(studio.home, "vendor");
    expect(remoteOnly.code).toBe(2);
    expect(remoteOnly.stderr).toContain(
      'Proj: the active site "vendor" must be a local_drive site on this machine',
    );
  });

  it("logs each reason it skips a project at warn, once per change of reason", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { config: "{loop_delay: 0}" }),
    });
    writeFileSync(path.join(studio.dir, "other.yaml"), "name: Other\ncode: OT\nfolders: []\n");
    expect((await studio.run("project", "import", path.join(studio.dir, "other.yaml"))).code).toBe(0);
    appendFileSync(
      path.join(studio.home, "settings.yaml"),
      "projects:\n  Other:\n    sitesync: {enabled: false}\n",
    );
    service = startService(studio.home, "artist1");
    const passes = () => service?.lines.filter((l) => l.msg === "pass finished").length ?? 0;
    await service.waitFor(() => passes() >= 5);
    const skips = service.lines.filter((l) => l.msg === "project skipped");
    expect(skips).toHaveLength(1);
    expect(skips[0]).toMatchObject({
      level: 40,
      project: "Other",
      reason: "site sync is disabled for this project",
    });
  });
});
