/**
 * What a page asks for, read from its URL and checked like `sitesync status`
 * checks its options: a project that exists, sites the project has (default
 * its active and remote site), statuses by name or code, a known sort key,
 * pages from 1. A bad value is an InputError (HTTP 400, shown in the page).
 */
import { type Context, projectSites, requireProject } from "../context.js";
import { InputError } from "../errors.js";
import { LOCAL_ALIAS, type ProjectSites } from "../settings/sites.js";
import { isSyncStatus, type SyncStatus } from "../store/status.js";
import type { Project, StateQuery, StateSortKey } from "../store/types.js";

export const SORT_KEYS: readonly StateSortKey[] = [
  "folder",
  "product",
  "version",
  "representation",
  "localStatus",
  "remoteStatus",
  "priority",
];

export const PAGE_LENGTHS = [25, 50, 100, 200] as const;

export interface View {
  project: Project;
  sites: ProjectSites;
  localSite: string;
  remoteSite: string;
  folder: string;
  product: string;
  representation: string;
  localStatus: SyncStatus | undefined;
  remoteStatus: SyncStatus | undefined;
  sort: StateSortKey;
  desc: boolean;
  page: number;
  pageLength: number;
}

const STATUS_BY_NAME: Record<string, SyncStatus> = {
  NA: -1,
  IN_PROGRESS: 0,
  QUEUED: 1,
  FAILED: 2,
  PAUSED: 3,
  OK: 4,
  SYNCED: 4,
};

export function parseStatus(value: string | null, field: string): SyncStatus | undefined {
  if (value === null || value === "") return undefined;
  const code = STATUS_BY_NAME[value.toUpperCase()] ?? Number(value);
  if (!isSyncStatus(code))
    throw new InputError(`${field}: "${value}" is not a status (NA, QUEUED, OK, ... or -1..4)`);
  return code;
}

function positive(value: string | null, field: string, fallback: number): number {
  if (value === null || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InputError(`${field}: "${value}" is not a whole number from 1`);
  return n;
}

/** The site named by a field, `local` meaning this workstation; one the project lacks is refused, naming its sites. */
export function projectSite(
  context: Context,
  view: { project: Project; sites: ProjectSites },
  value: string,
  field: string,
): string {
  const name = value === LOCAL_ALIAS ? context.siteId : value;
  if (!view.sites.sites.has(name)) {
    throw new InputError(
      `${field}: unknown site "${value}" in project "${view.project.name}" (sites: ${[...view.sites.sites.keys()].join(", ")}; "${LOCAL_ALIAS}" is ${context.siteId})`,
    );
  }
  return name;
}

/** The project a page shows: the one asked for, else the first by name; undefined when the store has none. */
export async function chooseProject(context: Context, name: string | null): Promise<Project | undefined> {
  if (name) return requireProject(context, name);
  const projects = await context.store.listProjects();
  return projects.sort((a, b) => a.name.localeCompare(b.name))[0];
}

export function readView(context: Context, project: Project, params: URLSearchParams): View {
  const sites = projectSites(context, project);
  const base = { project, sites };
  const sort = (params.get("sort") || "folder") as StateSortKey;
  if (!SORT_KEYS.includes(sort))
    throw new InputError(`sort: "${sort}" is not one of ${SORT_KEYS.join(", ")}`);
  const pageLength = positive(params.get("size"), "size", 50);
  if (pageLength > 500) throw new InputError(`size: at most 500 rows a page, not ${pageLength}`);
  return {
    ...base,
    localSite: projectSite(context, base, params.get("local") || sites.activeSite, "local"),
    remoteSite: projectSite(context, base, params.get("remote") || sites.remoteSite, "remote"),
    folder: params.get("folder")?.trim() ?? "",
    product: params.get("product")?.trim() ?? "",
    representation: params.get("representation")?.trim() ?? "",
    localStatus: parseStatus(params.get("lstatus"), "local status"),
    remoteStatus: parseStatus(params.get("rstatus"), "remote status"),
    sort,
    desc: params.get("desc") === "1",
    page: positive(params.get("page"), "page", 1),
    pageLength,
  };
}

/** The status query of a view (filters only: sort and page are added by the table). */
export function stateQuery(view: View): StateQuery {
  return {
    localSite: view.localSite,
    remoteSite: view.remoteSite,
    ...(view.folder ? { folderFilter: view.folder } : {}),
    ...(view.product ? { productFilter: view.product } : {}),
    ...(view.representation ? { representationNames: [view.representation] } : {}),
    ...(view.localStatus === undefined ? {} : { localStatusFilter: [view.localStatus] }),
    ...(view.remoteStatus === undefined ? {} : { remoteStatusFilter: [view.remoteStatus] }),
  };
}

/** The view's parameters as a URL query, for links that keep it (the defaults left out). */
export function viewParams(
  view: View,
  change: Partial<Record<string, string | number | boolean>> = {},
): Record<string, string | number | boolean | undefined> {
  return {
    project: view.project.name,
    local: view.localSite === view.sites.activeSite ? undefined : view.localSite,
    remote: view.remoteSite === view.sites.remoteSite ? undefined : view.remoteSite,
    folder: view.folder,
    product: view.product,
    representation: view.representation,
    lstatus: view.localStatus,
    rstatus: view.remoteStatus,
    sort: view.sort === "folder" ? undefined : view.sort,
    desc: view.desc ? 1 : undefined,
    page: view.page === 1 ? undefined : view.page,
    size: view.pageLength === 50 ? undefined : view.pageLength,
    ...change,
  };
}
