/**
 * Waking a running sync service for an immediate pass. Each service listens
 * on 127.0.0.1 only, on a port of its choosing, and registers itself in
 * `<home>/services/<site>.json`. Requests carry the home's token (the file
 * `service.token`, readable by its owner only), so only users of this home can
 * wake it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { processAlive } from "../process.js";
import type { Store } from "../store/types.js";

export interface ServiceRecord {
  site: string;
  pid: number;
  port: number;
}

export function servicesDir(home: string): string {
  return path.join(home, "services");
}

export function serviceFile(home: string, site: string): string {
  return path.join(servicesDir(home), `${site}.json`);
}

/** The home's wake token, created on first use with owner-only permissions. */
export function serviceToken(home: string): string {
  const file = path.join(home, "service.token");
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(32).toString("hex"), { flag: "wx", mode: 0o600 });
    } catch (error) {
      // Another process created it first: read theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return readFileSync(file, "utf8").trim();
}

export function registerService(home: string, record: ServiceRecord): void {
  mkdirSync(servicesDir(home), { recursive: true });
  writeFileSync(serviceFile(home, record.site), JSON.stringify(record));
}

export function unregisterService(home: string, site: string): void {
  rmSync(serviceFile(home, site), { force: true });
}

export function runningServices(home: string): ServiceRecord[] {
  const dir = servicesDir(home);
  if (!existsSync(dir)) return [];
  const records: ServiceRecord[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    try {
      const record = JSON.parse(readFileSync(path.join(dir, name), "utf8")) as ServiceRecord;
      if (processAlive(record.pid)) records.push(record);
    } catch {
      // A record being written or a stale one: skip it.
    }
  }
  return records;
}

/** Asks every running service of the home (or those for `sites`) for a pass now; returns the sites woken. */
export async function wakeServices(home: string, sites?: string[]): Promise<string[]> {
  const records = runningServices(home).filter((r) => !sites || sites.includes(r.site));
  if (records.length === 0) return [];
  const token = serviceToken(home);
  const woken = await Promise.all(
    records.map(async (record) => {
      try {
        const response = await fetch(`http://127.0.0.1:${record.port}/wake`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(2000),
        });
        return response.ok ? record.site : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return woken.filter((s): s is string => s !== undefined);
}

/**
 * Tells the services that sites of a project have work now: through the store
 * when it is shared across machines (every machine's services hear it), and
 * the home's own running services through their loopback endpoint; returns
 * the sites woken on this machine. A store that cannot notify does not fail
 * the command that queued the work: the services find it at their next pass.
 */
export async function wakeForWork(
  context: { home: string; store: Pick<Store, "wakeups"> },
  project: string | undefined,
  sites: string[],
): Promise<string[]> {
  await context.store.wakeups?.notify(project ?? "", sites).catch(() => undefined);
  return wakeServices(context.home);
}
