/**
 * Copies into the work area, atomically and never over an existing file: the
 * new workfile version, and the resources of the published workfile into
 * `{workdir}/resources/` with their layout (a file already there is never
 * overwritten: with the right size it is not copied again).
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { localDriveError } from "../../providers/local-drive.js";
import { fillRootless } from "../anatomy/roots.js";
import { DEFAULT_LEASE_MS } from "../engine/types.js";
import { cloneFilesAtomic } from "../fs/atomic-copy.js";
import { sweepTemps } from "../fs/temp-names.js";
import type { PublishedWorkfile } from "./last-published.js";

export interface ResourceCopy {
  source: string;
  target: string;
  /**
   * copy: missing from the work area; present: there with the published size;
   * kept: there with another size, the artist's own change, never overwritten.
   */
  action: "copy" | "present" | "kept";
}

/** Which resources are missing from the work area (the rest are there with the right size). */
export async function plannedResources(
  published: PublishedWorkfile,
  siteRoots: Record<string, string>,
  workdir: string,
): Promise<ResourceCopy[]> {
  return Promise.all(
    published.resources.map(async ({ file, relative }) => {
      const target = path.join(workdir, "resources", ...relative.split("/"));
      const present = await stat(target).catch(() => undefined);
      const action = !present ? "copy" : present.size === file.size ? "present" : "kept";
      return { source: fillRootless(file.path, siteRoots), target, action };
    }),
  );
}

/**
 * Copies the missing resources and, when given, the new workfile version,
 * flushed to disk together; the workfile is put in place last, so a workfile
 * in the work area always has its resources. First the folders it writes to
 * are swept of the temporary files a killed launch left there (older than the
 * claim lease; lib/fs/temp-names.ts), since nothing else ever visits them.
 */
export async function copyIntoWorkArea(
  resources: ResourceCopy[],
  workfile?: { source: string; target: string },
): Promise<void> {
  const folders = new Set([...resources, ...(workfile ? [workfile] : [])].map((c) => path.dirname(c.target)));
  await Promise.all([...folders].map((dir) => sweepTemps(dir, { olderThanMs: DEFAULT_LEASE_MS })));
  const copies = resources
    .filter((r) => r.action === "copy")
    .map(({ source, target }) => ({ source, target }));
  // A copy between folders of this machine fails as local_drive's copies do (a ProviderError).
  await cloneFilesAtomic(workfile ? [copies, [workfile]] : [copies]).catch((error: unknown) => {
    throw localDriveError(error);
  });
}
