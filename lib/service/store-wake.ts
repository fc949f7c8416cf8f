/**
 * A service's wake-ups through a store shared across machines
 * (docs/adding-a-store.md "Wake-ups"): it listens on the store's channel and
 * runs a pass at once when a notification names a site it syncs (its own
 * site, or a site one of its pairs syncs with), or names none (a listener
 * that reconnected, having maybe missed some). The home's loopback wake-up
 * (wake.ts) serves the embedded store.
 */
import type { Context } from "../context.js";
import { planPairs } from "../engine/pair.js";
import { messageOf } from "../errors.js";
import type { Logger } from "../log.js";

export async function listenForWork(
  context: Context,
  site: string,
  options: { alwaysAccessible: boolean; logger: Logger; onWake: () => void },
): Promise<(() => Promise<void>) | undefined> {
  const { wakeups } = context.store;
  if (!wakeups) return undefined;
  const involves = async (project: string, sites: string[]): Promise<boolean> => {
    if (sites.length === 0 || sites.includes(site)) return true;
    const found = await context.store.getProject(project);
    if (!found) return false;
    const planned = planPairs(found, context.settings, site, context.platform, {
      alwaysAccessible: options.alwaysAccessible,
    });
    return planned.ok && sites.some((s) => planned.plan.remotes.includes(s));
  };
  return wakeups.listen((wake) => {
    involves(wake.project, wake.sites).then(
      (yes) => {
        if (!yes) return;
        options.logger.debug({ project: wake.project, sites: wake.sites }, "woken through the store");
        options.onWake();
      },
      // A store that cannot answer now: wake anyway; the pass finds out what there is.
      (error: unknown) => {
        options.logger.debug({ error: messageOf(error) }, "wake-up check failed; waking");
        options.onWake();
      },
    );
  });
}
