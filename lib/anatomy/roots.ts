import { PathError } from "../errors.js";

export type Platform = "windows" | "linux" | "darwin";

/** AYON's `anatomy.roots`: each named root has one value per platform. */
export type AnatomyRoots = Record<string, Partial<Record<Platform, string>>>;

export const PLATFORMS: readonly Platform[] = ["windows", "linux", "darwin"];

export function currentPlatform(): Platform {
  if (process.platform === "win32") return "windows";
  if (process.platform === "darwin") return "darwin";
  return "linux";
}

/** The root values one machine uses: `{work: "/mnt/share/projects", ...}`. */
export function rootsForPlatform(roots: AnatomyRoots, platform: Platform): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(roots)) {
    const value = values[platform];
    if (value === undefined || value === "") {
      throw new PathError(
        `root "${name}" has no value for platform ${platform}; set roots.${name}.${platform}`,
      );
    }
    out[name] = value;
  }
  return out;
}

const PLACEHOLDER_RE = /^\{root\[([^\]{}]*)\]\}/;

/**
 * Turns a rootless catalog path (`{root[work]}/Proj/...`) into this site's absolute path.
 * Catalog paths come from other machines and the server, so anything that could land outside
 * the root (`..`, absolute or drive-letter remainders, UNC, NUL, a second placeholder) is refused
 * rather than normalised: a sync must never write outside the project roots.
 */
export function fillRootless(rootless: string, siteRoots: Record<string, string>): string {
  const reject = (reason: string) => new PathError(`refusing path "${printable(rootless)}": ${reason}`);
  if (rootless.includes("\0")) throw reject("it contains a NUL byte");
  const match = PLACEHOLDER_RE.exec(rootless);
  if (!match) throw reject("it must start with a root placeholder like {root[work]}");
  const name = match[1] as string;
  const known = Object.keys(siteRoots);
  if (!Object.hasOwn(siteRoots, name)) {
    throw new PathError(
      `unknown root "${name}" in path "${printable(rootless)}"; this site's roots: ${known.join(", ") || "none"}`,
    );
  }
  const rest = rootless.slice(match[0].length);
  if (/\{root\b/i.test(rest)) throw reject("a root placeholder may only appear at the start");
  const segments = splitRemainder(rest, reject);
  const root = stripTrailingSeparators(siteRoots[name] as string);
  return segments.length === 0 ? root || "/" : `${root}/${segments.join("/")}`;
}

function splitRemainder(rest: string, reject: (reason: string) => PathError): string[] {
  if (rest === "") return [];
  if (!/^[\\/]/.test(rest)) throw reject("the root placeholder must be followed by a separator");
  // After the one separator that joins the root, another separator means an absolute (//etc)
  // or UNC (\\\\server) path.
  if (/^[\\/]{2}/.test(rest)) throw reject("the part after the root is an absolute or UNC path");
  const segments: string[] = [];
  for (const segment of rest.slice(1).split(/[\\/]/)) {
    if (segment === "" || segment === ".") continue;
    // Windows strips trailing dots and spaces, so "...", ". ." and ".. " can all mean "..".
    if (/^[. ]+$/.test(segment)) throw reject(`segment "${segment}" would climb out of the root`);
    // A colon means a drive letter (C:) or a Windows alternate data stream; neither is a
    // file that can exist on every site.
    if (segment.includes(":")) throw reject(`segment "${segment}" contains ":" (drive letter or stream)`);
    segments.push(segment);
  }
  return segments;
}

/**
 * The rootless form of an absolute path: the longest root that contains it, compared by whole
 * segments (`/mnt/proj` does not contain `/mnt/projects/x`). Windows-style roots compare
 * case-insensitively with `\` as `/`. Returns null when no root contains the path, including
 * when `..` would take it back out of the root.
 */
export function toRootless(absPath: string, siteRoots: Record<string, string>): string | null {
  if (absPath === "" || absPath.includes("\0")) return null;
  let best: { name: string; length: number } | null = null;
  for (const [name, value] of Object.entries(siteRoots)) {
    if (value === "") continue;
    const root = stripTrailingSeparators(value);
    const windows = isWindowsStyle(value);
    // Compare the path's own prefix of the root's length, so the slice below stays aligned even
    // where lower-casing would change a string's length.
    const prefix = absPath.slice(0, root.length);
    const boundary = absPath[root.length];
    const contains =
      comparable(prefix, windows) === comparable(root, windows) &&
      (boundary === undefined || boundary === "/" || (windows && boundary === "\\"));
    if (contains && (best === null || root.length > best.length)) best = { name, length: root.length };
  }
  if (best === null) return null;
  const segments: string[] = [];
  for (const segment of absPath.slice(best.length).split(/[\\/]/)) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.pop() === undefined) return null;
      continue;
    }
    segments.push(segment);
  }
  return `{root[${best.name}]}${segments.map((s) => `/${s}`).join("")}`;
}

function isWindowsStyle(value: string): boolean {
  return /^[A-Za-z]:/.test(value) || value.startsWith("\\\\") || value.includes("\\");
}

function comparable(value: string, windows: boolean): string {
  return windows ? value.replaceAll("\\", "/").toLowerCase() : value;
}

function stripTrailingSeparators(value: string): string {
  return value.replace(/[\\/]+$/, "");
}

function printable(value: string): string {
  return value.replaceAll("\0", "\\0");
}
