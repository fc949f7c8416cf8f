/**
 * The page's static files, served by the package itself (no CDN, nothing
 * fetched at run time): the hand-written style sheet, htmx and its
 * server-sent events extension. `npm run build` copies all three beside the
 * built server (dist/lib/dashboard/assets/, lib/dashboard/copy-assets.mjs);
 * running from the sources, htmx comes from node_modules.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export const ASSETS: Record<string, { type: string; module?: string }> = {
  "style.css": { type: "text/css; charset=utf-8" },
  "htmx.min.js": { type: "text/javascript; charset=utf-8", module: "htmx.org/dist/htmx.min.js" },
  "sse.min.js": { type: "text/javascript; charset=utf-8", module: "htmx-ext-sse/dist/sse.min.js" },
};

const cache = new Map<string, Buffer>();

/** An asset's bytes, or undefined for a name that is not one. Read once, kept in memory (about 60 KB in all). */
export function asset(name: string): { type: string; body: Buffer } | undefined {
  const entry = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!entry) return undefined;
  let body = cache.get(name);
  if (!body) {
    body = readAsset(name, entry.module);
    cache.set(name, body);
  }
  return { type: entry.type, body };
}

function readAsset(name: string, module: string | undefined): Buffer {
  try {
    return readFileSync(fileURLToPath(new URL(`./assets/${name}`, import.meta.url)));
  } catch (error) {
    if (!module) throw error;
    return readFileSync(createRequire(import.meta.url).resolve(module));
  }
}
