/**
 * Everything a publish will do, worked out and checked before a byte is
 * written: the entities, the next version, the publish template paths of every
 * file (resources under `{publishDir}/resources/` keeping their layout; the
 * frames and UDIM tiles of a sequence one file each, `lib/publish/sequence.ts`)
 * and the site. Bad input fails here, so a failed publish writes nothing.
 */
import { existsSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { productData, templateDataForTask } from "../anatomy/data.js";
import { fillRootless } from "../anatomy/roots.js";
import { resolveAnatomyTemplate, type TemplateData } from "../anatomy/template.js";
import { type Context, projectSites, requireProject } from "../context.js";
import { InputError, PathError, SettingsError } from "../errors.js";
import { ENTITY_NAME } from "../names.js";
import { LOCAL_ALIAS, type ProjectSites, type ResolvedSite, STUDIO_SITE } from "../settings/sites.js";
import { ENTITY_ID } from "../store/ids.js";
import type { Folder, Project, Task } from "../store/types.js";
import { resolveSources, sequenceContext, sequenceTemplateData } from "./sequence.js";

export interface PublishRequest {
  project: string;
  folderPath: string;
  task: string;
  product: string;
  productType: string;
  files: string[];
  resources?: string;
  representation?: string;
  /** `type:VERSION_ID`, e.g. `reference:0123...` */
  links?: string[];
  site?: string;
  author?: string;
  /** Also integrate the version as the product's hero version (replacing the previous hero). */
  hero?: boolean;
  /** `--frames`: the frames of the sequences in `files` to publish, e.g. "1001-1100". */
  frames?: string;
  /** `--allow-missing-frames`: publish the frames of `frames` that exist, recording the gaps. */
  allowMissingFrames?: boolean;
  /** `--udim`: the numbers in `files` are UDIM tiles (`{udim}`), not frames. */
  udim?: boolean;
}

export interface PlannedFile {
  source: string;
  /** Rootless path registered in the catalog. */
  rootless: string;
  /** Path on the publishing site. */
  target: string;
  size: number;
  /** For a resources file, its path relative to the resources folder. */
  resource?: string;
  /** For a file of an image sequence, its frame (`{frame}` in the templates). */
  frame?: number;
  /** For a UDIM tile, its tile number (`{udim}` in the templates). */
  udim?: number;
  /** Digits of `frame` in the source's name (0: unpadded), kept when wider than frame_padding. */
  padding?: number;
}

export interface PublishPlan {
  project: Project;
  folder: Folder;
  task: Task;
  sites: ProjectSites;
  site: ResolvedSite;
  productBaseType: string;
  version: number;
  representationName: string;
  /** The representation's context: the template data plus, for sequences, their frames and tiles. */
  context: TemplateData;
  /** The data the publish and hero templates are filled with (a file's frame or tile added). */
  templateData: TemplateData;
  files: PlannedFile[];
  links: Array<{ inputVersionId: string; linkType: string }>;
}

function checkName(value: string, option: string): void {
  if (!ENTITY_NAME.test(value)) {
    throw new InputError(`${option}: "${value}" is not a valid name (letters, digits, '_', '.', '-')`);
  }
}

export async function planPublish(context: Context, request: PublishRequest): Promise<PublishPlan> {
  const { store } = context;
  const project = await requireProject(context, request.project);
  const folder = await store.getFolderByPath(project.name, request.folderPath);
  if (!folder)
    throw new InputError(`--folder: unknown folder "${request.folderPath}" in project "${project.name}"`);
  const task = await store.getTask(project.name, folder.id, request.task);
  if (!task) throw new InputError(`--task: unknown task "${request.task}" in folder "${folder.path}"`);
  checkName(request.product, "--product");
  checkName(request.productType, "--product-type");
  if (request.files.length === 0) throw new InputError("--file: at least one file to publish is required");
  const entries = resolveSources(request.files, {
    frames: request.frames,
    allowMissingFrames: request.allowMissingFrames,
    udim: request.udim,
  });
  const sources: Array<{ source: string; frame?: number; udim?: number; padding?: number }> = [];
  for (const entry of entries) {
    if (entry.kind === "file") sources.push({ source: checkSourceFile(entry.source, "--file") });
    else
      for (const item of entry.items) {
        sources.push(
          entry.fills === "frame"
            ? { source: item.source, frame: item.number, padding: entry.padding }
            : { source: item.source, udim: item.number },
        );
      }
  }
  const ext = extOf((sources[0] as { source: string }).source);
  const representationName = request.representation ?? ext;
  checkName(representationName, "--representation");

  const sites = projectSites(context, project);
  const site = publishingSite(sites, request.site, context.siteId);
  const links = await checkLinks(context, project.name, request.links ?? []);

  const existing = await store.getProducts(project.name, {
    folderIds: [folder.id],
    names: [request.product],
  });
  const product = existing[0];
  const last = product
    ? (await store.getLastVersions(project.name, [product.id])).get(product.id)
    : undefined;
  const version = (last?.version ?? 0) + 1;

  // Root keys stay placeholders so the template yields the rootless path AYON registers.
  const root = Object.fromEntries(
    Object.keys(project.anatomy.roots).map((name) => [name, `{root[${name}]}`]),
  );
  const data = templateDataForTask(
    { project, folder: { name: folder.name, path: folder.path, folderType: folder.folderType }, task },
    {
      ...productData({ name: request.product, productType: request.productType }),
      version,
      ext,
      representation: representationName,
      root,
    },
  );
  const templates = project.anatomy.templates;
  const publishDir = resolveAnatomyTemplate(templates, "publish", "default", "directory", data);
  const files: PlannedFile[] = [];
  const add = (source: string, rootless: string, extra: Partial<PlannedFile> = {}) => {
    const size = statSync(source).size;
    let target: string;
    try {
      target = fillRootless(rootless, site.roots);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new PathError(`${reason} (publish template of project "${project.name}" on site "${site.name}")`);
    }
    files.push({ source, rootless, target, size, ...extra });
  };
  for (const { source, ...sequence } of sources) {
    const name = resolveAnatomyTemplate(templates, "publish", "default", "file", {
      ...data,
      ...sequenceTemplateData(sequence),
      ext: extOf(source),
    });
    add(source, `${publishDir}/${name}`, sequence);
  }
  if (request.resources !== undefined) {
    const dir = checkSourceDir(request.resources, "--resources");
    for (const relative of await listFiles(dir))
      add(path.join(dir, relative), `${publishDir}/resources/${relative}`, { resource: relative });
  }
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.rootless)) {
      throw new InputError(
        `two files would publish to the same path ${file.rootless}; publish them as separate representations`,
      );
    }
    seen.add(file.rootless);
  }
  const productBaseType = request.productType;
  return {
    project,
    folder,
    task,
    sites,
    site,
    productBaseType,
    version,
    representationName,
    context: { ...data, ...sequenceContext(entries) },
    templateData: data,
    files,
    links,
  };
}

