/**
 * AYON's override rules between settings scopes (studio -> project -> site):
 * objects merge key by key, lists replace, except `sitesync.sites`, which
 * merges by site name so a project or a workstation can override one site
 * (typically its credentials) without repeating the others.
 */

type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Lists merged by an identity key instead of replaced, by their key path. */
const MERGED_BY_NAME = new Set(["sitesync.sites"]);

export function mergeScopes(base: unknown, override: unknown, keyPath = ""): unknown {
  if (override === undefined) return base;
  if (MERGED_BY_NAME.has(keyPath) && Array.isArray(base) && Array.isArray(override)) {
    return mergeByName(base, override, keyPath);
  }
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = mergeScopes(base[key], value, keyPath ? `${keyPath}.${key}` : key);
  }
  return out;
}

function mergeByName(base: unknown[], override: unknown[], keyPath: string): unknown[] {
  const out = [...base];
  for (const item of override) {
    const name = isPlainObject(item) ? item.name : undefined;
    const index = out.findIndex((existing) => isPlainObject(existing) && existing.name === name);
    if (name === undefined || index < 0) out.push(item);
    else out[index] = mergeScopes(out[index], item, `${keyPath}[]`);
  }
  return out;
}

/** The value at a zod-style issue path, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
