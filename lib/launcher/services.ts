/**
 * The services a launch gives its prelaunch hooks (./hook.ts): the open home,
 * the project's sites resolved once for the launch, and the sync engine's
 * bring, for the launch's project on its active site. The engine module is
 * loaded, and one engine built, only when a hook first asks: a launch whose
 * workfile is already there never pays for it.
 */
import type { Context } from "../context.js";
import type { BringRequest } from "../engine/bring.js";
import type { SyncEngine } from "../engine/engine.js";
import type { ProjectSites } from "../settings/sites.js";
import type { HookServices } from "./hook.js";

/** What the caller of a launch chooses: the log, progress, and how long hooks may wait on transfers. */
export type LaunchServices = Omit<HookServices, "context" | "sites" | "engine">;

export function hookServices(
  context: Context,
  launch: { project: string; sites: ProjectSites },
  services: LaunchServices,
): HookServices {
  let engine: Promise<SyncEngine> | undefined;
  const load = () => {
    engine ??= import("../engine/engine.js").then(({ SyncEngine }) => {
      const built = new SyncEngine({
        store: context.store,
        settings: context.settings,
        ownSite: context.siteId,
        platform: context.platform,
      });
      if (services.onEvent) built.on(services.onEvent);
      return built;
    });
    return engine;
  };
  const request = (representationIds: string[]): BringRequest => ({
    project: launch.project,
    representationIds,
    sites: launch.sites,
    ...(services.timeoutMs === undefined ? {} : { timeoutMs: services.timeoutMs }),
    ...(services.signal ? { signal: services.signal } : {}),
  });
  return {
    ...services,
    context,
    sites: launch.sites,
    engine: {
      bring: async (representationIds) => (await load()).bring(request(representationIds)),
      planBring: async (representationIds) => (await load()).planBring(request(representationIds)),
    },
  };
}
