import type { Command } from "commander";
import { failures, type PassReport, projectProblems } from "../../engine/types.js";
import { type CommonOptions, printResult } from "../output.js";
import { stopSignal } from "../stop.js";
import { withCommonOptions, withContext } from "./common.js";

interface SyncOptions extends CommonOptions {
  project: string;
  once?: boolean;
}

export interface ProjectSummary {
  project: string;
  skipped?: string;
  /** The skip is a site problem to fix (`sync --once` then exits 1), not a choice. */
  problem?: boolean;
  /** The project's work stopped on an error (the store failing, say). */
  error?: string;
  activeSite?: string;
  remoteSite?: string;
  transferred: number;
  claimedElsewhere: number;
  failed: Array<{ representationId: string; file: string; retries: number; message: string }>;
}

export function summarize(report: PassReport): { projects: ProjectSummary[] } {
  return {
    projects: report.projects.map((p) => ({
      project: p.project,
      ...(p.skipped ? { skipped: p.skipped } : {}),
      ...(p.problem ? { problem: true } : {}),
      ...(p.error ? { error: p.error } : {}),
      ...(p.activeSite ? { activeSite: p.activeSite, remoteSite: p.remoteSite } : {}),
      transferred: p.outcomes.filter((o) => o.status === "ok").length,
      claimedElsewhere: p.claimedElsewhere,
      failed: p.outcomes.flatMap((o) =>
        o.status === "failed"
          ? [
              {
                representationId: o.job.representationId,
                file: o.job.file.path,
                retries: o.retries,
                message: o.message,
              },
            ]
          : [],
      ),
    })),
  };
}

export function registerSync(program: Command): void {
  withCommonOptions(
    program
      .command("sync")
      .description(
        "sync a project between this workstation's active and remote site: one pass (--once) or a loop",
      )
      .requiredOption("--project <name>", "project name")
      .option(
        "--once",
        "run a single pass and exit: 0 when all planned work succeeded, 1 when a transfer failed or a site cannot be used",
      ),
  ).action(async (options: SyncOptions) => {
    await withContext(options, async (context) => {
      const [{ requireProject }, { SyncEngine }, { createLogger }, { runLoop }, { progressRenderer }] =
        await Promise.all([
          import("../../context.js"),
          import("../../engine/engine.js"),
          import("../../log.js"),
          import("../../service/service.js"),
          import("../progress.js"),
        ]);
      await requireProject(context, options.project);
      const logger = createLogger({ verbose: options.verbose ?? false, format: options.logFormat });
      const progress = progressRenderer(!options.json);
      const signal = stopSignal(logger, { termIsNormalEnd: !options.once });
      if (!options.once) {
        await runLoop({
          context,
          site: context.siteId,
          logger,
          signal,
          projects: [options.project],
          wakeable: false,
          onEvent: progress.onEvent,
        });
        progress.stop();
        return;
      }
      const engine = new SyncEngine({
        store: context.store,
        settings: context.settings,
        ownSite: context.siteId,
        platform: context.platform,
      });
      engine.on(progress.onEvent);
      const report = await engine.runPass({ projects: [options.project], signal });
      progress.stop();
      const summary = summarize(report);
      const failed = failures(report);
      printResult(options, summary, () =>
        summary.projects
          .map((p) =>
            p.error || p.problem
              ? `${p.project}: cannot sync: ${p.error ?? p.skipped}`
              : p.skipped
                ? `${p.project}: skipped: ${p.skipped}`
                : [
                    `${p.project}: ${p.transferred} file(s) transferred ${p.activeSite} <-> ${p.remoteSite}, ${p.failed.length} failed`,
                    ...p.failed.map((f) => `  FAILED ${f.file} after ${f.retries} tries: ${f.message}`),
                  ].join("\n"),
          )
          .join("\n"),
      );
      // A site that cannot be used is a failure a cron job must see, not a quiet skip.
      if (failed.length > 0 || projectProblems(report).length > 0 || signal.aborted) process.exitCode = 1;
    });
  });
}
