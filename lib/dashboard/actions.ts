/**
 * The page's actions, through the same state operations and store calls as
 * the CLI (`site add/remove/reset`, `pause/unpause`), so they are checked the
 * same way and refuse the same things: an unknown project, representation or
 * site, a site state that is not there to reset or remove, deleting files
 * anywhere but this workstation's own local_drive site, deleting files a
 * running transfer holds.
 */
import { type Context, requireProject } from "../context.js";
import { InputError, InUseError, messageOf, SitesyncError } from "../errors.js";
import { addSite, removeSite, resetSite } from "../state/site-operations.js";
import type { PauseTarget } from "../store/types.js";

export const ACTIONS = [
  "add",
  "reset",
  "remove",
  "pause",
  "unpause",
  "priority",
  "pause-project",
  "unpause-project",
  "pause-service",
  "unpause-service",
] as const;
export type ActionName = (typeof ACTIONS)[number];

export interface ActionDeps {
  /** Tells the sync services that the project's sites have work now (add, reset, unpause). */
  wake: (project: string | undefined, sites: string[]) => Promise<void>;
}

export type ActionResult =
  | { ok: true; message: string; project: string | undefined }
  | { ok: false; status: 400 | 409 | 500; message: string };

function field(form: URLSearchParams, name: string, what: string): string {
  const value = form.get(name)?.trim();
  if (!value) throw new InputError(`${what}: missing (the form's "${name}" field)`);
  return value;
}

/** The representation, which must be one of the project's (the page sends full ids). */
async function representationOf(context: Context, project: string, form: URLSearchParams): Promise<string> {
  const id = field(form, "representation", "representation");
  const [found] = await context.store.getRepresentations(project, { ids: [id] });
  if (!found) throw new InputError(`representation: unknown representation "${id}" in project "${project}"`);
  return found.id;
}

function priorityOf(form: URLSearchParams): number {
  const text = field(form, "priority", "priority");
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000)
    throw new InputError(`priority: "${text}" is not a whole number from 0 to 1000000`);
  return n;
}

export async function runAction(
  context: Context,
  form: URLSearchParams,
  deps: ActionDeps,
): Promise<ActionResult> {
  try {
    const action = form.get("action") ?? "";
    if (!(ACTIONS as readonly string[]).includes(action))
      throw new InputError(`action: "${action}" is not one of ${ACTIONS.join(", ")}`);
    return { ok: true, ...(await act(context, action as ActionName, form, deps)) };
  } catch (error) {
    // Bad input by the CLI's measure (exit 2) is a 400; a running transfer holding the files is a 409.
    if (error instanceof SitesyncError && error.exitCode === 2)
      return { ok: false, status: 400, message: error.message };
    if (error instanceof InUseError) return { ok: false, status: 409, message: error.message };
    return { ok: false, status: 500, message: messageOf(error) };
  }
}

async function act(
  context: Context,
  action: ActionName,
  form: URLSearchParams,
  deps: ActionDeps,
): Promise<{ message: string; project: string | undefined }> {
  if (action === "pause-service" || action === "unpause-service") {
    const paused = action === "pause-service";
    await context.store.setPaused({ kind: "service" }, paused);
    if (!paused) await deps.wake(undefined, []);
    return {
      message: `${paused ? "paused" : "unpaused"} the sync service`,
      project: form.get("project") ?? undefined,
    };
  }
  const project = (await requireProject(context, field(form, "project", "project"))).name;
  if (action === "pause-project" || action === "unpause-project") {
    const paused = action === "pause-project";
    await context.store.setPaused({ kind: "project", project }, paused);
    if (!paused) await deps.wake(project, []);
    return { message: `${paused ? "paused" : "unpaused"} project ${project}`, project };
  }
  const representationId = await representationOf(context, project, form);
  const short = representationId.slice(0, 8);
  if (action === "pause" || action === "unpause") {
    const paused = action === "pause";
    const target: PauseTarget = { kind: "representation", project, representationId };
    await context.store.setPaused(target, paused);
    if (!paused) await deps.wake(project, []);
    return { message: `${paused ? "paused" : "unpaused"} representation ${short}`, project };
  }
  if (action === "priority")
    return { message: await setPriority(context, project, representationId, form), project };
  const target = { project, representationId, site: field(form, "site", "site") };
  if (action === "add") {
    const result = await addSite(context, target);
    await deps.wake(project, [result.site]);
    return { message: `queued ${short} on ${result.site}`, project };
  }
  if (action === "reset") {
    const result = await resetSite(context, target);
    await deps.wake(project, [result.site]);
    return { message: `re-sync of ${short} on ${result.site}: QUEUED`, project };
  }
  const removeLocalFiles = form.get("removeLocalFiles") === "1";
  const result = await removeSite(context, target, { removeLocalFiles });
  const deleted = result.removedFiles.length ? `, deleted ${result.removedFiles.length} file(s)` : "";
  return { message: `removed ${short} from ${result.site}${deleted}`, project };
}

/**
 * A representation's priority on one site (`site`), or on every site that has
 * a state of it: findWork orders by the wanting side's priority, so "first"
 * means first on whichever side still wants it. Files and statuses are kept.
 */
async function setPriority(
  context: Context,
  project: string,
  representationId: string,
  form: URLSearchParams,
): Promise<string> {
  const priority = priorityOf(form);
  const only = form.get("site")?.trim();
  const states = await context.store.getSiteStates(project, [representationId]);
  const sites = states.map((s) => s.site).filter((s) => !only || s === only);
  if (sites.length === 0)
    throw new InputError(
      only
        ? `representation ${representationId} has no state on site "${only}" to set a priority of`
        : `representation ${representationId} has no state on any site to set a priority of`,
    );
  const { conflicts } = await context.store.changeSiteStates(
    project,
    sites.map((site) => ({
      op: "set" as const,
      representationId,
      site,
      options: { files: [], priority },
      expect: "present" as const,
    })),
  );
  if (conflicts.length > 0)
    throw new InputError(`representation ${representationId} changed meanwhile; try again`);
  return `priority of ${representationId.slice(0, 8)} set to ${priority} on ${sites.join(", ")}`;
}
