import type { Command } from "commander";
import { InputError } from "../../errors.js";
import type { ProjectSites } from "../../settings/sites.js";
import { isSyncStatus, SyncStatus, statusName } from "../../store/status.js";
import type { SiteSummary, StateRow, StateSortKey, Store } from "../../store/types.js";
import { formatBytes, renderTable, terminalWidth, truncate } from "../format.js";
import { type CommonOptions, printResult } from "../output.js";
import {
  type CountsByStatus,
  countsBySide,
  type ProjectPauses,
  pausesOf,
  STATUS_NAMES,
} from "../overview.js";
import { shortId, shortIdLength } from "../representation-ids.js";
import { collect, parseInteger, withCommonOptions, withContext } from "./common.js";

interface StatusOptions extends CommonOptions {
  project: string;
  localSite?: string;
  remoteSite?: string;
  folder?: string;
  product?: string;
  version?: number;
  representation?: string[];
  localStatus?: string[];
  remoteStatus?: string[];
  sort?: string;
  desc?: boolean;
  page?: number;
  pageLength?: number;
}

const SORT_KEYS: StateSortKey[] = [
  "folder",
  "product",
  "version",
  "representation",
  "localStatus",
  "remoteStatus",
  "priority",
];

function parseStatuses(values: string[] | undefined, option: string): SyncStatus[] | undefined {
  return values?.map((value) => {
    const byName = { NA: -1, IN_PROGRESS: 0, QUEUED: 1, FAILED: 2, PAUSED: 3, OK: 4, SYNCED: 4 }[
      value.toUpperCase()
    ];
    const code = byName ?? Number(value);
    if (!isSyncStatus(code))
      throw new InputError(`${option}: "${value}" is not a status (NA, QUEUED, OK, ... or -1..4)`);
    return code;
  });
}

