/**
 * `sitesync store migrate` (docs/contract.md "Commands"): brings the chosen
 * store's schema to this package's version, explicitly, where every other
 * command migrates on open. For PostgreSQL this is the step a studio runs
 * once after upgrading sitesync; services starting together are safe either
 * way (migrations run under an advisory lock).
 */
import type { Command } from "commander";
import { type CommonOptions, printResult } from "../output.js";
import { withCommonOptions } from "./common.js";
import { registerStoreCopy } from "./store-copy.js";

export function registerStore(program: Command): void {
  const store = program
    .command("store")
    .description("the catalog and sync state store: migrations and copies");
  withCommonOptions(
    store
      .command("migrate")
      .description("run the schema migrations the store lacks (PostgreSQL or the home's SQLite)"),
  ).action(async (options: CommonOptions) => {
    const [{ resolveHome }, { loadHomeSettings }, { chooseStore }] = await Promise.all([
      import("../../home.js"),
      import("../../context.js"),
      import("../../store/open.js"),
    ]);
    const home = resolveHome(options.home);
    const choice = chooseStore(home, await loadHomeSettings(home));
    let result: { store: string; from: number; to: number };
    if (choice.kind === "postgres") {
      const { migratePostgres } = await import("../../store/postgres/index.js");
      const report = await migratePostgres(choice.options);
      result = { store: report.where, from: report.from, to: report.to };
    } else {
      const { migrateSqlite } = await import("../../store/sqlite/index.js");
      result = { store: choice.file, ...migrateSqlite(choice.file) };
    }
    printResult(options, result, () =>
      result.from === result.to
        ? `${result.store}: schema version ${result.to}, nothing to migrate`
        : `${result.store}: migrated schema version ${result.from} -> ${result.to}`,
    );
  });
  registerStoreCopy(store);
}
