/**
 * The rclone provider's batch uploads (docs/architecture.md "Batch uploads")
 * with the real rclone, on its local backend and its sftp backend (a real
 * sshd): staged files are nowhere near their final paths until `place`, which
 * puts exactly the chosen ones there, replaces what was there, and leaves no
 * staging folder; a dead writer's old staging folder is swept, a young one
 * kept; a source that cannot be read is reported for that file alone.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempNameFor } from "../../lib/fs/temp-names.js";
import type { BatchFile, SiteProvider, StagedFile } from "../../providers/provider.js";
import { tempDir } from "../helpers/tmp.js";
import { rcloneBed } from "./bed.js";
import { localSite, sftpSite } from "./remotes.js";

const bed = rcloneBed();

/** Gives what the test made on the server to the sftp user, who writes there; a no-op for the local backend. */
function handOver(backend: "local" | "sftp", folder: string): void {
  if (backend === "sftp") execFileSync("chown", ["-R", bed.server.user, folder]);
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Every name under a folder, files and folders, relative. */
const everything = (root: string) =>
  existsSync(root) ? readdirSync(root, { recursive: true }).map(String) : [];

describe.each(["local", "sftp"] as const)("batch uploads to rclone's %s backend", (backend) => {
  function site(): { provider: SiteProvider; root: string } {
    const root = backend === "local" ? tempDir("sitesync-rclone-root-") : bed.server.root;
    const config =
      backend === "local"
        ? localSite("config_file", root, bed.dir)
        : sftpSite("config_file", bed.server, bed.knownHosts, bed.dir);
    return { provider: bed.provider(config, root), root };
  }

  /** `count` files of random bytes in a representation folder and its resources, here and where they go. */
  function filesFor(root: string, count: number): { files: BatchFile[]; data: Buffer[]; version: string } {
    const here = tempDir("sitesync-rclone-src-");
    const version = path.posix.join(root, `Proj-${backend}-${randomBytes(3).toString("hex")}`, "v001");
    const files: BatchFile[] = [];
    const data: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const rel = i % 3 === 0 ? `resources/tex/t${i}.png` : `exr/render.${1001 + i}.exr`;
      const localPath = path.join(here, ...rel.split("/"));
      mkdirSync(path.dirname(localPath), { recursive: true });
      const bytes = randomBytes(1000 + i);
      writeFileSync(localPath, bytes);
      files.push({ localPath, sitePath: `${version}/${rel}` });
      data.push(bytes);
    }
    return { files, data, version };
  }

  it("stages without touching the final paths, then places exactly the chosen files and leaves no staging folder", async () => {
    const { provider, root } = site();
    expect(await provider.isActive()).toEqual({ active: true });
    expect(provider.capabilities.batchFilesBelow).toBeGreaterThan(0);
    const { files, data, version } = filesFor(root, 12);
    // Something already at one final path is replaced.
    mkdirSync(path.dirname((files[1] as BatchFile).sitePath), { recursive: true });
    writeFileSync((files[1] as BatchFile).sitePath, "an older copy");
    handOver(backend, path.posix.dirname(version));

    const staged = await (provider.uploadBatch as NonNullable<SiteProvider["uploadBatch"]>)(files, {
      hash: "sha256",
      staleAfterMs: 30_000,
    });
    expect(staged.files.map((f: StagedFile) => ("error" in f ? f.error.message : f.size))).toEqual(
      data.map((d) => d.length),
    );
    if (backend === "local")
      expect(staged.files.map((f) => ("hash" in f ? f.hash : undefined))).toEqual(data.map(sha256));
    // Nothing new at the final paths yet: the batch is in one staging folder next to the version's.
    expect(files.slice(2).some((f) => existsSync(f.sitePath))).toBe(false);
    expect(readFileSync((files[1] as BatchFile).sitePath, "utf8")).toBe("an older copy");
    const parent = path.posix.dirname(version);
    expect(readdirSync(parent).filter((n) => n.includes(".sitesync-"))).toHaveLength(1);

    // Files 0 and 5 failed verification (say): they must not be placed.
    const chosen = files.map((_, i) => i).filter((i) => i !== 0 && i !== 5);
    expect(await staged.place(chosen)).toEqual(chosen.map(() => null));
    for (const [i, file] of files.entries()) {
      if (chosen.includes(i))
        expect(readFileSync(file.sitePath).equals(data[i] as Buffer), file.sitePath).toBe(true);
      else expect(existsSync(file.sitePath), file.sitePath).toBe(false);
    }
    expect(everything(parent).filter((n) => n.includes(".sitesync-"))).toEqual([]);
  }, 60_000);

  it("discard removes the staging folder and places nothing", async () => {
    const { provider, root } = site();
    const { files, version } = filesFor(root, 4);
    const staged = await (provider.uploadBatch as NonNullable<SiteProvider["uploadBatch"]>)(files, {
      staleAfterMs: 30_000,
    });
    await staged.discard();
    expect(everything(path.posix.dirname(version))).toEqual([]);
  }, 60_000);

  it("reports a source it cannot read for that file alone, and sweeps a dead writer's old staging folder, not a young one", async () => {
    const { provider, root } = site();
    const { files, version } = filesFor(root, 5);
    rmSync((files[2] as BatchFile).localPath);
    const parent = path.posix.dirname(version);
    mkdirSync(parent, { recursive: true });
    const old = tempNameFor(`${parent}/v000`);
    const young = tempNameFor(`${parent}/v002`);
    for (const stage of [old, young]) {
      mkdirSync(`${stage}/exr`, { recursive: true });
      writeFileSync(`${stage}/exr/half.exr`, "half a batch");
    }
    // The old one: its name says it was made a minute ago, and nothing was written since.
    const minuteAgo = new Date(Date.now() - 60_000);
    const oldName = path.posix
      .basename(old)
      .replace(
        /-([0-9a-z]+)-([0-9a-f]{12})\.part$/,
        (_m, _t, r) => `-${(Date.now() - 60_000).toString(36)}-${r}.part`,
      );
    rmSync(old, { recursive: true });
    mkdirSync(`${parent}/${oldName}/exr`, { recursive: true });
    writeFileSync(`${parent}/${oldName}/exr/half.exr`, "half a batch");
    handOver(backend, parent);
    utimesSync(`${parent}/${oldName}`, minuteAgo, minuteAgo);

    const staged = await (provider.uploadBatch as NonNullable<SiteProvider["uploadBatch"]>)(files, {
      staleAfterMs: 30_000,
    });
    const errors = staged.files.map((f) => ("error" in f ? f.error.message : null));
    expect(errors.filter((e) => e !== null)).toHaveLength(1);
    expect(errors[2]).toContain((files[2] as BatchFile).sitePath);
    const good = [0, 1, 3, 4];
    expect(await staged.place(good)).toEqual(good.map(() => null));
    expect(existsSync(`${parent}/${oldName}`)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(existsSync((files[2] as BatchFile).sitePath)).toBe(false);
    rmSync(young, { recursive: true });
  }, 60_000);
});
