/**
 * Loading a studio's own providers: every module listed in
 * SITESYNC_PROVIDER_MODULES (separated like PATH) is imported before settings
 * are read, so the kinds it registers with `registerProvider` are valid in
 * settings and usable by the engine. See providers/README.md.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ProviderError } from "../lib/errors.js";

export async function loadProviderModules(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const list = (env.SITESYNC_PROVIDER_MODULES ?? "")
    .split(path.delimiter)
    .filter((entry) => entry.trim() !== "");
  for (const entry of list) {
    try {
      await import(pathToFileURL(path.resolve(entry)).href);
    } catch (error) {
      throw new ProviderError(
        `SITESYNC_PROVIDER_MODULES: cannot load provider module "${entry}": ${(error as Error).message}`,
        false,
        { cause: error },
      );
    }
  }
  return list;
}
