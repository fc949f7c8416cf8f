import type { TemplateData, TemplateValue } from "./template.js";

export interface TaskContextInput {
  project: { name: string; code: string };
  /** `path` is AYON's folder path, e.g. `/assets/characters/hero`. */
  folder: { name: string; path: string; folderType?: string };
  task?: { name: string; taskType: string; shortName?: string };
}

/**
 * The template data AYON builds for a task context (ayon-core's `get_template_data`): project,
 * folder, the legacy `asset`, `hierarchy`, `parent` and task, with `extra` (product, version,
 * ext, root, comment, ...) deep-merged over it.
 */
export function templateDataForTask(input: TaskContextInput, extra: TemplateData = {}): TemplateData {
  const { project, folder, task } = input;
  const parents = folder.path.split("/").filter((part) => part !== "");
  // The path ends with the folder itself; AYON's hierarchy is only the parents.
  parents.pop();
  const data: TemplateData = {
    project: { name: project.name, code: project.code },
    folder: {
      name: folder.name,
      ...(folder.folderType === undefined ? {} : { type: folder.folderType }),
      path: folder.path,
    },
    asset: folder.name,
    hierarchy: parents.join("/"),
    parent: parents.at(-1) ?? project.name,
  };
  if (task) {
    data.task = {
      name: task.name,
      type: task.taskType,
      ...(task.shortName === undefined ? {} : { short: task.shortName }),
    };
  }
  return mergeTemplateData(data, extra);
}

/** `{product: {name, type}}`, AYON's product keys (`type` is the product type, e.g. `workfile`). */
export function productData(product: { name: string; productType: string }): TemplateData {
  return { product: { name: product.name, type: product.productType } };
}

/**
 * Deep merge: nested records merge key by key, anything else in `over` replaces. `undefined` in
 * `over` leaves the base value alone so callers can pass optional fields straight through.
 */
export function mergeTemplateData(base: TemplateData, over: TemplateData): TemplateData {
  const out: TemplateData = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = Object.hasOwn(out, key) ? out[key] : undefined;
    const merged = isRecord(current) && isRecord(value) ? mergeTemplateData(current, value) : value;
    // defineProperty, not assignment: a "__proto__" key from parsed JSON must stay plain data.
    Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function isRecord(value: TemplateValue | undefined): value is TemplateData {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
