import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { Platform } from "../../anatomy/roots.js";
import { InputError } from "../../errors.js";
import { checkSiteId, localSiteId, resolveHome } from "../../home.js";
import { templatePath } from "../../paths.js";
import type { ProjectSettings } from "../../settings/schema.js";
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
    const [
      { loadHomeSettings },
      { findSettingsFile },
      { chooseStore, openStore },
      { currentPlatform },
      { STUDIO_SITE },
    ] = await Promise.all([
      import("../../context.js"),
      import("../../settings/load.js"),
      import("../../store/open.js"),
      import("../../anatomy/roots.js"),
      import("../../settings/sites.js"),
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
    const settings = await loadHomeSettings(home);
    // An existing settings file is kept whole, so a root asked for on the command line is
    // not applied; say so, and where the root is set, rather than ignore the flag.
    const notes = created
      ? []
      : keptRootNotes(settings.forProject(""), settingsFile, options, {
          platform: currentPlatform(),
          studioSite: STUDIO_SITE,
        });
    if (options.siteId && !existsSync(idFile)) writeFileSync(idFile, `${options.siteId}\n`, { flag: "wx" });
    const siteId = localSiteId(home, { create: true });
    // The embedded store is created here; a PostgreSQL store is migrated (docs/adding-a-store.md).
    const store = await openStore(chooseStore(home, settings));
    const storeLocation = store.location;
    await store.close();
    for (const note of notes) process.stderr.write(`sitesync: note: ${note}\n`);
    const result = {
      home,
      siteId,
      settings: settingsFile,
      store: storeLocation,
      createdSettings: created,
      notes,
    };
    printResult(options, result, () =>
      [
        `home      ${home}`,
        `site id   ${siteId}`,
        `settings  ${settingsFile}${created ? " (new)" : " (kept)"}`,
        `store     ${storeLocation}`,
      ].join("\n"),
    );
  });
}

/** The `work` root the template writes for the studio site and the local site, as the kept settings have them. */
function keptRootNotes(
  settings: ProjectSettings,
  file: string,
  options: InitOptions,
  { platform, studioSite }: { platform: Platform; studioSite: string },
): string[] {
  const studio = settings.sitesync.sites
    .find((site) => site.name === studioSite)
    ?.local_drive?.roots.find((root) => root.name === "work")?.[platform];
  const local = settings.sitesync.local_setting.local_roots.find((root) => root.name === "work")?.path;
  const notes: string[] = [];
  const note = (flag: string, asked: string, current: string | undefined, where: string) => {
    if (current !== undefined && path.resolve(current) === asked) return;
    notes.push(
      `${flag} ${asked} was not applied: ${file} already exists and was kept, so the root stays ` +
        `${current === undefined ? "unset" : `"${current}"`}. To change it, edit ${where} in ${file} ` +
        "(or move the file away and run init again to write new settings).",
    );
  };
  if (options.studioRoot) {
    note(
      "--studio-root",
      path.resolve(options.studioRoot),
      studio,
      `the "work" root (${platform}) of the "studio" site's local_drive.roots under studio.sitesync.sites`,
    );
  }
  if (options.localRoot) {
    note(
      "--local-root",
      path.resolve(options.localRoot),
      local,
      'the "work" entry of site.sitesync.local_setting.local_roots',
    );
  }
  return notes;
}
