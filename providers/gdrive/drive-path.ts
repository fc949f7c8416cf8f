/**
 * A site path on Drive (providers/gdrive/paths.ts turns it into ids):
 * `/My Drive/a/b` from the drive's root, or `/<shared drive>/a/b` for the
 * shared drive of that exact name.
 */
import { posix } from "node:path";
import { ProviderError } from "../../lib/errors.js";

export const MY_DRIVE = "My Drive";

export interface DrivePath {
  /** The shared drive's name, or null for My Drive. */
  drive: string | null;
  /** Names below the drive's root. */
  segments: string[];
}

/** `/My Drive/a/b` or `/<shared drive>/a/b`; `.`, `..` and empty names are refused. */
export function parseDrivePath(path: string, site: string): DrivePath {
  const bad = (why: string) =>
    new ProviderError(`${path} is not a drive path on site ${site}: ${why}`, false);
  if (!path.startsWith("/")) throw bad('it must start with "/My Drive/" or "/<shared drive name>/"');
  const parts = path.slice(1).replace(/\/+$/, "").split("/");
  const [first, ...segments] = parts;
  if (!first) throw bad("it names no drive");
  if (parts.some((part) => part === "" || part === "." || part === ".."))
    throw bad('empty, "." and ".." names are not allowed');
  return { drive: first === MY_DRIVE ? null : first, segments };
}

/** The path as this module keys it: normalised, so `/My Drive/a/` and `/My Drive/a` are one folder. */
export function keyOf(parsed: DrivePath): string {
  return posix.join("/", parsed.drive ?? MY_DRIVE, ...parsed.segments);
}

export interface DriveRoot {
  id: string;
  /** Set for a shared drive: its listings need `corpora: drive` and its id. */
  driveId?: string;
}
