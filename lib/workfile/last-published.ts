/**
 * The last published workfile of a task (the hook's step 6): products of base
 * type `workfile` in the folder, their last versions, those published by this
 * task, the newest one's first representation whose `context.ext` is one of
 * the host's workfile extensions. Its files split into the workfile itself and
 * the `resources/` files published next to it.
 */
import type { Representation, RepresentationFile, Store, Version } from "../store/types.js";

export interface PublishedWorkfile {
  version: Version;
  representation: Representation;
  /** The workfile (the file with the representation's extension). */
  workfile: RepresentationFile;
  /** Files under `{publishDir}/resources/`, with their path relative to that folder. */
  resources: Array<{ file: RepresentationFile; relative: string }>;
  ext: string;
}

export async function findLastPublishedWorkfile(
  store: Store,
  project: string,
  folderId: string,
  taskId: string,
  extensions: readonly string[],
): Promise<PublishedWorkfile | undefined> {
  const wanted = new Set(extensions.map((e) => e.replace(/^\./, "").toLowerCase()));
  const products = await store.getProducts(project, {
    folderIds: [folderId],
    productBaseTypes: ["workfile"],
  });
  if (products.length === 0) return undefined;
  const last = await store.getLastVersions(
    project,
    products.map((p) => p.id),
  );
  const versions = [...last.values()]
    .filter((v) => v.taskId === taskId)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.version - a.version);
  if (versions.length === 0) return undefined;
  const representations = await store.getRepresentations(project, { versionIds: versions.map((v) => v.id) });
  for (const version of versions) {
    for (const representation of representations.filter((r) => r.versionId === version.id)) {
      const ext = String(representation.context.ext ?? "")
        .replace(/^\./, "")
        .toLowerCase();
      if (!wanted.has(ext)) continue;
      const workfile = representation.files.find((f) => f.name.toLowerCase().endsWith(`.${ext}`));
      if (!workfile) continue;
      const publishDir = workfile.path.slice(0, workfile.path.lastIndexOf("/"));
      const prefix = `${publishDir}/resources/`;
      const resources = representation.files
        .filter((f) => f.path.startsWith(prefix))
        .map((file) => ({ file, relative: file.path.slice(prefix.length) }));
      return { version, representation, workfile, resources, ext };
    }
  }
  return undefined;
}
