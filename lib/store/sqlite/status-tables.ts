/**
 * Schema version 4 of the embedded store: what the status query's first page
 * reads instead of walking every representation (docs/adding-a-store.md
 * "The status query's kept tables"). Triggers keep the tables, so every
 * writer of the file keeps them (another process, `store copy`, the
 * benchmarks' bulk inserts), inside the transaction that changes the rows:
 *
 * - `representation_counts`: representations per project;
 * - `state_site_counts`: records per (project, site, status);
 * - `state_pair_counts`: representations with a record on both `site` and
 *   `other`, per pair of statuses (both orders of every pair of sites);
 * - `representation_folders`: each representation's folder path, indexed as
 *   the default sort (folder path, then id) reads it.
 *
 * A status changes only through INSERT, DELETE and UPDATE OF status (the
 * store never changes a record's key); a representation's folder only
 * through its version (a hero upsert moves it), which the UPDATE triggers
 * follow, with a folder's path and a version's or product's parent as well.
 * A representation's id changed by hand (an admin's SQL, a test) takes its
 * folder row along.
 * The migration fills the tables from what is there, so a store upgrades in
 * place.
 */

const FOLDER_OF_VERSION = `SELECT f.path FROM versions v JOIN products p ON p.id = v.product_id
  JOIN folders f ON f.id = p.folder_id WHERE v.id`;

/** Adds (`sign` 1) or takes away (-1) a record's share of the counts, as seen beside the other records. */
function countRecord(row: "new" | "old", sign: 1 | -1): string {
  return `
    INSERT INTO state_site_counts (project, site, status, n) VALUES (${row}.project, ${row}.site, ${row}.status, ${sign})
      ON CONFLICT (project, site, status) DO UPDATE SET n = n + (${sign});
    INSERT INTO state_pair_counts (project, site, other, status, other_status, n)
      SELECT ${row}.project, ${row}.site, o.site, ${row}.status, o.status, ${sign} FROM sync_state o
      WHERE o.project = ${row}.project AND o.representation_id = ${row}.representation_id AND o.site <> ${row}.site
      ON CONFLICT (project, site, other, status, other_status) DO UPDATE SET n = n + (${sign});
    INSERT INTO state_pair_counts (project, site, other, status, other_status, n)
      SELECT ${row}.project, o.site, ${row}.site, o.status, ${row}.status, ${sign} FROM sync_state o
      WHERE o.project = ${row}.project AND o.representation_id = ${row}.representation_id AND o.site <> ${row}.site
      ON CONFLICT (project, site, other, status, other_status) DO UPDATE SET n = n + (${sign});`;
}

export const STATUS_TABLES = `
  CREATE TABLE representation_counts (project TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE state_site_counts (
    project TEXT NOT NULL, site TEXT NOT NULL, status INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (project, site, status)
  ) WITHOUT ROWID;
  CREATE TABLE state_pair_counts (
    project TEXT NOT NULL, site TEXT NOT NULL, other TEXT NOT NULL,
    status INTEGER NOT NULL, other_status INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (project, site, other, status, other_status)
  ) WITHOUT ROWID;
  CREATE TABLE representation_folders (
    representation_id TEXT PRIMARY KEY, project TEXT NOT NULL, folder_path TEXT NOT NULL
  );
  CREATE INDEX representation_folders_sorted ON representation_folders (project, folder_path, representation_id);

  INSERT INTO representation_counts (project, n) SELECT project, COUNT(*) FROM representations GROUP BY project;
  INSERT INTO state_site_counts (project, site, status, n)
    SELECT project, site, status, COUNT(*) FROM sync_state GROUP BY project, site, status;
  INSERT INTO state_pair_counts (project, site, other, status, other_status, n)
    SELECT a.project, a.site, b.site, a.status, b.status, COUNT(*) FROM sync_state a
    JOIN sync_state b ON b.project = a.project AND b.representation_id = a.representation_id AND b.site <> a.site
    GROUP BY a.project, a.site, b.site, a.status, b.status;
  INSERT INTO representation_folders (representation_id, project, folder_path)
    SELECT r.id, r.project, f.path FROM representations r JOIN versions v ON v.id = r.version_id
    JOIN products p ON p.id = v.product_id JOIN folders f ON f.id = p.folder_id;

  CREATE TRIGGER representation_added AFTER INSERT ON representations BEGIN
    INSERT INTO representation_counts (project, n) VALUES (new.project, 1)
      ON CONFLICT (project) DO UPDATE SET n = n + 1;
    INSERT INTO representation_folders (representation_id, project, folder_path)
      SELECT new.id, new.project, f.path FROM versions v JOIN products p ON p.id = v.product_id
      JOIN folders f ON f.id = p.folder_id WHERE v.id = new.version_id
      ON CONFLICT (representation_id) DO UPDATE SET project = excluded.project, folder_path = excluded.folder_path;
  END;
  CREATE TRIGGER representation_removed AFTER DELETE ON representations BEGIN
    UPDATE representation_counts SET n = n - 1 WHERE project = old.project;
    DELETE FROM representation_folders WHERE representation_id = old.id;
  END;
  CREATE TRIGGER representation_moved AFTER UPDATE OF id, version_id ON representations BEGIN
    UPDATE representation_folders
      SET representation_id = new.id, folder_path = (${FOLDER_OF_VERSION} = new.version_id)
      WHERE representation_id = old.id;
  END;
  CREATE TRIGGER version_moved AFTER UPDATE OF product_id ON versions BEGIN
    UPDATE representation_folders SET folder_path = (${FOLDER_OF_VERSION} = new.id)
      WHERE representation_id IN (SELECT id FROM representations WHERE version_id = new.id);
  END;
  CREATE TRIGGER product_moved AFTER UPDATE OF folder_id ON products BEGIN
    UPDATE representation_folders SET folder_path = (SELECT path FROM folders WHERE id = new.folder_id)
      WHERE representation_id IN (SELECT r.id FROM versions v JOIN representations r ON r.version_id = v.id
        WHERE v.product_id = new.id);
  END;
  CREATE TRIGGER folder_renamed AFTER UPDATE OF path ON folders BEGIN
    UPDATE representation_folders SET folder_path = new.path
      WHERE representation_id IN (SELECT r.id FROM products p JOIN versions v ON v.product_id = p.id
        JOIN representations r ON r.version_id = v.id WHERE p.folder_id = new.id);
  END;

  CREATE TRIGGER state_added AFTER INSERT ON sync_state BEGIN ${countRecord("new", 1)}
  END;
  CREATE TRIGGER state_removed AFTER DELETE ON sync_state BEGIN ${countRecord("old", -1)}
  END;
  CREATE TRIGGER state_changed AFTER UPDATE OF status ON sync_state WHEN old.status <> new.status BEGIN
    ${countRecord("old", -1)}
    ${countRecord("new", 1)}
  END;
`;
