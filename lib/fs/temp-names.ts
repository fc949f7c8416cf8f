/**
 * The one scheme for this package's temporary names, for every path it writes
 * (docs/architecture.md "Transfers and temporary names"): the engine's
 * downloads and uploads, local_drive's own copies, the hook's copies into
 * the work area. A file is written as the sibling
 * `.<name>.sitesync-<pid>-<made>-<random>.part` (`<made>`: when the
 * name was made, epoch milliseconds in base 36) and renamed into place, so
 * the same folder (same file system) makes the rename atomic, the leading dot
 * hides it from the artist, and the exact pattern lets a later run tell this
 * package's leftovers from anybody else's files.
 *
 * A process killed mid-write leaves its temporary file behind; the sweep
 * functions here remove those, by age, from the folders a run is about to write.
 */
import { randomBytes } from "node:crypto";
import { lstat, readdir, unlink } from "node:fs/promises";
import path from "node:path";
import { processAlive } from "../process.js";

/**
 * Longest file name, in bytes, on Linux and macOS file systems (and on SFTP
 * servers, which are mostly Linux). Windows counts 255 UTF-16 units, and a
 * name of at most 255 UTF-8 bytes never has more units than bytes.
 */
export const NAME_MAX = 255;

const MARK = ".sitesync-";
const SUFFIX = ".part";
/** 48 random bits: two writers of one target in one folder never pick the same name. */
const RANDOM_BYTES = 6;
// The `s` flag: a file name on Linux may contain a newline, and `.` must match it too.
const PATTERN = /^\.(.+)\.sitesync-(\d+)-([0-9a-z]{1,11})-([0-9a-f]{12})\.part$/s;
/**
 * A cut name is longer than this: it was cut only because one more character
 * (at most 4 bytes) would have passed NAME_MAX. A name no longer than this
 * therefore carries its final name whole.
 */
const NEVER_CUT = NAME_MAX - 4;

/**
 * The parts of a path in either separator style: remote providers use POSIX
 * paths, Windows `\`. A `\` is a separator only on Windows or in a path with
 * no `/`: in a POSIX path it is a character of a file name.
 */
