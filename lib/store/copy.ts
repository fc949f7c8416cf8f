/**
 * `sitesync store copy --from sqlite:PATH --to postgres://...` (issue 13): moves
 * a workstation's embedded store (catalog and sync states) into the studio's
 * PostgreSQL database, idempotently.
 *
 * - **Input.** The source must be an existing sitesync SQLite file; it is opened
 *   read-only and read in one snapshot (lib/store/copy/source.ts). The target
 *   must be PostgreSQL; it is connected to and migrated first. Any other pair
 *   (postgres -> sqlite, sqlite -> sqlite), a missing file or a malformed URL is
 *   bad input (InputError, exit 2) raised before anything is written; a server
 *   that does not answer is StoreConnectError (exit 2) naming host:port.
 * - **Matching.** Entities are matched by natural key, so a workstation that
 *   imported a project itself (other folder ids) merges into the studio's:
 *   projects by name (an existing project keeps its code and anatomy: the
 *   studio's win), folders by (project, path), tasks and products by (folder,
 *   name), versions by (product, version number). A version number the target
 *   has under another id is two publishes claiming one version: that version
 *   and everything under it (representations, files, links, states) is left
 *   out and listed in `conflicts`. Otherwise ids are kept. Representations and
 *   files are inserted by id when absent, version links when absent, site
 *   states when the target has none for (representation, site): an existing
 *   state is kept (the studio's wins) and counted as present.
 * - **Not copied.** Claims and pauses: they belong to the workstation's own
 *   running processes (a lease, an artist's pause), not to the shared catalog.
 * - **Idempotent.** Every write is an insert of what is absent, so a second run
 *   changes nothing and reports everything as present; a run cut short is
 *   finished by running it again.
 * - **Batched.** Each table is read in keyset pages (`pageSize`, default 500);
 *   each page is one transaction of a few statements of array parameters
 *   (unnest), every value bound. Memory holds one page plus the id maps of
 *   folders, tasks and products (ids that may differ between the stores).
 * - **Never the password.** The target is named `postgres://user@host:port/db`.
 */

import {
  copyFolders,
  copyProducts,
  copyProjects,
  copyTasks,
  copyVersionLinks,
  copyVersions,
} from "./copy/catalog.js";
import { copyRepresentations, countRepresentations } from "./copy/representations.js";
import { openSource } from "./copy/source.js";
import { type CopyProgress, type CopyReport, type CopyRun, emptyCounts } from "./copy/types.js";
import type { PostgresOptions } from "./postgres/connection.js";
import { makeDb } from "./postgres/db.js";
import { connectPool } from "./postgres/index.js";
import { migrate } from "./postgres/migrations.js";

export type { CopyProgress, CopyReport, Entity, EntityCounts, VersionConflict } from "./copy/types.js";
export { ENTITIES } from "./copy/types.js";

export const DEFAULT_PAGE_SIZE = 500;

export interface CopyOptions {
  /** The SQLite file (checked to exist before the target is touched). */
  from: string;
  /** Names `from` in messages: `--from`. */
  fromSource?: string;
  to: PostgresOptions;
  pageSize?: number;
  /** Called with the representations worked so far, after every page (and once with 0 before the first). */
  onProgress?: (progress: CopyProgress) => void;
}

export async function copyStore(options: CopyOptions): Promise<CopyReport> {
  const source = openSource(options.from, options.fromSource ?? "--from");
  try {
    const { pool, target } = await connectPool(options.to, (client, opened) =>
      migrate(client, opened.target.where),
    );
    try {
      const run: CopyRun = {
        source: source.db,
        from: `sqlite:${source.file}`,
        db: makeDb(pool, target.where),
        pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
        counts: emptyCounts(),
        folders: new Map(),
        tasks: new Map(),
        products: new Map(),
        conflicted: new Set(),
        conflicts: [],
      };
      const total = countRepresentations(source.db);
      let done = 0;
      options.onProgress?.({ done, total });
      await copyProjects(run);
      await copyFolders(run);
      await copyTasks(run);
      await copyProducts(run);
      await copyVersions(run);
      await copyVersionLinks(run);
      await copyRepresentations(run, (worked) => {
        done += worked;
        options.onProgress?.({ done, total });
      });
      return {
        from: run.from,
        to: target.where,
        counts: run.counts,
        conflicts: run.conflicts,
        notCopied: ["claims", "pauses"],
      };
    } finally {
      await pool.end().catch(() => undefined);
    }
  } finally {
    source.close();
  }
}
