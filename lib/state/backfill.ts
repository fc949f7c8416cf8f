/**
 * Queues a site for every representation of a project that has no state
 * there yet: the representations published before the site was added to
 * `always_accessible_on` (IntegrateSiteSync only queues it for publishes made
 * after), or a bulk `site add --all`. A page of representations at a time, one
 * transaction per page; a representation that already has a state on the site
 * keeps it, whatever it is.
 */
import { pages } from "../store/paging.js";
import { SyncStatus } from "../store/status.js";
import type { Representation, SiteStateChange, Store } from "../store/types.js";

export interface BackfillOptions {
  /** Only representations this accepts (the CLI's --folder/--product filters). */
  match?: (representation: Representation) => boolean;
  priority?: number;
  pageSize?: number;
}

/** Resolves with how many representations were queued on the site. */
export async function queueMissing(
  store: Store,
  project: string,
  site: string,
  options: BackfillOptions = {},
): Promise<number> {
  let queued = 0;
  const walk = pages(
    (page) => store.listRepresentations(project, page),
    (r) => r.id,
    options.pageSize,
  );
  for await (const representations of walk) {
    const wanted = options.match ? representations.filter(options.match) : representations;
    const changes: SiteStateChange[] = wanted.map((representation) => ({
      op: "set",
      representationId: representation.id,
      site,
      onlyIfAbsent: true,
      options: {
        reset: true,
        files: representation.files.map((f) => ({ fileId: f.id, status: SyncStatus.QUEUED, size: 0 })),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
      },
    }));
    if (changes.length === 0) continue;
    queued += (await store.changeSiteStates(project, changes)).records;
  }
  return queued;
}