export function extOf(file: string): string {
  const ext = path.extname(file).slice(1);
  if (!ext) throw new InputError(`--file: "${file}" has no extension; AYON names representations by it`);
  return ext;
}

function checkSourceFile(file: string, option: string): string {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new InputError(`${option}: "${file}" does not exist`);
  if (!statSync(absolute).isFile()) throw new InputError(`${option}: "${file}" is not a file`);
  return absolute;
}

function checkSourceDir(dir: string, option: string): string {
  const absolute = path.resolve(dir);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) {
    throw new InputError(`${option}: "${dir}" is not a folder`);
  }
  return absolute;
}

/** Files under a folder, relative, with forward slashes, sorted (links to files are followed). */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() || (entry.isSymbolicLink() && statSync(full).isFile())) {
      out.push(path.relative(dir, full).split(path.sep).join("/"));
    }
  }
  return out.sort();
}

function publishingSite(sites: ProjectSites, requested: string | undefined, siteId: string): ResolvedSite {
  const wanted = requested === LOCAL_ALIAS ? siteId : (requested ?? sites.activeSite);
  if (!sites.syncEnabled && wanted !== STUDIO_SITE) {
    throw new InputError(
      `--site: site sync is disabled for this project, so publishing goes to "studio", not "${wanted}"`,
    );
  }
  const site = sites.sites.get(wanted);
  if (!site)
    throw new InputError(`--site: unknown site "${wanted}" (sites: ${[...sites.sites.keys()].join(", ")})`);
  if (site.problems.length > 0)
    throw new SettingsError(`--site: site "${wanted}" cannot be used: ${site.problems.join("; ")}`);
  if (Object.keys(site.roots).length === 0) {
    throw new InputError(`--site: site "${wanted}" has no roots configured on this workstation`);
  }
  return site;
}

async function checkLinks(
  context: Context,
  project: string,
  links: string[],
): Promise<Array<{ inputVersionId: string; linkType: string }>> {
  const parsed = links.map((link) => {
    const [linkType, id, extra] = link.split(":");
    if (!linkType || !id || extra !== undefined || !ENTITY_ID.test(id)) {
      throw new InputError(`--link: "${link}" is not TYPE:VERSION_ID (e.g. reference:<32 hex characters>)`);
    }
    return { linkType, inputVersionId: id };
  });
  if (parsed.length === 0) return parsed;
  const found = new Set(
    (await context.store.getVersions(project, { ids: parsed.map((l) => l.inputVersionId) })).map((v) => v.id),
  );
  for (const link of parsed) {
    if (!found.has(link.inputVersionId)) {
      throw new InputError(`--link: version ${link.inputVersionId} does not exist in project "${project}"`);
    }
  }
  return parsed;
}
