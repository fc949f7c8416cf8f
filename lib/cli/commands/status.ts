import type { Command } from "commander";
import { InputError } from "../../errors.js";
import type { ProjectSites } from "../../settings/sites.js";
import { isSyncStatus, type SyncStatus, statusName } from "../../store/status.js";
import type { StateRow, StateSortKey } from "../../store/types.js";
import { type CommonOptions, printResult } from "../output.js";
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
      .option("--local-site <site>", "site shown as local (default: the active site)")
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
    if ((options.page ?? 1) < 1 || (options.pageLength ?? 1) < 1)
      throw new InputError("--page and --page-length start at 1");
    await withContext(options, async (context) => {
      const [{ projectSites, requireProject }, { LOCAL_ALIAS }] = await Promise.all([
        import("../../context.js"),
        import("../../settings/sites.js"),
      ]);
      const project = await requireProject(context, options.project);
      const sites = projectSites(context, project);
      const site = (value: string | undefined, fallback: string) =>
        value === LOCAL_ALIAS ? context.siteId : (value ?? fallback);
      const localSite = site(options.localSite, sites.activeSite);
      const remoteSite = site(options.remoteSite, sites.remoteSite);
      const localStatusFilter = parseStatuses(options.localStatus, "--local-status");
      const remoteStatusFilter = parseStatuses(options.remoteStatus, "--remote-status");
      const page = await context.store.queryState(project.name, {
        localSite,
        remoteSite,
        ...(options.folder ? { folderFilter: options.folder } : {}),
        ...(options.product ? { productFilter: options.product } : {}),
        ...(options.version === undefined ? {} : { versionFilter: options.version }),
        ...(options.representation ? { representationNames: options.representation } : {}),
        ...(localStatusFilter ? { localStatusFilter } : {}),
        ...(remoteStatusFilter ? { remoteStatusFilter } : {}),
        sortBy,
        sortDesc: options.desc ?? false,
        page: options.page ?? 1,
        pageLength: options.pageLength ?? 50,
      });
      const problems = await siteProblems(sites, [localSite, remoteSite]);
      const result = {
        project: project.name,
        localSite,
        remoteSite,
        ...(problems.length ? { problems } : {}),
        total: page.total,
        representations: page.representations,
      };
      printResult(options, result, () =>
        [
          ...problems.map((p) => `site ${p.site} cannot be used: ${p.reason}`),
          table(localSite, remoteSite, page.representations, page.total),
        ].join("\n"),
      );
    });
  });
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

function table(localSite: string, remoteSite: string, rows: StateRow[], total: number): string {
  const header = ["folder", "product", "version", "repre", `local (${localSite})`, `remote (${remoteSite})`];
  const body = rows.map((r) => [
    r.folder,
    r.product,
    `v${String(r.version).padStart(3, "0")}`,
    r.representation,
    cell(r.localStatus),
    cell(r.remoteStatus),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...body.map(line), `${rows.length} of ${total} representations`].join("\n");
}

function cell(s: StateRow["localStatus"]): string {
  const base = `${statusName(s.status)} ${s.size}/${s.totalSize}`;
  return s.retries ? `${base} retries ${s.retries}${s.message ? `: ${s.message}` : ""}` : base;
}
