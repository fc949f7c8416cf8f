import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { checkSiteId, localSiteId, resolveHome } from "../../home.js";
import { templatePath } from "../../paths.js";
import { type CommonOptions, printResult } from "../output.js";
import { withCommonOptions } from "./common.js";

interface InitOptions extends CommonOptions {
  siteId?: string;
  studioRoot?: string;
  localRoot?: string;
}

export function registerInit(program: Command): void {
  withCommonOptions(
    program
      .command("init")
      .description(
        "create the home with default settings from templates/ (keeps existing settings and site id)",
      )
      .option("--site-id <id>", "this workstation's local site id (default: a new unique id)")
      .option("--studio-root <dir>", "folder of the studio site's work root (default: <home>/studio)")
      .option(
        "--local-root <dir>",
        "folder of this workstation's local site work root (default: <home>/local)",
      ),
  ).action(async (options: InitOptions) => {
    const [{ loadHomeSettings, STORE_FILE }, { findSettingsFile }, { openSqliteStore }] = await Promise.all([
      import("../../context.js"),
      import("../../settings/load.js"),
      import("../../store/sqlite/index.js"),
    ]);
    const home = resolveHome(options.home);
    if (options.siteId) checkSiteId(options.siteId, "--site-id");
    const idFile = path.join(home, "site_id");
    if (options.siteId && existsSync(idFile)) {
      const current = readFileSync(idFile, "utf8").trim();
      if (current !== options.siteId) {
        throw new InputError(
          `--site-id: ${home} already has site id "${current}"; a workstation keeps its id`,
        );
      }
    }
    mkdirSync(home, { recursive: true });
    let settingsFile = findSettingsFile(home);
    const created = !settingsFile;
    if (!settingsFile) {
      settingsFile = path.join(home, "settings.yaml");
      const studioRoot = path.resolve(options.studioRoot ?? path.join(home, "studio"));
      const localRoot = path.resolve(options.localRoot ?? path.join(home, "local"));
      const text = readFileSync(templatePath("settings.yaml"), "utf8")
        .replaceAll('"{STUDIO_ROOT}"', JSON.stringify(studioRoot))
        .replaceAll('"{LOCAL_ROOT}"', JSON.stringify(localRoot));
      writeFileSync(settingsFile, text, { flag: "wx" });
    }
    await loadHomeSettings(home);
    if (options.siteId && !existsSync(idFile)) writeFileSync(idFile, `${options.siteId}\n`, { flag: "wx" });
    const siteId = localSiteId(home, { create: true });
    await openSqliteStore(path.join(home, STORE_FILE)).close();
    const result = { home, siteId, settings: settingsFile, createdSettings: created };
    printResult(options, result, () =>
      [
        `home      ${home}`,
        `site id   ${siteId}`,
        `settings  ${settingsFile}${created ? " (new)" : " (kept)"}`,
      ].join("\n"),
    );
  });
}
