/**
 * Wake-ups across machines through PostgreSQL's LISTEN/NOTIFY
 * (docs/adding-a-store.md "Wake-ups"): `site add` or a launch's "bring now"
 * on one machine notifies `sitesync_work` with the project and the sites
 * involved; every service listening, on any machine, runs a pass at once
 * instead of waiting for its loop delay. The listener holds one connection of
 * its own (outside the pool) and listens again when it is lost, then wakes
 * once, since a notification sent meanwhile was not delivered.
 */
import pg from "pg";
import type { StoreWakeups } from "../types.js";

export const WAKE_CHANNEL = "sitesync_work";

export function makeWakeups(pool: pg.Pool, config: pg.ClientConfig): StoreWakeups {
  return {
    async notify(project, sites) {
      await pool.query("SELECT pg_notify($1, $2)", [WAKE_CHANNEL, JSON.stringify({ project, sites })]);
    },
    async listen(onWake) {
      let stopped = false;
      let client: pg.Client | undefined;
      let retry: NodeJS.Timeout | undefined;
      // A lost connection (or a failed attempt to get it back) tries again a second later.
      const schedule = () => {
        if (stopped || retry) return;
        retry = setTimeout(() => {
          retry = undefined;
          connect(true).catch(schedule);
        }, 1000);
      };
      const connect = async (reconnecting: boolean): Promise<void> => {
        const next = new pg.Client(config);
        next.on("error", () => undefined);
        next.on("end", () => {
          if (client === next) client = undefined;
          schedule();
        });
        next.on("notification", (message) => {
          if (message.channel !== WAKE_CHANNEL) return;
          onWake(parsePayload(message.payload));
        });
        try {
          await next.connect();
          await next.query(`LISTEN ${WAKE_CHANNEL}`);
        } catch (error) {
          await next.end().catch(() => undefined);
          throw error;
        }
        if (stopped) {
          await next.end();
          return;
        }
        client = next;
        if (reconnecting) onWake({ project: "", sites: [] });
      };
      await connect(false);
      return async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        await client?.end().catch(() => undefined);
      };
    },
  };
}

function parsePayload(payload: string | undefined): { project: string; sites: string[] } {
  try {
    const value = JSON.parse(payload ?? "{}") as { project?: unknown; sites?: unknown };
    return {
      project: typeof value.project === "string" ? value.project : "",
      sites: Array.isArray(value.sites) ? value.sites.filter((s): s is string => typeof s === "string") : [],
    };
  } catch {
    return { project: "", sites: [] };
  }
}
