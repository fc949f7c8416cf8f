/**
 * The hero version (AYON's IntegrateHeroVersion): one per product, always the
 * latest integrated version, stored as minus that version number. It keeps its
 * entity ids across re-publishes, its files are replaced in place on the
 * publishing site, and every site that had it goes back to QUEUED because what
 * it holds is now stale.
 */
import { fillRootless } from "../anatomy/roots.js";
import { resolveAnatomyTemplate } from "../anatomy/template.js";
import type { Context } from "../context.js";
import { newId } from "../store/ids.js";
import type { Representation, Version } from "../store/types.js";
import { extOf, type PlannedFile, type PublishPlan } from "./plan.js";
import { sequenceTemplateData } from "./sequence.js";

export interface HeroPlan {
  versionId: string;
  representationId: string;
  files: PlannedFile[];
  /** Sites holding the previous hero representation: reset on re-publish. */
  previouslyHeldBy: string[];
  /** Files of the previous hero that the new one does not replace: removed after registering. */
  staleTargets: string[];
}

export async function planHero(context: Context, plan: PublishPlan, productName: string): Promise<HeroPlan> {
  const { store } = context;
  const project = plan.project.name;
  const [product] = await store.getProducts(project, { folderIds: [plan.folder.id], names: [productName] });
  const versions: Version[] = product ? await store.getVersions(project, { productIds: [product.id] }) : [];
  const previous = versions.find((v) => v.version < 0);
  const previousRepresentation: Representation | undefined = previous
    ? (await store.getRepresentations(project, { versionIds: [previous.id] })).find(
        (r) => r.name === plan.representationName,
      )
    : undefined;

  const templates = plan.project.anatomy.templates;
  const data = plan.templateData;
  const heroDir = resolveAnatomyTemplate(templates, "hero", "default", "directory", data);
  // The frames and tiles of a sequence fill the hero template as they filled the publish one.
  const files = plan.files.map((file): PlannedFile => {
    const rootless =
      file.resource !== undefined
        ? `${heroDir}/resources/${file.resource}`
        : `${heroDir}/${resolveAnatomyTemplate(templates, "hero", "default", "file", { ...data, ...sequenceTemplateData(file), ext: extOf(file.source) })}`;
    return { ...file, rootless, target: fillRootless(rootless, plan.site.roots) };
  });
  const newRootless = new Set(files.map((f) => f.rootless));
  const staleTargets = (previousRepresentation?.files ?? [])
    .filter((f) => !newRootless.has(f.path))
    .map((f) => fillRootless(f.path, plan.site.roots));
  const previouslyHeldBy = previousRepresentation
    ? (await store.getSiteStates(project, [previousRepresentation.id])).map((s) => s.site)
    : [];
  return {
    versionId: previous?.id ?? newId(),
    representationId: previousRepresentation?.id ?? newId(),
    files,
    previouslyHeldBy,
    staleTargets,
  };
}
