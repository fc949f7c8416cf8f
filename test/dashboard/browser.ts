/**
 * Real headless Chromium (Debian's `chromium`, .ci/run installs it) driven by
 * playwright-core, and a real `sitesync syncservice` whose status page it
 * opens: the end-to-end tests of the page and the benchmark's page load.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { type RunningService, startService } from "../helpers/service.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CHROMIUM = process.env.SITESYNC_CHROMIUM ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Containers: no user namespaces for the sandbox, a small /dev/shm, no GPU.
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

export interface PageService {
  service: RunningService;
  /** The URL the service recorded, with the token. */
  url: string;
  origin: string;
}

/** Starts the service for `site` and waits for its status page; the URL comes from the record in the home. */
export async function servicePage(home: string, site: string, env: NodeJS.ProcessEnv): Promise<PageService> {
  const service = startService(home, site, env);
  const line = await service.waitFor((l) => typeof l.msg === "string" && l.msg.startsWith("status page on"));
  const record = JSON.parse(readFileSync(line.record as string, "utf8")) as { url: string; origin: string };
  return { service, url: record.url, origin: record.origin };
}
