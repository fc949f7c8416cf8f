/**
 * Issue 11 item 11, against a real OpenSSH sshd: an SFTP failure reads as
 * what we were doing, on which site, and why in plain words ("permission
 * denied creating folder X on site vendor"), never as the SFTP library's
 * method names (`_doMkdir`, `_put`, `fastPut`...).
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import type { FileOutcome } from "../../lib/engine/types.js";
import { ProviderError } from "../../lib/errors.js";
import { createProvider } from "../../providers/registry.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { vendorSite } from "../helpers/sftp-studio.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";
import { tempDir } from "../helpers/tmp.js";

let server: SshdServer;
let studio: EngineStudio | undefined;

beforeAll(async () => {
  server = await startSshd();
}, 60_000);

afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
  for (const name of ["Proj", "locked"]) {
    const dir = path.join(server.root, name);
    // Read-only folders below are made writable again so the cleanup can empty them.
    chmodTree(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

afterAll(async () => {
  await server?.stop();
});

function chmodTree(dir: string): void {
  if (!existsSync(dir)) return;
  chmodSync(dir, 0o755);
  if (!statSync(dir).isDirectory()) return;
  for (const name of readdirSync(dir)) chmodTree(path.join(dir, name));
}

/** A folder under the server root owned by the SFTP user, with `mode`. */
function serverFolder(dir: string, mode: number): void {
  const { uid, gid } = statSync(server.root);
  mkdirSync(dir, { recursive: true });
  for (let at = dir; at.startsWith(`${server.root}/`); at = path.dirname(at)) chownSync(at, uid, gid);
  chmodSync(dir, mode);
}

const LIBRARY_WORDS = /_do|_put|fastPut|fastGet|_mkdir|_xstat|getConnection|->/;

async function failedUpload(root: string, before?: (remoteDir: string) => void) {
  studio = await engineStudio({
    settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [vendorSite(server, { root })] }),
  });
  const { paths } = await studio.publishFiles({ "scene.ma": "for the vendor" }, { site: "local" });
  const remote = fillRootless(paths[0] as string, { work: root });
  before?.(path.dirname(remote));
  const report = await (await studio.engine()).engine.runPass();
  const outcome = report.projects[0]?.outcomes[0] as FileOutcome;
  expect(outcome.status).toBe("failed");
  const failed = outcome as Extract<FileOutcome, { status: "failed" }>;
  return {
    message: failed.message,
    retries: failed.retries,
    local: fillRootless(paths[0] as string, { work: studio.localRoot }),
    remote,
  };
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("SFTP error messages", () => {
  it("says permission denied creating folder X on site vendor for a folder the SFTP user cannot write", async () => {
    const locked = path.join(server.root, "locked");
    serverFolder(locked, 0o555);
    const { message, retries } = await failedUpload(locked);
    expect(message).toContain(`permission denied creating folder ${locked}/Proj on site vendor`);
    expect(message).not.toMatch(LIBRARY_WORDS);
    // Permission is permanent: failed at once, not after retry_cnt tries.
    expect(retries).toBe(1);
  }, 60_000);

  it("says permission denied uploading A to B on site vendor for an existing read-only folder", async () => {
    const { message, retries, local, remote } = await failedUpload(server.root, (dir) =>
      serverFolder(dir, 0o555),
    );
    expect(message).toMatch(
      new RegExp(
        `^permission denied uploading ${escaped(local)} to ${escaped(path.dirname(remote))}/\\.[^/]+\\.part on site vendor`,
      ),
    );
    expect(message).not.toMatch(LIBRARY_WORDS);
    expect(retries).toBe(1);
  }, 60_000);

  it("says permission denied downloading, renaming and removing, naming the site", async () => {
    const provider = createProvider("sftp", {
      siteName: "vendor",
      config: {
        sftp_host: server.host,
        sftp_port: server.port,
        sftp_user: server.user,
        sftp_pass: server.password,
        host_key_checking: "accept-new",
        known_hosts: `${server.dir}/client_known_hosts`,
      },
      roots: { work: server.root },
    });
    try {
      const dir = path.join(server.root, "locked");
      serverFolder(dir, 0o755);
      const secret = path.join(dir, "secret.ma");
      writeFileSync(secret, "no reading");
      chmodSync(secret, 0o000);
      chmodSync(dir, 0o555);
      const local = path.join(tempDir(), "secret.ma");
      const failures: [() => Promise<unknown>, string][] = [
        [
          () => provider.download(secret, local),
          `permission denied downloading ${secret} to ${local} on site vendor`,
        ],
        [
          () => provider.rename(secret, `${dir}/moved.ma`),
          `permission denied renaming ${secret} to ${dir}/moved.ma on site vendor`,
        ],
        [() => provider.remove(secret), `permission denied removing ${secret} on site vendor`],
      ];
      for (const [attempt, expected] of failures) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ProviderError);
        expect((error as ProviderError).message).toBe(expected);
        expect((error as ProviderError).retryable).toBe(false);
      }
    } finally {
      await provider.close?.();
    }
  }, 60_000);
});
