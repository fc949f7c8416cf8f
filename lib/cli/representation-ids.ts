/**
 * Short representation ids (README "Short ids"): `status` shows each id by a
 * prefix no other representation of the project shares, and every command
 * that takes `--representation ID` accepts such a prefix as well as the full
 * id.
 */
import { InputError } from "../errors.js";
import type { CatalogStore } from "../store/types.js";

/**
 * The shortest prefix accepted. Eight hex characters are 4 billion values, so
 * a prefix copied today stays unique in any real project tomorrow; a shorter
 * one that happens to be unique now could silently start meaning "ambiguous"
 * after the next publish.
 */
export const SHORT_ID_MIN = 8;

/** Candidates named in an "ambiguous" error; more are summarised by count. */
const CANDIDATES_SHOWN = 10;

/**
 * Beyond this many ids sharing a short id's first characters (never with
 * random ids) the full id is shown rather than reading them all.
 */
const NEIGHBOURS_READ = 1000;

type IdStore = Pick<CatalogStore, "findRepresentationIds">;

/** The full id of `--representation VALUE`: the id itself, or a unique prefix of at least SHORT_ID_MIN characters. */
export async function resolveRepresentationId(
  store: IdStore,
  project: string,
  value: string,
): Promise<string> {
  let prefix = value.trim();
  let found = prefix ? await store.findRepresentationIds(project, prefix, CANDIDATES_SHOWN + 1) : [];
  // AYON ids are lowercase hex; a prefix typed in capitals still means them.
  if (found.length === 0 && prefix !== prefix.toLowerCase()) {
    prefix = prefix.toLowerCase();
    found = await store.findRepresentationIds(project, prefix, CANDIDATES_SHOWN + 1);
  }
  if (found.includes(prefix)) return prefix;
  if (prefix.length < SHORT_ID_MIN) {
    throw new InputError(
      `--representation: "${value}" is too short: give the id or at least its first ${SHORT_ID_MIN} characters (as "sitesync status" shows them)`,
    );
  }
  const [only, ...others] = found;
  if (only === undefined)
    throw new InputError(`--representation: unknown representation "${value}" in project "${project}"`);
  if (others.length > 0) {
    const shown = found.slice(0, CANDIDATES_SHOWN).join(", ");
    const more = found.length > CANDIDATES_SHOWN ? ` and more` : "";
    throw new InputError(
      `--representation: "${value}" is ambiguous in project "${project}": it starts ${shown}${more}; give more characters`,
    );
  }
  return only;
}

function commonPrefixLength(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * One length for the short ids of `ids` (a page of `status`): the shortest,
 * from SHORT_ID_MIN up, at which each of them differs from every other
 * representation of the project. One length keeps the column aligned; a
 * prefix longer than an id's own minimum is still unique.
 */
export async function shortIdLength(
  store: IdStore,
  project: string,
  ids: readonly string[],
): Promise<number> {
  let length = SHORT_ID_MIN;
  const seen = new Map<string, string[]>();
  for (const id of ids) {
    const head = id.slice(0, SHORT_ID_MIN);
    let neighbours = seen.get(head);
    if (!neighbours) {
      neighbours = await store.findRepresentationIds(project, head, NEIGHBOURS_READ + 1);
      seen.set(head, neighbours);
    }
    if (neighbours.length > NEIGHBOURS_READ) return Math.max(...ids.map((i) => i.length));
    for (const other of neighbours) {
      if (other !== id) length = Math.max(length, commonPrefixLength(id, other) + 1);
    }
  }
  return length;
}

/** An id as `status` shows it. */
export function shortId(id: string, length: number): string {
  return id.slice(0, length);
}
