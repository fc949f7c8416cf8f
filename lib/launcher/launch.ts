/**
 * The launcher: launch data, prelaunch hooks in order, then the application
 * with the workfile (execa, attached to this terminal). `dryRun` stops before
 * starting it and returns the command instead.
 */
import { existsSync } from "node:fs";
import { execa } from "execa";
import type { HookServices, LaunchData, LaunchType } from "../../hooks/hook.js";
import type { Context } from "../context.js";
import { InputError, LaunchError } from "../errors.js";
import { applicableHooks, discoverHooks, type HookRun, runHooks } from "./hooks.js";
import { buildLaunch, type LaunchRequest } from "./launch-data.js";

export interface LaunchOptions {
  dryRun?: boolean;
  /** Arguments after `--`, passed to the application before the workfile. */
  extraArgs?: string[];
  launchType?: LaunchType;
  services: Omit<HookServices, "context">;
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
  const { data, app } = await buildLaunch(context, request);
  const hookDirs = data.project_settings.launcher.hook_dirs;
  const hooks = applicableHooks(await discoverHooks(hookDirs), {
    appGroup: app.group,
    host: app.hostName,
    platform: context.platform,
    launchType: options.launchType ?? "local",
  });
  const runs = await runHooks(hooks, {
    data,
    launchType: options.launchType ?? "local",
    platform: context.platform,
    services: { ...options.services, context },
  });
  if (!app.executable) {
    throw new InputError(
      `application ${data.app_name} has no executable for ${context.platform}: set applications.${app.group}.variants.${app.variant}.executables.${context.platform}`,
    );
  }
  const workfile =
    data.workfile_path ??
    (data.start_last_workfile && existsSync(data.last_workfile_path) ? data.last_workfile_path : undefined);
  const args = [...app.arguments, ...(options.extraArgs ?? []), ...(workfile ? [workfile] : [])];
  const command = [app.executable, ...args];
  if (options.dryRun) return { command, data, hooks: runs };
  const child = await execa(app.executable, args, {
    env: { ...process.env, ...data.env },
    cwd: data.workdir && existsSync(data.workdir) ? data.workdir : process.cwd(),
    stdio: "inherit",
    reject: false,
  });
  if (child.failed && child.exitCode === undefined) {
    throw new LaunchError(`cannot start ${app.executable}: ${child.shortMessage}`);
  }
  return { command, data, hooks: runs, exitCode: child.exitCode ?? 1 };
}
