/**
 * A throwaway studio for the benchmarks: a home with the default settings
 * (studio and local roots in a temp folder, local site "bench-artist"), the
 * project "Bench" with one folder and task, and a catalog registered straight
 * through the store (no publish command), every file studio OK / local QUEUED.
 */

import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadDefaultAnatomy } from "../lib/anatomy/index.js";
import { type Context, openContext } from "../lib/context.js";
import { templatePath } from "../lib/paths.js";
import { op3Hash } from "../lib/publish/hash.js";
import { newId } from "../lib/store/ids.js";
import { SyncStatus } from "../lib/store/status.js";
import type { RepresentationFile } from "../lib/store/types.js";

export const PROJECT = "Bench";
export const SITE_ID = "bench-artist";
const FOLDER = "/assets/characters/hero";

/** A home whose settings are the shipped template with these roots, its store and project opened. */
export async function openStudio(home: string, studioRoot: string, localRoot: string): Promise<Context> {
  mkdirSync(home, { recursive: true });
  const settings = readFileSync(templatePath("settings.yaml"), "utf8")
    .replaceAll('"{STUDIO_ROOT}"', JSON.stringify(studioRoot))
    .replaceAll('"{LOCAL_ROOT}"', JSON.stringify(localRoot));
  return openHome(home, settings);
}

/** Writes a home's settings, opens it as the bench artist and imports the bench project. */
export async function openHome(home: string, settings: string): Promise<Context> {
  writeFileSync(path.join(home, "settings.yaml"), settings);
  const context = await openContext({ home, create: true, env: { AYON_SITE_ID: SITE_ID } });
  await context.store.importProject({
    name: PROJECT,
    code: "BN",
    anatomy: loadDefaultAnatomy(),
    folders: [{ path: FOLDER, tasks: [{ name: "lighting", type: "Lighting" }] }],
  });
  return context;
}

/** One published file as it lies under the studio root (paths relative to the root). */
export interface SourceFile {
  relPath: string;
  size: number;
  sha256: string;
  hash: string;
}

/** Relative publish folder of representation `index`, as the default publish template lays it out. */
export function publishDir(index: number): string {
  const product = `render${String(index).padStart(3, "0")}`;
  return `${PROJECT}/assets/characters/hero/publish/render/${product}/v001`;
}

/** Writes `representations` x `filesPerRepresentation` random files of `fileSize` bytes under root. */
export function writeSourceTree(
  root: string,
  representations: number,
  filesPerRepresentation: number,
  fileSize: number,
): SourceFile[][] {
  const tree: SourceFile[][] = [];
  for (let r = 0; r < representations; r++) {
    const dir = publishDir(r);
    mkdirSync(path.join(root, dir), { recursive: true });
    const files: SourceFile[] = [];
    for (let f = 0; f < filesPerRepresentation; f++) {
      const relPath = `${dir}/BN_hero_render${String(r).padStart(3, "0")}_v001.${String(f + 1).padStart(4, "0")}.exr`;
      const content = randomBytes(fileSize);
      const full = path.join(root, relPath);
      writeFileSync(full, content);
      files.push({
        relPath,
        size: fileSize,
        sha256: createHash("sha256").update(content).digest("hex"),
        hash: op3Hash(full, statSync(full).mtimeMs, fileSize),
      });
    }
    tree.push(files);
  }
  return tree;
}

/**
 * Registers one representation per entry of `tree` (v001 of its own product):
 * every file OK on `sites.has` and QUEUED on `sites.wants` (default: studio OK,
 * the artist's site QUEUED).
 */
export async function registerTree(
  context: Context,
  tree: SourceFile[][],
  sites: { has: string; wants: string } = { has: "studio", wants: SITE_ID },
): Promise<string[]> {
  const { store } = context;
  const folder = await store.getFolderByPath(PROJECT, FOLDER);
  const task = folder && (await store.getTask(PROJECT, folder.id, "lighting"));
  if (!folder || !task) throw new Error("bench project has no folder/task");
  const ids: string[] = [];
  for (const [index, sources] of tree.entries()) {
    const files: RepresentationFile[] = sources.map((s) => ({
      id: newId(),
      name: path.posix.basename(s.relPath),
      path: `{root[work]}/${s.relPath}`,
      size: s.size,
      hash: s.hash,
      hashType: "op3",
      sha256: s.sha256,
    }));
    const representationId = newId();
    const product = `render${String(index).padStart(3, "0")}`;
    await store.registerPublish(PROJECT, {
      product: { folderId: folder.id, name: product, productType: "render", productBaseType: "render" },
      version: { id: newId(), version: 1, taskId: task.id, author: "bench" },
      representation: { id: representationId, name: "exr", context: { ext: "exr", version: 1 }, files },
      links: [],
      siteStates: [
        { site: sites.has, files: files.map((f) => ({ fileId: f.id, status: SyncStatus.OK, size: f.size })) },
        { site: sites.wants, files: files.map((f) => ({ fileId: f.id, status: SyncStatus.QUEUED })) },
      ],
    });
    ids.push(representationId);
  }
  return ids;
}
