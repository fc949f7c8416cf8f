/**
 * The sync state a publish starts with (AYON's IntegrateSiteSync): the
 * publishing site has the files (OK); the other site of this workstation's
 * active/remote pair wants them (QUEUED); an alternative site sees the same
 * storage, so it copies the state of the site it mirrors; every
 * `always_accessible_on` site is QUEUED for a background service. Sites that
 * had a hero representation before are reset to QUEUED. With sync disabled only
 * `studio` is recorded.
 */
import { alternativesOf, type ProjectSites, STUDIO_SITE } from "../settings/sites.js";
import { SyncStatus } from "../store/status.js";

export function initialSiteStatuses(
  sites: ProjectSites,
  publishingSite: string,
  previouslyHeldBy: readonly string[] = [],
): Map<string, SyncStatus> {
  const statuses = new Map<string, SyncStatus>();
  if (!sites.syncEnabled) {
    statuses.set(STUDIO_SITE, SyncStatus.OK);
    return statuses;
  }
  statuses.set(publishingSite, SyncStatus.OK);
  for (const alternative of alternativesOf(sites, publishingSite)) statuses.set(alternative, SyncStatus.OK);
  const queue = (site: string) => {
    if (statuses.has(site)) return;
    statuses.set(site, SyncStatus.QUEUED);
    for (const alternative of alternativesOf(sites, site)) {
      if (!statuses.has(alternative)) statuses.set(alternative, SyncStatus.QUEUED);
    }
  };
  for (const site of [sites.activeSite, sites.remoteSite, ...sites.alwaysAccessibleOn, ...previouslyHeldBy]) {
    queue(site);
  }
  return statuses;
}
