/**
 * Issue 11 item 10 over SFTP, against a real OpenSSH sshd: a source file that
 * is missing (SFTP NO_SUCH_FILE on the server, ENOENT here) is a permanent
 * error. `sync --once` fails it after one try, not `retry_cnt`, naming the
 * site and the path.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";

let server: SshdServer;
let studio: EngineStudio | undefined;

beforeAll(async () => {
  server = await startSshd();
}, 60_000);

afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
  if (server) rmSync(path.join(server.root, "Proj"), { recursive: true, force: true });
});

afterAll(async () => {
  await server?.stop();
});

function vendorSite(extra = ""): string {
  return `- {name: vendor, provider: sftp, ${extra} sftp: {sftp_host: "${server.host}", sftp_port: ${server.port}, sftp_user: "${server.user}", sftp_pass: "${server.password}", roots: "${server.root}", host_key_checking: accept-new, known_hosts: "${server.dir}/client_known_hosts"}}`;
}

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
          { remote: "vendor", config: "{retry_cnt: 3}", sites: [vendorSite("alternative_sites: [studio],")] },
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
        artistSettings(roots, { remote: "vendor", config: "{retry_cnt: 3}", sites: [vendorSite()] }),
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
