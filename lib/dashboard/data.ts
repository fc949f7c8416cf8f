/**
 * What the page shows, read through the store's status query (the one behind
 * `sitesync status`): a page of rows, the counts per status over every page,
 * the pauses, and why a shown site cannot be used. Nothing is cached between
 * requests except the site checks, which may open a connection.
 */
import { openSite } from "../engine/pair.js";
import { messageOf } from "../errors.js";
import type { ProjectSites } from "../settings/sites.js";
import { overallStatus, type SyncStatus } from "../store/status.js";
import type { FileState, PauseTarget, Representation, StateCount, StateRow, Store } from "../store/types.js";
import { stateQuery, type View } from "./view.js";

export interface Pauses {
  service: boolean;
  project: boolean;
  representations: Set<string>;
}

export interface SiteProblem {
  site: string;
  reason: string;
}

export interface TableData {
  rows: StateRow[];
  total: number;
  counts: StateCount[];
  pauses: Pauses;
  problems: SiteProblem[];
}

export function pausesOf(pauses: readonly PauseTarget[], project: string): Pauses {
  const representations = new Set<string>();
  let service = false;
  let paused = false;
  for (const p of pauses) {
    if (p.kind === "service") service = true;
    else if (p.project !== project) continue;
    else if (p.kind === "project") paused = true;
    else representations.add(p.representationId);
  }
  return { service, project: paused, representations };
}

/** How long a site's check (isActive: a connection for SFTP, a request for Drive) is reused. */
const SITE_CHECK_MS = 30_000;

/** Why sites cannot be used, each checked at most every 30 s: a page read must not open a connection each time. */
export class SiteChecks {
  private readonly checked = new Map<string, { at: number; reason: Promise<string | undefined> }>();

  async problems(project: string, sites: ProjectSites, names: string[]): Promise<SiteProblem[]> {
    const out: SiteProblem[] = [];
    for (const name of new Set(names)) {
      const site = sites.sites.get(name);
      if (!site) continue;
      const key = `${project}\u0000${name}`;
      let entry = this.checked.get(key);
      if (!entry || Date.now() - entry.at > SITE_CHECK_MS) {
        entry = { at: Date.now(), reason: check(site) };
        this.checked.set(key, entry);
      }
      const reason = await entry.reason;
      if (reason) out.push({ site: name, reason });
    }
    return out;
  }
}

async function check(site: Parameters<typeof openSite>[0]): Promise<string | undefined> {
  try {
    const opened = await openSite(site);
    if (!opened.ok) return opened.reason;
    await opened.provider.close?.().catch(() => undefined);
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

export async function tableData(store: Store, view: View, checks: SiteChecks): Promise<TableData> {
  const query = stateQuery(view);
  const [page, counts, pauses, problems] = await Promise.all([
    store.queryState(view.project.name, {
      ...query,
      sortBy: view.sort,
      sortDesc: view.desc,
      page: view.page,
      pageLength: view.pageLength,
    }),
    store.countState(view.project.name, query),
    store.getPauses(),
    checks.problems(view.project.name, view.sites, [view.localSite, view.remoteSite]),
  ]);
  return {
    rows: page.representations,
    total: page.total,
    counts,
    pauses: pausesOf(pauses, view.project.name),
    problems,
  };
}

export interface DetailSite {
  site: string;
  /** Absent: the representation has no state on the site. */
  status?: SyncStatus;
  priority?: number;
  files: Map<string, FileState>;
}

export interface DetailData {
  representation: Representation;
  row: StateRow | undefined;
  sites: DetailSite[];
  paused: Pauses;
  problems: SiteProblem[];
}

/** One representation with every file's state on every site of the project (and any other site that has a state). */
export async function detailData(
  store: Store,
  view: View,
  representation: Representation,
  checks: SiteChecks,
): Promise<DetailData> {
  const project = view.project.name;
  const [states, page, pauses] = await Promise.all([
    store.getSiteStates(project, [representation.id]),
    store.queryState(project, {
      localSite: view.localSite,
      remoteSite: view.remoteSite,
      representationIds: [representation.id],
      page: 1,
      pageLength: 1,
    }),
    store.getPauses(),
  ]);
  const names = [...new Set([...view.sites.sites.keys(), ...states.map((s) => s.site)])];
  const sites = names.map((site): DetailSite => {
    const state = states.find((s) => s.site === site);
    if (!state) return { site, files: new Map() };
    return {
      site,
      status: overallStatus(state.files.map((f) => f.status)),
      priority: state.priority,
      files: new Map(state.files.map((f) => [f.fileId, f])),
    };
  });
  return {
    representation,
    row: page.representations[0],
    sites,
    paused: pausesOf(pauses, project),
    problems: await checks.problems(project, view.sites, names),
  };
}
