/**
 * The frame of an SFTP test file: one real sshd for the file, a studio per
 * test closed after it (with the server's project folder emptied), and the
 * settings line of the `vendor` site that serves the sshd's folder.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { EngineStudio } from "./engine.js";
import { type SshdServer, startSshd } from "./sshd.js";

/** Registers the file's hooks; `started` gets the server, `studio`/`reset` the test's studio. */
export function sshdForStudios(hooks: {
  started: (server: SshdServer) => void;
  studio: () => EngineStudio | undefined;
  reset: () => void;
}): void {
  let server: SshdServer | undefined;
  beforeAll(async () => {
    server = await startSshd();
    hooks.started(server);
  }, 60_000);
  afterEach(async () => {
    await hooks.studio()?.closeAll();
    hooks.reset();
    if (server) rmSync(path.join(server.root, "Proj"), { recursive: true, force: true });
  });
  afterAll(async () => {
    await server?.stop();
  });
}

/**
 * `- {name: vendor, provider: sftp, ...}` for a site's list in settings:
 * password login to `server`, host key trusted on first use. `site` and
 * `sftp` are extra flow-mapping entries (each ending in a comma).
 */
export function vendorSite(
  server: SshdServer,
  options: { site?: string; sftp?: string; root?: string } = {},
): string {
  return `- {name: vendor, provider: sftp, ${options.site ?? ""} sftp: {${options.sftp ?? ""} sftp_host: "${server.host}", sftp_port: ${server.port}, sftp_user: "${server.user}", sftp_pass: "${server.password}", roots: "${options.root ?? server.root}", host_key_checking: accept-new, known_hosts: "${server.dir}/client_known_hosts"}}`;
}
