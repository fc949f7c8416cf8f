/**
 * The launcher: launch data, the application's executable (checked first,
 * so a launch that cannot start runs no hook), prelaunch hooks in order, then
 * the application with the workfile (execa, attached to this terminal).
 * `dryRun` changes nothing anywhere (README "The launcher"): hooks that
 * support it plan instead of acting, the others are not called, and the
 * command is returned instead of started.
 */
import { existsSync } from "node:fs";
import { execa } from "execa";
import type { Context } from "../context.js";
import { LaunchError } from "../errors.js";
import type { LaunchData, LaunchType } from "./hook.js";
import { applicableHooks, discoverHooks, type HookRun, runHooks } from "./hooks.js";
import { buildLaunch, findExecutable, type LaunchRequest } from "./launch-data.js";
import { hookServices, type LaunchServices } from "./services.js";

export interface LaunchOptions {
  dryRun?: boolean;
  /** Arguments after `--`, passed to the application before the workfile. */
  extraArgs?: string[];
  launchType?: LaunchType;
  services: LaunchServices;
}

export interface LaunchResult {
  command: string[];
  data: LaunchData;
  hooks: HookRun[];
  /** The application's exit code (absent on a dry run). */
  exitCode?: number;
}

export async function launch(
  context: Context,
  request: LaunchRequest,
  options: LaunchOptions,
): Promise<LaunchResult> {
  const { data, app, sites } = await buildLaunch(context, request);
  // Before any hook: a hook may transfer gigabytes, wasted if the application cannot start.
  const executable = await findExecutable(app, context.platform, context.settings.file, {
    ...process.env,
    ...data.env,
  });
  const hookDirs = data.project_settings.launcher.hook_dirs;
  const hooks = applicableHooks(await discoverHooks(hookDirs), {
    appGroup: app.group,
    host: app.hostName,
    platform: context.platform,
    launchType: options.launchType ?? "local",
  });
  const workfileBeforeHooks = data.last_workfile_path;
  const runs = await runHooks(hooks, {
    data,
    ...(options.dryRun ? { dryRun: true } : {}),
    launchType: options.launchType ?? "local",
    platform: context.platform,
    services: hookServices(context, { project: data.project_name, sites }, options.services),
  });
  // On a dry run a workfile a hook moved last_workfile_path to is only planned, not written yet.
  const willExist =
    existsSync(data.last_workfile_path) ||
    (options.dryRun === true && data.last_workfile_path !== workfileBeforeHooks);
  const workfile =
    data.workfile_path ?? (data.start_last_workfile && willExist ? data.last_workfile_path : undefined);
  const args = [...app.arguments, ...(options.extraArgs ?? []), ...(workfile ? [workfile] : [])];
  const command = [executable, ...args];
  if (options.dryRun) return { command, data, hooks: runs };
  const child = await execa(executable, args, {
    env: { ...process.env, ...data.env },
    cwd: data.workdir && existsSync(data.workdir) ? data.workdir : process.cwd(),
    stdio: "inherit",
    reject: false,
  });
  if (child.failed && child.exitCode === undefined) {
    throw new LaunchError(`cannot start ${executable}: ${child.shortMessage}`);
  }
  return { command, data, hooks: runs, exitCode: child.exitCode ?? 1 };
}
