import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CliResult, runCli } from "./cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "./engine.js";

export const STANDIN_DCC = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../templates/demo/standin-dcc.mjs",
);

export interface HookStudioOptions {
  profile?: string;
  enabled?: boolean;
  hookDirs?: string[];
  config?: string;
  sites?: (roots: { studio: string; local: string; dir: string }) => string[];
  remote?: string;
}

/** Studio-scope settings for launches: maya (the stand-in DCC), a host without workfiles, profiles, hook dirs. */
export function launchSettings(options: HookStudioOptions): string {
  return `  applications:
    maya:
      host_name: maya
      variants:
        "2024": {executables: {linux: ["${STANDIN_DCC}"], darwin: ["${STANDIN_DCC}"]}}
    unreal:
      host_name: unreal
      variants:
        "5": {executables: {linux: ["${STANDIN_DCC}"]}}
  core:
    tools:
      Workfiles:
        last_workfile_on_startup:
          - ${options.profile ?? "{host_names: [], task_types: [], enabled: true, use_last_published_workfile: true}"}
  launcher:
    hook_dirs: ${JSON.stringify(options.hookDirs ?? [])}`;
}

export async function hookStudio(
  options: HookStudioOptions = {},
): Promise<EngineStudio & { hook: (...args: string[]) => Promise<CliResult> }> {
  const studio = await engineStudio({
    settings: (roots) =>
      artistSettings(roots, {
        studio: launchSettings(options),
        ...(options.enabled === undefined ? {} : { enabled: options.enabled }),
        ...(options.config ? { config: options.config } : {}),
        ...(options.sites ? { sites: options.sites(roots) } : {}),
        ...(options.remote ? { remote: options.remote } : {}),
      }),
  });
  const hook = (...args: string[]) =>
    runCli(
      [
        "hook",
        "run",
        "copy-last-published-workfile",
        ...[
          "--project",
          "Proj",
          "--folder",
          "/assets/characters/hero",
          "--task",
          "modeling",
          "--app",
          "maya/2024",
        ],
        ...args,
        "--home",
        studio.home,
      ],
      { env: { SITESYNC_RETRY_BASE_MS: "5" } },
    );
  return { ...studio, hook };
}

export interface HookJson {
  status: "copied" | "skipped";
  reason: string | null;
  last_workfile_path: string;
  source_filepath: string | null;
  resources: string[];
  linked_representation_ids: string[];
}
