/**
 * Prelaunch hooks: the registered ones (the package's own, which the CLI and
 * lib/index.ts register as a studio would, with `registerPrelaunchHook`) plus
 * every module in the folders listed in `launcher.hook_dirs` (each export
 * that is a hook object counts), kept when they apply to the app group, host,
 * platform and launch type, and run in `order`. A hook that throws stops the
 * launch with its message. On a dry run only the hooks that declare
 * `dryRun: true` are called (./hook.ts).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Platform } from "../anatomy/roots.js";
import { exitCodeOf, HookError, SettingsError } from "../errors.js";
import { expandEnv } from "../settings/env.js";
import { type HookContext, isPrelaunchHook, type LaunchType, type PrelaunchHook } from "./hook.js";

const registered: PrelaunchHook[] = [];

/**
 * Adds a hook every launch of this process considers, before those found in
 * `launcher.hook_dirs`; a hook registered twice (by name) counts once.
 */
export function registerPrelaunchHook(hook: PrelaunchHook): void {
  const index = registered.findIndex((h) => h.name === hook.name);
  if (index >= 0) registered[index] = hook;
  else registered.push(hook);
}

/** The registered hooks, in the order they were registered. */
export function registeredPrelaunchHooks(): readonly PrelaunchHook[] {
  return [...registered];
}

export async function discoverHooks(hookDirs: readonly string[]): Promise<PrelaunchHook[]> {
  const hooks = [...registered];
  for (const [index, raw] of hookDirs.entries()) {
    const dir = path.resolve(expandEnv(raw, `launcher.hook_dirs[${index}]`));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new SettingsError(`launcher.hook_dirs[${index}]: "${raw}" is not a folder`);
    }
    for (const name of readdirSync(dir).sort()) {
      if (!/\.(m?js)$/.test(name)) continue;
      const file = path.join(dir, name);
      let module: Record<string, unknown>;
      try {
        module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      } catch (error) {
        throw new HookError(`cannot load prelaunch hook module ${file}: ${(error as Error).message}`, 1, {
          cause: error,
        });
      }
      hooks.push(...Object.values(module).filter(isPrelaunchHook));
    }
  }
  return hooks;
}

export interface HookFilter {
  appGroup: string;
  host: string;
  platform: Platform;
  launchType: LaunchType;
}

export function applicableHooks(hooks: readonly PrelaunchHook[], filter: HookFilter): PrelaunchHook[] {
  const allows = (list: readonly string[] | undefined, value: string) =>
    !list || list.length === 0 || list.includes(value);
  return hooks
    .filter(
      (hook) =>
        allows(hook.appGroups, filter.appGroup) &&
        allows(hook.hosts, filter.host) &&
        allows(hook.platforms, filter.platform) &&
        (hook.launchTypes ?? ["local"]).includes(filter.launchType),
    )
    .sort((a, b) => a.order - b.order);
}

/**
 * One hook's turn. A real run has the hook's `result`; a dry run has its
 * `plan`, a `note` when it returned none, or `skipped` when it was not called.
 */
export type HookRun =
  | { name: string; result: unknown }
  | { name: string; plan: unknown }
  | { name: string; note: string }
  | { name: string; skipped: string };

export const NO_DRY_RUN = "would run (does not support dry run)";

export async function runHooks(hooks: readonly PrelaunchHook[], context: HookContext): Promise<HookRun[]> {
  const runs: HookRun[] = [];
  for (const hook of hooks) {
    // Not called at all: the launcher cannot know what a hook that never promised to only read would change.
    if (context.dryRun && hook.dryRun !== true) {
      runs.push({ name: hook.name, skipped: NO_DRY_RUN });
      continue;
    }
    let result: unknown;
    try {
      result = await hook.execute(context);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new HookError(`prelaunch hook "${hook.name}" stopped the launch: ${message}`, exitCodeOf(error), {
        cause: error,
      });
    }
    if (!context.dryRun) runs.push({ name: hook.name, result });
    else if (result === undefined) runs.push({ name: hook.name, note: "supports dry run; returned no plan" });
    else runs.push({ name: hook.name, plan: result });
  }
  return runs;
}
