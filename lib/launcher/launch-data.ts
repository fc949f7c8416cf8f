/**
 * The launch data (docs/contract.md "Hook data"), built from the catalog and
 * settings: the folder and task entities, the application (host name,
 * executable, arguments and environment for this platform), the anatomy and
 * the work area on the active site, and `last_workfile_path`.
 */
import { constants, type Stats } from "node:fs";
import { access, stat } from "node:fs/promises";
import path from "node:path";
import type { AnatomyRoots } from "../anatomy/roots.js";
import { type Context, projectSites, requireProject } from "../context.js";
import { InputError } from "../errors.js";
import { workfileExtensions } from "../hosts.js";
import type { ProjectSettings } from "../settings/schema.js";
import type { ProjectSites } from "../settings/sites.js";
import type { LaunchData } from "./hook.js";
import { lastWorkfilePath, type WorkArea, workAreaFor } from "./workfiles.js";

export interface LaunchRequest {
  project: string;
  folderPath: string;
  task: string;
  /** `group/variant`, e.g. `maya/2024`. */
  app: string;
}

export interface Application {
  group: string;
  variant: string;
  hostName: string;
  /** The configured executables for this platform, in order (checked by `findExecutable`). */
  executables: string[];
  arguments: string[];
  environment: Record<string, string>;
}

export interface Launch {
  data: LaunchData;
  app: Application;
  workArea: WorkArea;
  /** The project's sites on this workstation, resolved once for the launch and passed to its hooks. */
  sites: ProjectSites;
}

export async function buildLaunch(context: Context, request: LaunchRequest): Promise<Launch> {
  const project = await requireProject(context, request.project);
  const folder = await context.store.getFolderByPath(project.name, request.folderPath);
  if (!folder)
    throw new InputError(`--folder: unknown folder "${request.folderPath}" in project "${project.name}"`);
  const task = await context.store.getTask(project.name, folder.id, request.task);
  if (!task) throw new InputError(`--task: unknown task "${request.task}" in folder "${folder.path}"`);
  const settings = context.settings.forProject(project.name);
  const app = application(settings.applications, request.app, context.platform);

  const sites = projectSites(context, project);
  const active = sites.sites.get(sites.activeSite);
  if (!active || Object.keys(active.roots).length === 0) {
    throw new InputError(
      `the active site "${sites.activeSite}" has no roots on this workstation, so there is no work area`,
    );
  }
  const anatomy = { roots: project.anatomy.roots as AnatomyRoots, templates: project.anatomy.templates };
  const launchData: LaunchData = {
    project_name: project.name,
    project_entity: { name: project.name, code: project.code },
    folder_path: folder.path,
    folder_entity: folder,
    task_name: task.name,
    task_type: task.taskType,
    task_entity: task,
    host_name: app.hostName,
    app_name: `${app.group}/${app.variant}`,
    workdir: "",
    last_workfile_path: "",
    start_last_workfile: true,
    env: {},
    project_settings: settings,
    anatomy,
  };
  const workArea = workAreaFor(launchData, active.roots);
  launchData.workdir = workArea.dir;
  launchData.last_workfile_path = lastWorkfilePath(workArea, workfileExtensions(app.hostName));
  launchData.env = {
    AYON_PROJECT_NAME: project.name,
    AYON_FOLDER_PATH: folder.path,
    AYON_TASK_NAME: task.name,
    AYON_HOST_NAME: app.hostName,
    AYON_APP_NAME: launchData.app_name,
    AYON_WORKDIR: workArea.dir,
    ...app.environment,
  };
  return { data: launchData, app, workArea, sites };
}

function application(
  applications: ProjectSettings["applications"],
  name: string,
  platform: Context["platform"],
): Application {
  const [group, variant, extra] = name.split("/");
  const known = Object.entries(applications).flatMap(([g, a]) =>
    Object.keys(a.variants).map((v) => `${g}/${v}`),
  );
  const entry = group ? applications[group] : undefined;
  const chosen = variant ? entry?.variants[variant] : undefined;
  if (!group || !variant || extra !== undefined || !entry || !chosen) {
    throw new InputError(
      `--app: unknown application "${name}" (configured: ${known.join(", ") || "none; add one under applications in settings"})`,
    );
  }
  const executables = chosen.executables[platform];
  return {
    group,
    variant,
    hostName: entry.host_name,
    executables,
    arguments: chosen.arguments[platform],
    environment: chosen.environment,
  };
}

/**
 * The executable a launch starts: the first configured one that is a file
 * this user may run, as AYON starts the first one it finds. A name without a
 * folder is looked up on `env.PATH` (with PATHEXT's extensions on Windows),
 * as the application would be started by name. Returns an absolute path, so
 * what a dry run reports is what would run. Throws an InputError naming the
 * variant, every candidate with why it was refused, and the settings key.
 */
export async function findExecutable(
  app: Application,
  platform: Context["platform"],
  settingsFile: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const name = `${app.group}/${app.variant}`;
  const key = `applications.${app.group}.variants.${app.variant}.executables.${platform}`;
  if (app.executables.length === 0) {
    throw new InputError(
      `application ${name} has no executable for ${platform}: set ${key} in ${settingsFile}`,
    );
  }
  const tried: string[] = [];
  for (const candidate of app.executables) {
    const found = await locate(candidate, platform, env);
    if ("path" in found) return found.path;
    tried.push(found.refused);
  }
  throw new InputError(
    `application ${name} cannot start: no executable file among ${key} in ${settingsFile}; tried ${tried.join(", ")}`,
  );
}

/** `candidate` as an absolute path that can be started, or why it cannot (the candidate and the reason). */
async function locate(
  candidate: string,
  platform: Context["platform"],
  env: NodeJS.ProcessEnv,
): Promise<{ path: string } | { refused: string }> {
  if (candidate.trim() === "") return { refused: `"${candidate}" (an empty entry)` };
  const extensions =
    platform === "windows" && path.extname(candidate) === ""
      ? ["", ...(variable(env, "PATHEXT", platform) ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean)]
      : [""];
  const bare = path.basename(candidate) === candidate;
  const folders = bare ? (variable(env, "PATH", platform) ?? "").split(path.delimiter).filter(Boolean) : [""];
  let reason: string | undefined;
  for (const folder of folders) {
    for (const extension of extensions) {
      const full = path.resolve(folder, `${candidate}${extension}`);
      const why = await refusal(full, platform);
      if (!why) return { path: full };
      reason ??= why;
    }
  }
  return { refused: `${candidate} (${bare ? "not found on PATH" : reason})` };
}

/**
 * An environment variable. On Windows its name has any case (`Path`), which a
 * copied env object no longer ignores; the last spelling is the one merged in
 * last (the application's environment over this process's).
 */
function variable(env: NodeJS.ProcessEnv, name: string, platform: Context["platform"]): string | undefined {
  if (platform !== "windows") return env[name];
  return Object.entries(env)
    .filter(([key]) => key.toUpperCase() === name)
    .at(-1)?.[1];
}

/** Why `file` cannot be started, or undefined when it can. */
async function refusal(file: string, platform: Context["platform"]): Promise<string | undefined> {
  let info: Stats;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : (error as Error).message;
  }
  if (info.isDirectory()) return "is a folder, not a file";
  if (!info.isFile()) return "is not a regular file";
  // Windows has no execute permission to ask about: X_OK there only says the file exists.
  if (platform === "windows") return undefined;
  try {
    await access(file, constants.X_OK);
    return undefined;
  } catch {
    return "is not executable (no execute permission)";
  }
}
