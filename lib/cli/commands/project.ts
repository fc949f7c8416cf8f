import type { Command } from "commander";
import { renderTable } from "../format.js";
import { type CommonOptions, printResult } from "../output.js";
import { type CountsByStatus, countsBySide, countsText, pausesOf } from "../overview.js";
import { withCommonOptions, withContext } from "./common.js";

export function registerProject(program: Command): void {
  const project = program.command("project").description("projects in the catalog");
  withCommonOptions(
    project
      .command("import")
      .description(
        "create or update a project (name, code, anatomy, folders with tasks) from YAML/JSON; idempotent",
      )
      .argument("<file>", "project file"),
  ).action(async (file: string, options: CommonOptions) => {
    const { readProjectFile } = await import("../../catalog/project-file.js");
    const data = readProjectFile(file);
    await withContext(
      options,
      async (context) => {
        await context.store.importProject(data);
        const result = { name: data.name, code: data.code, folders: data.folders.length };
        printResult(options, result, () => `imported project ${data.name} (${data.folders.length} folders)`);
      },
      { create: true },
    );
  });
  withCommonOptions(
    project
      .command("list")
      .description("projects with their sync state: enabled, paused, active/remote site, counts per status"),
  ).action(async (options: CommonOptions) => {
    await withContext(options, async (context) => {
      const { projectSites } = await import("../../context.js");
      const [projects, pauses] = await Promise.all([context.store.listProjects(), context.store.getPauses()]);
      const rows: ProjectRow[] = [];
      for (const p of projects) {
        const paused = pausesOf(pauses, p.name);
        const base = {
          name: p.name,
          code: p.code,
          paused: paused.project,
          pausedRepresentations: paused.representations.size,
        };
        let sites: ReturnType<typeof projectSites>;
        try {
          sites = projectSites(context, p);
        } catch (error) {
          // One project's broken site settings must not hide the others from the list.
          rows.push({ ...base, error: error instanceof Error ? error.message : String(error) });
          continue;
        }
        const { activeSite, remoteSite } = sites;
        const counts = await context.store.countState(p.name, { localSite: activeSite, remoteSite });
        const bySide = countsBySide(counts);
        rows.push({
          ...base,
          syncEnabled: sites.syncEnabled,
          activeSite,
          remoteSite,
          representations: counts.reduce((sum, c) => sum + c.count, 0),
          counts: { active: bySide.local, remote: bySide.remote },
        });
      }
      const servicePaused = pauses.some((p) => p.kind === "service");
      printResult(options, { servicePaused, projects: rows }, () => projectTable(rows, servicePaused));
    });
  });
}

interface ProjectRow {
  name: string;
  code: string;
  paused: boolean;
  pausedRepresentations: number;
  error?: string;
  syncEnabled?: boolean;
  activeSite?: string;
  remoteSite?: string;
  representations?: number;
  counts?: { active: CountsByStatus; remote: CountsByStatus };
}

function projectTable(rows: ProjectRow[], servicePaused: boolean): string {
  if (rows.length === 0) return 'no projects; import one with "sitesync project import FILE"';
  const sync = (r: ProjectRow) => {
    if (r.error) return "error";
    const state = r.syncEnabled ? (r.paused ? "paused" : "enabled") : "disabled";
    return r.pausedRepresentations ? `${state} (${r.pausedRepresentations} paused)` : state;
  };
  const table = renderTable(
    ["project", "code", "sync", "active", "remote", "representations", "on active", "on remote"],
    rows.map((r) => [
      r.name,
      r.code,
      sync(r),
      r.activeSite ?? "",
      r.remoteSite ?? "",
      r.representations === undefined ? "" : String(r.representations),
      r.counts ? countsText(r.counts.active) : "",
      r.counts ? countsText(r.counts.remote) : "",
    ]),
    new Set([5]),
  );
  return [
    ...(servicePaused ? ['paused: the sync service (nothing syncs; "sitesync unpause --service")'] : []),
    ...table,
    ...rows.flatMap((r) => (r.error ? [`${r.name}: ${r.error}`] : [])),
  ].join("\n");
}
