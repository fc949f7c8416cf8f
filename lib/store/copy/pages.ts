/**
 * Keyset paging over the source's tables: a page is `LIMIT n` rows after the
 * last one seen, by a unique key, so each page costs an index range read and
 * memory holds one page whatever the table's size.
 */
import type Database from "better-sqlite3";
import { StoreError } from "../../errors.js";

/**
 * Pages of `select` (a SELECT without WHERE/ORDER) ordered by `keys`; `cursor`
 * gives a row's key values. The SQL is this module's callers' constants: values are bound.
 */
export function* keysetPages<R>(
  db: Database.Database,
  select: string,
  keys: readonly string[],
  cursor: (row: R) => unknown[],
  pageSize: number,
): Generator<R[]> {
  const order = `ORDER BY ${keys.join(", ")} LIMIT ?`;
  const first = db.prepare<[number], R>(`${select} ${order}`);
  const next = db.prepare<unknown[], R>(
    `${select} WHERE (${keys.join(", ")}) > (${keys.map(() => "?").join(", ")}) ${order}`,
  );
  let after: unknown[] | undefined;
  for (;;) {
    const page = after ? next.all(...after, pageSize) : first.all(pageSize);
    if (page.length === 0) return;
    yield page;
    after = cursor(page[page.length - 1] as R);
  }
}

/** The target id of a source row's parent; a parent missing from the source is a broken store. */
export function mapped(map: Map<string, string>, id: string, what: string, from: string): string {
  const target = map.get(id);
  if (target === undefined) {
    throw new StoreError(
      `${from}: ${what} ${id} is not in the store (the store is damaged); nothing after it was copied`,
    );
  }
  return target;
}
