/**
 * The rclone provider tests' set-up: a real sshd for the sftp backend, a
 * private folder for config files and known_hosts, and the providers a test
 * made, closed (their `rclone rcd` stopped) after the file's tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { SiteProvider } from "../../providers/provider.js";
import { rcloneFactory } from "../../providers/rclone/index.js";
import type { RcloneConfig } from "../../providers/rclone/settings.js";
import { type SshdServer, startSshd } from "../helpers/sshd.js";

export interface RcloneBed {
  server: SshdServer;
  /** Holds config files and `knownHosts`; removed after the tests. */
  dir: string;
  knownHosts: string;
  /** A provider of site "vendor" whose anatomy root `work` is `root`; closed after the tests. */
  provider(config: RcloneConfig, root?: string): SiteProvider;
}

/** Registers the file's beforeAll/afterAll; the fields are set once beforeAll has run. */
export function rcloneBed(): RcloneBed {
  const open: SiteProvider[] = [];
  const bed = {
    provider(config: RcloneConfig, root = config.root ?? ""): SiteProvider {
      const made = rcloneFactory.create({ siteName: "vendor", config, roots: { work: root } });
      open.push(made);
      return made;
    },
  } as RcloneBed;
  beforeAll(async () => {
    bed.server = await startSshd();
    bed.dir = mkdtempSync(path.join(os.tmpdir(), "sitesync-rclone-"));
    bed.knownHosts = path.join(bed.dir, "known_hosts");
    writeFileSync(bed.knownHosts, `${bed.server.knownHostsLine}\n`);
  }, 60_000);
  afterAll(async () => {
    for (const provider of open.splice(0)) await provider.close?.();
    await bed.server?.stop();
    if (bed.dir) rmSync(bed.dir, { recursive: true, force: true });
  });
  return bed;
}
