/**
 * `sitesync store copy --from sqlite:PATH --to postgres://...` (issue 13): moves
 * a workstation's embedded store into the studio database; the rules are in
 * lib/store/copy.ts. A progress bar (representations done / total) is drawn on
 * stderr only on a terminal and never under --json.
 */
import { createRequire } from "node:module";
import type { SingleBar as SingleBarType } from "cli-progress";
import type { Command } from "commander";
import { InputError } from "../../errors.js";
import type { CopyProgress, CopyReport } from "../../store/copy.js";
import { type CommonOptions, printResult } from "../output.js";
import { withCommonOptions } from "./common.js";

interface StoreCopyOptions extends CommonOptions {
  from?: string;
  to?: string;
}

export function registerStoreCopy(store: Command): void {
  withCommonOptions(
    store
      .command("copy")
      .description(
        "copy a workstation's SQLite store (catalog and sync states) into a PostgreSQL store; safe to run again",
      )
      .option("--from <store>", "the source: sqlite:PATH (a home's sitesync.db)")
      .option("--to <store>", "the target: postgres://user@host:port/database"),
  ).action(async (options: StoreCopyOptions) => {
    if (!options.from || !options.to) {
      throw new InputError(
        "store copy: give both --from sqlite:PATH and --to postgres://user@host:port/database",
      );
    }
    const { parseStoreArgument } = await import("../../store/open.js");
    const from = parseStoreArgument(options.from, "--from");
    const to = parseStoreArgument(options.to, "--to");
    if (from.kind !== "sqlite" || to.kind !== "postgres") {
      throw new InputError(
        `store copy goes from a workstation's SQLite store to a PostgreSQL store (--from sqlite:PATH --to postgres://...), not ${from.kind} to ${to.kind}`,
      );
    }
    // Checked before anything is opened: a bad target URL must not leave the source half-read.
    const { targetOf } = await import("../../store/postgres/connection.js");
    targetOf(to.options.url, "--to", to.options.env);
    const { copyStore } = await import("../../store/copy.js");
    const bar = progressBar(!options.json);
    let report: CopyReport;
    try {
      report = await copyStore({ from: from.file, to: to.options, onProgress: bar.update });
    } finally {
      bar.stop();
    }
    printResult(options, report, () => describe(report));
  });
}

function progressBar(enabled: boolean): { update: (progress: CopyProgress) => void; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  // Loaded only when a bar is drawn, as lib/cli/progress.ts does.
  const { SingleBar } = createRequire(import.meta.url)("cli-progress") as { SingleBar: typeof SingleBarType };
  const bar = new SingleBar({
    stream: process.stderr,
    format: "copying [{bar}] {value}/{total} representations",
    hideCursor: true,
    clearOnComplete: false,
  });
  let started = false;
  return {
    update({ done, total }) {
      if (!started) bar.start(total, done);
      else bar.update(done);
      started = true;
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

const LABELS: Record<keyof CopyReport["counts"], string> = {
  projects: "projects",
  folders: "folders",
  tasks: "tasks",
  products: "products",
  versions: "versions",
  versionLinks: "version links",
  representations: "representations",
  files: "files",
  siteStates: "site states",
};

function describe(report: CopyReport): string {
  const lines = [`copied ${report.from} -> ${report.to}`];
  for (const [entity, label] of Object.entries(LABELS) as Array<[keyof typeof LABELS, string]>) {
    const c = report.counts[entity];
    lines.push(
      `  ${label}: ${c.copied} copied, ${c.present} already present${c.skipped ? `, ${c.skipped} skipped (conflicts)` : ""}`,
    );
  }
  if (report.conflicts.length > 0) {
    lines.push(
      `${report.conflicts.length} version(s) left out: the target has the same version number from another publish`,
    );
    for (const c of report.conflicts) {
      lines.push(
        `  ${c.project} ${c.folder} ${c.product} v${String(c.version).padStart(3, "0")}: this store's ${c.sourceVersionId}, the target's ${c.targetVersionId}`,
      );
    }
  }
  lines.push("not copied: claims and pauses (they belong to this workstation's running processes)");
  return lines.join("\n");
}
