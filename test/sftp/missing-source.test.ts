/**
 * Issue 11 item 10 over SFTP, against a real OpenSSH sshd: a source file that
 * is missing (SFTP NO_SUCH_FILE on the server, ENOENT here) is a permanent
 * error. `sync --once` fails it after one try, not `retry_cnt`, naming the
 * site and the path.
 */
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { sshdForStudios, vendorSite } from "../helpers/sftp-studio.js";
import type { SshdServer } from "../helpers/sshd.js";

let server: SshdServer;
let studio: EngineStudio | undefined;

sshdForStudios({
  started: (started) => {
    server = started;
  },
  studio: () => studio,
  reset: () => {
    studio = undefined;
  },
});

interface SyncJson {
  projects: Array<{ failed: Array<{ file: string; message: string; retries: number }> }>;
}

async function syncOnce(home: string) {
  const result = await runCli(["sync", "--project", "Proj", "--once", "--json", "--home", home], {
    env: { SITESYNC_RETRY_BASE_MS: "5" },
  });
  return { code: result.code, stderr: result.stderr, project: (result.json() as SyncJson).projects[0] };
}

describe("a missing source file over SFTP fails at once", () => {
  it("fails a download whose file was deleted from the server after publish, naming site and path", async () => {
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(
          { studio: server.root, local: roots.local },
          {
            remote: "vendor",
            config: "{retry_cnt: 3}",
            sites: [vendorSite(server, { site: "alternative_sites: [studio]," })],
          },
        ),
    });
    const { paths } = await studio.publishFiles({ "scene.ma": "deleted after publish" });
    const gone = fillRootless(paths[0] as string, { work: server.root });
    rmSync(gone);
    const { code, stderr, project } = await syncOnce(studio.home);
    expect(code, stderr).toBe(1);
    expect(project?.failed).toHaveLength(1);
    expect(project?.failed[0]?.retries).toBe(1);
    expect(project?.failed[0]?.message).toContain(`${gone} is missing on site vendor`);
  }, 60_000);

  it("fails an upload whose local file was deleted after publish, naming the path and the site", async () => {
    studio = await engineStudio({
      settings: (roots) =>
        artistSettings(roots, { remote: "vendor", config: "{retry_cnt: 3}", sites: [vendorSite(server)] }),
    });
    const { paths } = await studio.publishFiles({ "scene.ma": "deleted after publish" }, { site: "local" });
    const gone = fillRootless(paths[0] as string, { work: studio.localRoot });
    rmSync(gone);
    const { code, stderr, project } = await syncOnce(studio.home);
    expect(code, stderr).toBe(1);
    expect(project?.failed[0]?.retries).toBe(1);
    expect(project?.failed[0]?.message).toContain(
      `${gone} is missing on this machine, so it cannot be uploaded to site vendor`,
    );
  }, 60_000);
});
