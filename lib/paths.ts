import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cachedRoot: string | undefined;

/**
 * The package's root folder (where package.json and templates/ live), found by
 * walking up from this module. Works both from the sources (lib/paths.ts under
 * vitest) and from the build (dist/lib/paths.js).
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name;
      if (name === "sitesync") {
        cachedRoot = dir;
        return dir;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the sitesync package root above ${import.meta.url}`);
    dir = parent;
  }
}

/** A file shipped in the package's templates/ folder. */
export function templatePath(...parts: string[]): string {
  return path.join(packageRoot(), "templates", ...parts);
}