export function registerStatus(program: Command): void {
  withCommonOptions(
    program
      .command("status")
      .description("sync status of a project's representations between two sites")
      .requiredOption("--project <name>", "project name")
      .option(
        "--local-site <site>",
        "site shown as local (default: the active site; 'local' is this workstation)",
      )
      .option("--remote-site <site>", "site shown as remote (default: the remote site)")
      .option("--folder <text>", "folder path contains this text")
      .option("--product <text>", "product name contains this text")
      .option("--version <n>", "version number", parseInteger("--version"))
      .option("--representation <name>", "representation name (repeatable)", collect)
      .option("--local-status <status>", "local status filter (repeatable)", collect)
      .option("--remote-status <status>", "remote status filter (repeatable)", collect)
      .option("--sort <key>", `sort by ${SORT_KEYS.join(", ")}`, "folder")
      .option("--desc", "sort descending")
      .option("--page <n>", "page (1-based)", parseInteger("--page"), 1)
      .option("--page-length <n>", "rows per page", parseInteger("--page-length"), 50),
  ).action(async (options: StatusOptions) => {
    const sortBy = options.sort as StateSortKey;
    if (!SORT_KEYS.includes(sortBy))
      throw new InputError(`--sort: "${options.sort}" is not one of ${SORT_KEYS.join(", ")}`);
    const pageNumber = options.page ?? 1;
    const pageLength = options.pageLength ?? 50;
    if (pageNumber < 1 || pageLength < 1) throw new InputError("--page and --page-length start at 1");
    const localStatusFilter = parseStatuses(options.localStatus, "--local-status");
    const remoteStatusFilter = parseStatuses(options.remoteStatus, "--remote-status");
    await withContext(options, async (context) => {
      const [{ projectSites, requireProject }, { LOCAL_ALIAS }] = await Promise.all([
        import("../../context.js"),
        import("../../settings/sites.js"),
      ]);
      const project = await requireProject(context, options.project);
      const sites = projectSites(context, project);
      // A site the project does not have would show every row NA, which reads as "nothing synced".
      const site = (value: string | undefined, fallback: string, option: string) => {
        const name = value === LOCAL_ALIAS ? context.siteId : (value ?? fallback);
        if (!sites.sites.has(name)) {
          throw new InputError(
            `${option}: unknown site "${value}" in project "${project.name}" (sites: ${[...sites.sites.keys()].join(", ")}; "${LOCAL_ALIAS}" is ${context.siteId})`,
          );
        }
        return name;
      };
      const localSite = site(options.localSite, sites.activeSite, "--local-site");
      const remoteSite = site(options.remoteSite, sites.remoteSite, "--remote-site");
      const query = {
        localSite,
        remoteSite,
        ...(options.folder ? { folderFilter: options.folder } : {}),
        ...(options.product ? { productFilter: options.product } : {}),
        ...(options.version === undefined ? {} : { versionFilter: options.version }),
        ...(options.representation ? { representationNames: options.representation } : {}),
        ...(localStatusFilter ? { localStatusFilter } : {}),
        ...(remoteStatusFilter ? { remoteStatusFilter } : {}),
      };
      const [page, counts, pauses] = await Promise.all([
        context.store.queryState(project.name, {
          ...query,
          sortBy,
          sortDesc: options.desc ?? false,
          page: pageNumber,
          pageLength,
        }),
        context.store.countState(project.name, query),
        context.store.getPauses(),
      ]);
      const pageIds = page.representations.map((r) => r.representationId);
      const [idLength, ranges] = await Promise.all([
        shortIdLength(context.store, project.name, pageIds),
        sequenceRanges(context.store, project.name, pageIds),
      ]);
      const paused = pausesOf(pauses, project.name);
      const problems = await siteProblems(sites, [localSite, remoteSite]);
      const bySide = countsBySide(counts);
      const result = {
        project: project.name,
        localSite,
        remoteSite,
        ...(problems.length ? { problems } : {}),
        total: page.total,
        page: pageNumber,
        pageLength,
        pages: Math.max(Math.ceil(page.total / pageLength), 1),
        paused: { service: paused.service, project: paused.project },
        counts: bySide,
        representations: page.representations.map((r) => ({
          ...r,
          shortId: shortId(r.representationId, idLength),
          ...ranges.get(r.representationId),
          paused: paused.representations.has(r.representationId),
          priority: rowPriority(r),
        })),
      };
      printResult(options, result, () =>
        [
          ...problems.map((p) => `site ${p.site} cannot be used: ${p.reason}`),
          ...pausedLines(paused, project.name),
          ...table(result.representations, { localSite, remoteSite, verbose: options.verbose ?? false }),
          pageLine(page.representations.length, page.total, pageNumber, pageLength),
          ...summary(bySide, localSite, remoteSite),
        ].join("\n"),
      );
    });
  });
}

/** The priority `--sort priority` orders by: the higher of the two sides that have a state. */
function rowPriority(row: StateRow): number {
  const sides = [row.localStatus, row.remoteStatus].filter((s) => s.status !== SyncStatus.NA);
  return sides.length ? Math.max(...sides.map((s) => s.priority)) : 0;
}

function pausedLines(paused: ProjectPauses, project: string): string[] {
  return [
    ...(paused.service ? ['paused: the sync service (nothing syncs; "sitesync unpause --service")'] : []),
    ...(paused.project ? [`paused: project ${project} ("sitesync unpause --project ${project}")`] : []),
  ];
}

/** Why each shown site cannot be used now, if it cannot: the reason a sync of it stands still. */
async function siteProblems(
  sites: ProjectSites,
  names: string[],
): Promise<Array<{ site: string; reason: string }>> {
  const { openSite } = await import("../../engine/pair.js");
  const problems: Array<{ site: string; reason: string }> = [];
  for (const name of new Set(names)) {
    const site = sites.sites.get(name);
    if (!site) continue;
    const opened = await openSite(site);
    if (opened.ok) await opened.provider.close?.().catch(() => undefined);
    else problems.push({ site: name, reason: opened.reason });
  }
  return problems;
}

/** What a sequence's row shows of its representation context: the frames or UDIM tiles present. */
interface SequenceRange {
  frames?: string;
  udims?: string;
}

