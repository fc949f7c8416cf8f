/**
 * The launch data of CONTRACT.md, built from the catalog and settings: the
 * folder and task entities, the application (host name, executable,
 * arguments and environment for this platform), the anatomy and the work
 * area on the active site, and `last_workfile_path`.
 */
import { existsSync } from "node:fs";
import type { LaunchData } from "../../hooks/hook.js";
import type { AnatomyRoots } from "../anatomy/roots.js";
import { type Context, projectSites, requireProject } from "../context.js";
import { InputError } from "../errors.js";
import { workfileExtensions } from "../hosts.js";
import type { ProjectSettings } from "../settings/schema.js";
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
  /** The first configured executable that exists on this machine, or the first one (reported at start). */
  executable: string | undefined;
  arguments: string[];
  environment: Record<string, string>;
}

export interface Launch {
  data: LaunchData;
  app: Application;
  workArea: WorkArea;
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
  return { data: launchData, app, workArea };
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
    executable: executables.find((candidate) => existsSync(candidate)) ?? executables[0],
    arguments: chosen.arguments[platform],
    environment: chosen.environment,
  };
}
