/**
 * Walking a whole project a page at a time (the store's `PageQuery`), so
 * work over every representation or state record holds one page in memory,
 * not the project: `validate` and start-up recovery walk this way.
 */
import type { PageQuery } from "./types.js";

/**
 * Rows per page. A page of representations carries their files, so the
 * bound is this many representations' files; 500 keeps one round trip (or
 * one network round trip for a server store) per few thousand files while a
 * page of typical representations (a few to a few hundred files) stays a few
 * MB.
 */
export const PAGE_SIZE = 500;

/**
 * Every page of `fetch`, in order, until a short page. `idOf` gives the key
 * the store pages by (the last row's key is the next page's `after`).
 */
export async function* pages<T>(
  fetch: (page: PageQuery) => Promise<T[]>,
  idOf: (row: T) => string,
  limit = PAGE_SIZE,
): AsyncGenerator<T[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page size must be >= 1, got ${limit}`);
  let after: string | undefined;
  for (;;) {
    const rows = await fetch(after === undefined ? { limit } : { after, limit });
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (rows.length < limit || last === undefined) return;
    after = idOf(last);
  }
}
