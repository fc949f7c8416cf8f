/**
 * An upload's temporary file that a killed process left on an SFTP site (a
 * real OpenSSH sshd) is removed by the next pass that uploads into that
 * folder, once older than the claim lease, through the provider's list, stat
 * and remove; the pid in its name is some other machine's, so only age counts.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { sshdForStudios, vendorSite } from "../helpers/sftp-studio.js";
import type { SshdServer } from "../helpers/sshd.js";
import { fileAged } from "../helpers/temps.js";

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

/** Makes the folders down to `dir` as the SFTP user's, as its own uploads would have. */
function serverFolder(dir: string): void {
  const { uid, gid } = statSync(server.root);
  const relative = path.relative(server.root, dir).split(path.sep);
  let at = server.root;
  for (const part of relative) {
    at = path.join(at, part);
    mkdirSync(at, { recursive: true });
    chownSync(at, uid, gid);
  }
}

describe("a pass uploading to an SFTP site", () => {
  it("removes a killed uploader's temporary file older than the lease and keeps a younger one", async () => {
    studio = await engineStudio({
      settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [vendorSite(server)] }),
    });
    const { paths } = await studio.publishFiles({ "scene.ma": "from the freelancer" }, { site: "local" });
    const target = fillRootless(paths[0] as string, { work: server.root });
    const folder = path.dirname(target);
    const name = path.basename(target);
    serverFolder(folder);
    // 1: a pid from any machine; on the site it means nothing, even when a process here has it.
    const stale = fileAged(path.join(folder, `.${name}.sitesync-1-{made}-0123456789ab.part`), 10 * 60_000);
    const young = fileAged(path.join(folder, `.${name}.sitesync-1-{made}-ba9876543210.part`), 1_000);
    const other = fileAged(path.join(folder, ".x.sitesync-notes.part.txt"), 10 * 60_000);

    const { engine } = await studio.engine();
    const report = await engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => o.status)).toEqual(["ok"]);
    expect(readFileSync(target, "utf8")).toBe("from the freelancer");
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });
});