function splitPath(p: string): { dir: string; base: string } {
  const backslash = process.platform === "win32" || !p.includes("/") ? p.lastIndexOf("\\") : -1;
  const cut = Math.max(p.lastIndexOf("/"), backslash);
  return { dir: p.slice(0, cut + 1), base: p.slice(cut + 1) };
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that ends on a whole character. */
function cutToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  // for..of walks code points, so a surrogate pair (an emoji) is never split.
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * A fresh temporary path next to `finalPath`: `.<name>.sitesync-<pid>-<made>-<random>.part`,
 * with `<name>` cut (on a character boundary) so the whole name fits NAME_MAX bytes.
 */
export function tempNameFor(finalPath: string): string {
  const { dir, base } = splitPath(finalPath);
  const made = Date.now().toString(36);
  const tail = `${MARK}${process.pid}-${made}-${randomBytes(RANDOM_BYTES).toString("hex")}${SUFFIX}`;
  const room = NAME_MAX - 1 - Buffer.byteLength(tail);
  return `${dir}.${cutToBytes(base, room)}${tail}`;
}

export interface TempName {
  /** The pid of the process that made the name; it means something only on the machine that made it. */
  pid: number;
  /** When the name was made (epoch milliseconds): the writer started then. */
  madeMs: number;
  /** The name of the file it becomes, or undefined when the name may have been cut to fit NAME_MAX. */
  finalName: string | undefined;
}

/** The parts of one of this package's temporary names, or null for any other name. */
export function parseTempName(name: string): TempName | null {
  const match = PATTERN.exec(name);
  if (!match) return null;
  const whole = Buffer.byteLength(name) <= NEVER_CUT;
  return {
    pid: Number(match[2]),
    madeMs: Number.parseInt(match[3] as string, 36),
    finalName: whole ? match[1] : undefined,
  };
}

/** True for exactly the names `tempNameFor` makes (a file name, not a path). */
export function isTempName(name: string): boolean {
  return PATTERN.test(name);
}

export interface SweepOptions {
  /**
   * Only temporary files older than this are removed: the claim lease, after
   * which a writer that stopped renewing its claim is taken for dead. A
   * younger one may belong to a live writer, on this machine or another one
   * sharing the folder.
   */
  olderThanMs: number;
  /**
   * Names of files in the folder whose transfer the caller holds the claim
   * on: a temporary file that would become one of them is a former writer's
   * (one that died, or lost its claim when its lease lapsed), so it is
   * removed whatever its age or pid. Without this, a writer killed just
   * before its lease lapsed left a temporary file younger than the lease
   * when its successor swept, and nothing swept that folder again.
   */
  claimedNames?: ReadonlySet<string>;
}

/** A former writer's file of a name the caller now holds the claim on (see SweepOptions.claimedNames). */
function claimedElsewhere(parsed: TempName, options: SweepOptions): boolean {
  return parsed.finalName !== undefined && options.claimedNames?.has(parsed.finalName) === true;
}

/**
 * A temporary file's age: since the later of when its name was made and its
 * last write. Both, because a writer may give its file the source's old
 * mtime before the rename (the mtime alone would call a copy of a moment ago
 * old), and a long transfer keeps writing long after its name was made.
 */
function ageMs(parsed: TempName, mtimeMs: number, now: number): number {
  return now - Math.max(parsed.madeMs, mtimeMs);
}

/**
 * Removes the temporary files dead writers left in a folder on this machine's
 * file system (a local site's folder, the work area); resolves with the paths
 * removed. Only names of the exact pattern, only regular files, only those
 * older than `olderThanMs` (see `ageMs`). A name whose pid is a live process here is kept
 * whatever its age: a writer may give its file the source's old mtime, or keep
 * a verified file waiting for its siblings. On a folder shared with other
 * machines that pid may be another machine's, which only delays the removal.
 * A folder that cannot be read is nothing to sweep.
 */
export async function sweepTemps(dir: string, options: SweepOptions): Promise<string[]> {
  const now = Date.now();
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  await Promise.all(
    names.map(async (name) => {
      const parsed = parseTempName(name);
      if (!parsed) return;
      const claimed = claimedElsewhere(parsed, options);
      if (!claimed && processAlive(parsed.pid)) return;
      const file = path.join(dir, name);
      const found = await lstat(file).catch(() => undefined);
      if (!found?.isFile()) return;
      if (!claimed && ageMs(parsed, found.mtimeMs, now) <= options.olderThanMs) return;
      try {
        await unlink(file);
        removed.push(file);
      } catch {
        // ENOENT: another sweeper got there since the listing. Litter is never worth an error.
      }
    }),
  );
  return removed.sort();
}

/**
 * Whether a name of this package's pattern, last written at `mtimeMs`, is a
 * dead writer's by age alone (see `ageMs`): for a staging folder of a batch
 * upload (docs/architecture.md "Batch uploads"), which has no single final name
 * to be claimed. False for any other name.
 */
export function staleTemp(name: string, mtimeMs: number, olderThanMs: number): boolean {
  const parsed = parseTempName(name);
  return parsed !== null && ageMs(parsed, mtimeMs, Date.now()) > olderThanMs;
}

/** The folder operations sweepSiteTemps needs (a site's provider has them: lib/fs knows no provider). */
export interface SiteFolders {
  /** Names of the entries of a folder. */
  list(dir: string): Promise<string[]>;
  /** A path's time and kind, or null when nothing is there. */
  stat(path: string): Promise<{ mtimeMs: number; isDirectory: boolean } | null>;
  remove(path: string): Promise<void>;
}

/**
 * Removes dead writers' temporary files from a folder of a site, through its
 * provider; resolves with the paths removed. The pid in a name is some other
 * machine's, so only the age counts. Errors are the provider's (the caller
 * decides whether litter is worth failing for).
 */
export async function sweepSiteTemps(
  provider: SiteFolders,
  dir: string,
  options: SweepOptions,
): Promise<string[]> {
  const now = Date.now();
  const removed: string[] = [];
  const sep = dir.includes("\\") && !dir.includes("/") ? "\\" : "/";
  const prefix = dir.endsWith("/") || dir.endsWith("\\") ? dir : `${dir}${sep}`;
  for (const name of await provider.list(dir)) {
    const parsed = parseTempName(name);
    if (!parsed) continue;
    const file = `${prefix}${name}`;
    const found = await provider.stat(file);
    if (!found || found.isDirectory) continue;
    if (!claimedElsewhere(parsed, options) && ageMs(parsed, found.mtimeMs, now) <= options.olderThanMs)
      continue;
    await provider.remove(file);
    removed.push(file);
  }
  return removed;
}

/** The last segment of a path in either separator style (how parentOf splits it). */
export function baseOf(p: string): string {
  return splitPath(p).base;
}

/** The folder of a path in either separator style, without its trailing separator. */
export function parentOf(p: string): string {
  const { dir } = splitPath(p);
  return dir.length > 1 ? dir.slice(0, -1) : dir;
}
