/**
 * `sitesync publish`: AYON's integrator plus IntegrateSiteSync. Copies the
 * files onto the publishing site through its provider (atomic, never
 * overwriting), then registers the version, representation, links and initial
 * sync state in one store transaction. If anything fails after the first copy,
 * the copies are removed again, so a failed publish leaves nothing behind.
 */
import os from "node:os";
import path from "node:path";
import { createProvider } from "../../providers/registry.js";
import type { Context } from "../context.js";
import { ProviderError, SitesyncError, TransferError } from "../errors.js";
import { newId } from "../store/ids.js";
import type { SyncStatus } from "../store/status.js";
import { SyncStatus as Status } from "../store/status.js";
import type { RepresentationFile } from "../store/types.js";
import { op3Hash, sha256File } from "./hash.js";
import { type PublishRequest, planPublish } from "./plan.js";
import { initialSiteStatuses } from "./site-states.js";

export interface PublishResult {
  versionId: string;
  version: number;
  representationId: string;
  site: string;
  files: Array<{ id: string; path: string }>;
  /** Site name -> initial status of the representation there. */
  sites: Record<string, SyncStatus>;
}

export async function publish(context: Context, request: PublishRequest): Promise<PublishResult> {
  const plan = await planPublish(context, request);
  const provider = createProvider(plan.site.provider, {
    siteName: plan.site.name,
    config: plan.site.config,
    roots: plan.site.roots,
  });
  for (const file of plan.files) {
    if (await provider.stat(file.target)) {
      throw new ProviderError(
        `${file.target} already exists on site "${plan.site.name}" but version ${plan.version} is not registered; ` +
          "an earlier publish may have failed half way: move that folder away and publish again",
        false,
      );
    }
  }

  const copied: string[] = [];
  try {
    const files: RepresentationFile[] = [];
    for (const file of plan.files) {
      const sha256 = await sha256File(file.source);
      await provider.mkdirs(path.dirname(file.target));
      await provider.upload(file.source, file.target);
      copied.push(file.target);
      const stat = await provider.stat(file.target);
      if (!stat || stat.size !== file.size) {
        throw new TransferError(
          `copy of ${file.source} to ${file.target} has ${stat?.size ?? "no"} bytes, expected ${file.size}`,
        );
      }
      files.push({
        id: newId(),
        name: path.basename(file.target),
        path: file.rootless,
        size: file.size,
        hash: op3Hash(file.target, stat.mtimeMs, stat.size),
        hashType: "op3",
        sha256,
      });
    }
    const statuses = initialSiteStatuses(plan.sites, plan.site.name);
    const versionId = newId();
    const representationId = newId();
    await context.store.registerPublish(plan.project.name, {
      product: {
        folderId: plan.folder.id,
        name: request.product,
        productType: request.productType,
        productBaseType: plan.productBaseType,
      },
      version: {
        id: versionId,
        version: plan.version,
        taskId: plan.task.id,
        author: request.author ?? author(),
      },
      representation: { id: representationId, name: plan.representationName, context: plan.context, files },
      links: plan.links,
      siteStates: [...statuses].map(([site, status]) => ({
        site,
        files: files.map((f) => ({ fileId: f.id, status, size: status === Status.OK ? f.size : 0 })),
      })),
    });
    return {
      versionId,
      version: plan.version,
      representationId,
      site: plan.site.name,
      files: files.map((f) => ({ id: f.id, path: f.path })),
      sites: Object.fromEntries(statuses),
    };
  } catch (error) {
    await Promise.allSettled(copied.map((target) => provider.remove(target)));
    if (error instanceof SitesyncError) throw error;
    throw new TransferError(`publish failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await provider.close?.();
  }
}

function author(): string {
  return process.env.AYON_USERNAME || os.userInfo().username;
}