/**
 * The frame ranges of a page's sequences, read from their representations'
 * contexts (`frames`, `udims`: `lib/publish/sequence.ts`), one store call per page.
 */
async function sequenceRanges(
  store: Store,
  project: string,
  ids: string[],
): Promise<Map<string, SequenceRange>> {
  const ranges = new Map<string, SequenceRange>();
  if (ids.length === 0) return ranges;
  for (const representation of await store.getRepresentations(project, { ids })) {
    const { frames, udims } = representation.context;
    const range: SequenceRange = {
      ...(typeof frames === "string" ? { frames } : {}),
      ...(typeof udims === "string" ? { udims } : {}),
    };
    if (range.frames !== undefined || range.udims !== undefined) ranges.set(representation.id, range);
  }
  return ranges;
}

/** `exr [1001-1100]` for a sequence, `exr [UDIM 1001-1010]` for tiles, the name alone otherwise. */
function representationCell(row: ShownRow): string {
  const parts = [
    ...(row.frames === undefined ? [] : [row.frames]),
    ...(row.udims === undefined ? [] : [`UDIM ${row.udims}`]),
  ];
  return parts.length ? `${row.representation} [${parts.join(" ")}]` : row.representation;
}

interface ShownRow extends StateRow, SequenceRange {
  shortId: string;
  paused: boolean;
  priority: number;
}

function table(
  rows: ShownRow[],
  view: { localSite: string; remoteSite: string; verbose: boolean },
): string[] {
  if (rows.length === 0) return [];
  const header = [
    "id",
    "folder",
    "product",
    "version",
    "repre",
    "size",
    "priority",
    `local (${view.localSite})`,
    `remote (${view.remoteSite})`,
  ];
  const cells = rows.map((r) => [
    r.paused ? `${r.shortId} paused` : r.shortId,
    r.folder,
    r.product,
    // A hero version is stored as minus its source version.
    r.version < 0 ? "hero" : `v${String(r.version).padStart(3, "0")}`,
    representationCell(r),
    formatBytes(r.size),
    String(r.priority),
    cell(r.localStatus),
    cell(r.remoteStatus),
  ]);
  const [head = "", ...lines] = renderTable(header, cells, new Set([5, 6]));
  const width = terminalWidth();
  // Messages (an error can be a paragraph) go on lines of their own under the row, cut to the
  // terminal so the table stays a table; --verbose and --json carry them whole.
  const message = (side: string, summary: SiteSummary) => {
    if (!summary.message) return [];
    const text = `    ${side}: ${summary.message}`;
    return [view.verbose ? text : truncate(text, width)];
  };
  return [
    head,
    ...rows.flatMap((r, i) => [
      lines[i] ?? "",
      ...message("local", r.localStatus),
      ...message("remote", r.remoteStatus),
    ]),
  ];
}

function cell(s: SiteSummary): string {
  const partial =
    s.size > 0 && s.size < s.totalSize ? ` ${formatBytes(s.size)}/${formatBytes(s.totalSize)}` : "";
  return `${statusName(s.status)}${partial}${s.retries ? ` retries ${s.retries}` : ""}`;
}

function pageLine(shown: number, total: number, page: number, pageLength: number): string {
  const pages = Math.max(Math.ceil(total / pageLength), 1);
  if (pages === 1 && page === 1) return `${total} representation${total === 1 ? "" : "s"}`;
  const first = (page - 1) * pageLength + 1;
  const rows = shown > 0 ? `${first}-${first + shown - 1}` : "none";
  return `representations ${rows} of ${total}, page ${page} of ${pages}`;
}

/** One line per status present on either side, counted over every page. */
function summary(
  counts: { local: CountsByStatus; remote: CountsByStatus },
  local: string,
  remote: string,
): string[] {
  const present = STATUS_NAMES.filter((name) => counts.local[name] > 0 || counts.remote[name] > 0);
  if (present.length === 0) return [];
  return renderTable(
    ["status", `local (${local})`, `remote (${remote})`],
    present.map((name) => [name, String(counts.local[name]), String(counts.remote[name])]),
    new Set([1, 2]),
  );
}
