/**
 * Where a task's workfiles live and which versions exist: the work template
 * chosen by `workfile_template_profiles`, filled for the active site's roots,
 * and a scan of the work folder that reads the version out of every file
 * name the template could have produced (with or without a comment).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { templateDataForTask } from "../anatomy/data.js";
import type { Anatomy } from "../anatomy/defaults.js";
import { resolveAnatomyTemplate, type TemplateData } from "../anatomy/template.js";
import { filterProfiles } from "../settings/profiles.js";
import type { ProjectSettings } from "../settings/schema.js";
import type { LaunchData } from "./hook.js";

export interface WorkArea {
  /** The work folder of the task on this machine. */
  dir: string;
  templateName: string;
  /** Template data of the task (no version, ext or comment). */
  data: TemplateData;
  anatomy: Anatomy;
}

/** The work area of the task in launch data, on a site with these roots. */
export function workAreaFor(data: LaunchData, roots: Record<string, string>): WorkArea {
  const templateData = templateDataForTask(
    {
      project: data.project_entity,
      folder: {
        name: data.folder_entity.name,
        path: data.folder_entity.path,
        folderType: data.folder_entity.folderType,
      },
      task: data.task_entity,
    },
    { root: { ...roots }, app: data.host_name, user: process.env.AYON_USERNAME || process.env.USER || "" },
  );
  const templateName = workTemplateName(
    data.project_settings,
    data.host_name,
    data.task_type,
    data.task_name,
  );
  return {
    dir: workDir(data.anatomy, templateName, templateData),
    templateName,
    data: templateData,
    anatomy: data.anatomy,
  };
}

export function workTemplateName(
  settings: ProjectSettings,
  host: string,
  taskType: string,
  taskName: string,
): string {
  const profile = filterProfiles(settings.core.tools.Workfiles.workfile_template_profiles, {
    task_types: taskType,
    host_names: host,
    task_names: taskName,
  });
  return profile?.workfile_template ?? "default";
}

export function workDir(anatomy: Anatomy, templateName: string, data: TemplateData): string {
  return resolveAnatomyTemplate(anatomy.templates, "work", templateName, "directory", data);
}

export function workfileName(area: WorkArea, version: number, ext: string): string {
  return resolveAnatomyTemplate(area.anatomy.templates, "work", area.templateName, "file", {
    ...area.data,
    version,
    ext: ext.replace(/^\./, ""),
  });
}

const VERSION_MARK = 987654321;
const COMMENT_MARK = "SITESYNCCOMMENT";

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Existing workfiles of the task: version -> file name, for the given extensions. */
export function existingWorkfiles(area: WorkArea, extensions: readonly string[]): Map<number, string> {
  let names: string[];
  try {
    names = readdirSync(area.dir);
  } catch {
    return new Map();
  }
  const exts = extensions.map((e) => escapeRegex(e.replace(/^\./, ""))).join("|");
  const patterns = [undefined, COMMENT_MARK].map((comment) => {
    const sample = resolveAnatomyTemplate(area.anatomy.templates, "work", area.templateName, "file", {
      ...area.data,
      version: VERSION_MARK,
      ext: "SITESYNCEXT",
      ...(comment ? { comment } : {}),
    });
    const source = escapeRegex(sample)
      .replace(String(VERSION_MARK), "(\\d+)")
      .replace("SITESYNCEXT", `(?:${exts})`)
      .replace(COMMENT_MARK, ".+");
    return new RegExp(`^${source}$`);
  });
  const found = new Map<number, string>();
  for (const name of names) {
    for (const pattern of patterns) {
      const match = pattern.exec(name);
      if (match?.[1]) {
        const version = Number(match[1]);
        if (!found.has(version)) found.set(version, name);
        break;
      }
    }
  }
  return found;
}

/** AYON's last workfile: the highest existing version, else the first version's path. */
export function lastWorkfilePath(area: WorkArea, extensions: readonly string[]): string {
  const existing = existingWorkfiles(area, extensions);
  if (existing.size > 0) {
    const highest = Math.max(...existing.keys());
    return path.join(area.dir, existing.get(highest) as string);
  }
  return path.join(area.dir, workfileName(area, 1, extensions[0] ?? "ext"));
}
