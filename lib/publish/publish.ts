/**
 * `sitesync publish`: AYON's integrator plus IntegrateSiteSync. Copies the
 * files onto the publishing site through its provider, on the engine's
 * transfer path (copy.ts: temporary names, verified, durable, many at once,
 * never overwriting), then registers the version, representation, links and initial
 * sync state in one store transaction. If anything fails after the first copy,
 * the copies are removed again, so a failed publish leaves nothing behind.
 * With `hero`, the version is then integrated as the product's hero version.
 */
import os from "node:os";
import pLimit from "p-limit";
import type { SiteProvider } from "../../providers/provider.js";
import { createProvider } from "../../providers/registry.js";
import type { Context } from "../context.js";
import { DEFAULT_CONCURRENCY } from "../engine/types.js";
import { ProviderError, SitesyncError, TransferError } from "../errors.js";
import { newId } from "../store/ids.js";
import { SyncStatus } from "../store/status.js";
import type { PublishRecord, RepresentationFile } from "../store/types.js";
import { copyPublished } from "./copy.js";
import { type HeroPlan, planHero } from "./hero.js";
import { type PublishPlan, type PublishRequest, planPublish } from "./plan.js";
import { initialSiteStatuses } from "./site-states.js";

export interface PublishResult {
  versionId: string;
  version: number;
  representationId: string;
  site: string;
  files: Array<{ id: string; path: string }>;
  /** Site name -> initial status of the representation there. */
  sites: Record<string, SyncStatus>;
  hero?: {
    versionId: string;
    representationId: string;
    files: Array<{ id: string; path: string }>;
    sites: Record<string, SyncStatus>;
  };
}

/**
 * `signal` stops the publish between and inside copies (SIGINT/SIGTERM): the
 * copies made so far are removed and nothing is registered.
 */
export async function publish(
  context: Context,
  request: PublishRequest,
  signal?: AbortSignal,
): Promise<PublishResult> {
  const plan = await planPublish(context, request);
  const heroPlan = request.hero ? await planHero(context, plan, request.product) : undefined;
  const provider = createProvider(plan.site.provider, {
    siteName: plan.site.name,
    config: plan.site.config,
    roots: plan.site.roots,
  });
  try {
    await refuseExisting(provider, plan);
    const copied: string[] = [];
    let result: PublishResult;
    try {
      const files = await copyPublished(provider, plan.files, { overwrite: false, signal, placed: copied });
      const versionId = newId();
      const representationId = newId();
      const statuses = initialSiteStatuses(plan.sites, plan.site.name);
      signal?.throwIfAborted();
      await context.store.registerPublish(
        plan.project.name,
        record(plan, request, { versionId, representationId, version: plan.version, files, statuses }),
      );
      result = {
        versionId,
        version: plan.version,
        representationId,
        site: plan.site.name,
        ...described(files, statuses),
      };
    } catch (error) {
      await Promise.allSettled(copied.map((target) => provider.remove(target)));
      throw asPublishError(error, "publish failed");
    }
    if (heroPlan) result.hero = await integrateHero(context, provider, plan, request, heroPlan);
    return result;
  } finally {
    await provider.close?.();
  }
}

async function integrateHero(
  context: Context,
  provider: SiteProvider,
  plan: PublishPlan,
  request: PublishRequest,
  hero: HeroPlan,
): Promise<NonNullable<PublishResult["hero"]>> {
  try {
    // Hero files are replaced in place: each copy still lands atomically.
    const files = await copyPublished(provider, hero.files, { overwrite: true, placed: [] });
    const statuses = initialSiteStatuses(plan.sites, plan.site.name, hero.previouslyHeldBy);
    await context.store.registerPublish(plan.project.name, {
      ...record(plan, request, {
        versionId: hero.versionId,
        representationId: hero.representationId,
        version: -plan.version,
        files,
        statuses,
      }),
      replaceRepresentation: true,
    });
    await Promise.allSettled(hero.staleTargets.map((target) => provider.remove(target)));
    return {
      versionId: hero.versionId,
      representationId: hero.representationId,
      ...described(files, statuses),
    };
  } catch (error) {
    throw asPublishError(error, `version ${plan.version} was published, but its hero version failed`);
  }
}

/**
 * A target already there means an earlier publish of this version failed half
 * way (or another is running): refused before anything is written. Checked
 * concurrently: on a remote site each check is a round trip.
 */
async function refuseExisting(provider: SiteProvider, plan: PublishPlan): Promise<void> {
  const limit = pLimit(DEFAULT_CONCURRENCY);
  const found = await Promise.all(plan.files.map((file) => limit(() => provider.stat(file.target))));
  const first = plan.files.find((_, index) => found[index]);
  if (first) {
    throw new ProviderError(
      `${first.target} already exists on site "${plan.site.name}" but version ${plan.version} is not registered; ` +
        "an earlier publish may have failed half way: move that folder away and publish again",
      false,
    );
  }
}

function record(
  plan: PublishPlan,
  request: PublishRequest,
  entry: {
    versionId: string;
    representationId: string;
    version: number;
    files: RepresentationFile[];
    statuses: Map<string, SyncStatus>;
  },
): PublishRecord {
  return {
    product: {
      folderId: plan.folder.id,
      name: request.product,
      productType: request.productType,
      productBaseType: plan.productBaseType,
    },
    version: {
      id: entry.versionId,
      version: entry.version,
      taskId: plan.task.id,
      author: request.author ?? author(),
    },
    representation: {
      id: entry.representationId,
      name: plan.representationName,
      context: plan.context,
      files: entry.files,
    },
    links: plan.links,
    siteStates: [...entry.statuses].map(([site, status]) => ({
      site,
      files: entry.files.map((f) => ({ fileId: f.id, status, size: status === SyncStatus.OK ? f.size : 0 })),
    })),
  };
}

function described(files: RepresentationFile[], statuses: Map<string, SyncStatus>) {
  return { files: files.map((f) => ({ id: f.id, path: f.path })), sites: Object.fromEntries(statuses) };
}

function asPublishError(error: unknown, prefix: string): SitesyncError {
  if (error instanceof SitesyncError) return error;
  return new TransferError(`${prefix}: ${(error as Error).message}`, { cause: error });
}

function author(): string {
  return process.env.AYON_USERNAME || os.userInfo().username;
}
