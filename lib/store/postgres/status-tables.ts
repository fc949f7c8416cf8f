/**
 * Schema version 2 of the PostgreSQL store: what the status query's first
 * page reads instead of walking every representation (docs/adding-a-store.md
 * "The status query's kept tables"), kept by triggers in the transactions
 * that change the rows, so every writer on every machine keeps it.
 *
 * Counts are deltas, appended and never updated in place: services on
 * several machines change statuses at the same time, and counter rows
 * updated in place would make each such change wait for the others' commits
 * (and deadlock on crossing changes). `status_count_deltas` holds, per
 * project:
 *
 * - (site '', other ''): representations;
 * - (site S, other ''): records on S, per `status`;
 * - (site S, other O): representations with a record on both, per
 *   (`status`, `other_status`), both orders of every pair of sites.
 *
 * Readers sum them (status-query.ts) and fold a project's deltas into one
 * row per key when they find many (`COMPACT_COUNTS`).
 *
 * A record's share of the pair counts depends on the other records of its
 * representation. The state triggers run once per statement, over the
 * statement's transition tables: the pairs of the touched representations
 * after the statement, minus those before it (after, without the rows it
 * added, with the rows it removed), so a statement that changes several
 * records of one representation counts each pair once. Before reading, they
 * take the touched representations' row locks in id order (as every state
 * write of this store does, state.ts), so two writers of one representation
 * count one after the other, the second seeing the first's records.
 * `representation_folders` is each representation's folder path, indexed as
 * the default sort reads it.
 */

const FOLDER_OF_VERSION = `SELECT f.path FROM versions v JOIN products p ON p.id = v.product_id
  JOIN folders f ON f.id = p.folder_id WHERE v.id`;

/** The rows of a transition table as a JSON array of their keys and statuses (not their files). */
const keyAndStatus = (row: string) =>
  `jsonb_agg(jsonb_build_object('project', ${row}.project, 'representation_id', ${row}.representation_id,
     'site', ${row}.site, 'status', ${row}.status))`;

export const STATUS_TABLES = `
  CREATE TABLE status_count_deltas (
    project TEXT NOT NULL,
    site TEXT NOT NULL,
    other TEXT NOT NULL,
    status INTEGER NOT NULL,
    other_status INTEGER NOT NULL,
    n BIGINT NOT NULL
  );
  CREATE INDEX status_count_deltas_by_key ON status_count_deltas (project, site, other);
  CREATE TABLE representation_folders (
    representation_id TEXT COLLATE "C" PRIMARY KEY,
    project TEXT NOT NULL,
    folder_path TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX representation_folders_sorted ON representation_folders (project, folder_path, representation_id);

  INSERT INTO status_count_deltas (project, site, other, status, other_status, n)
    SELECT project, '', '', -1, -1, COUNT(*) FROM representations GROUP BY project
    UNION ALL
    SELECT project, site, '', status, -1, COUNT(*) FROM sync_state GROUP BY project, site, status
    UNION ALL
    SELECT a.project, a.site, b.site, a.status, b.status, COUNT(*) FROM sync_state a
    JOIN sync_state b ON b.project = a.project AND b.representation_id = a.representation_id AND b.site <> a.site
    GROUP BY a.project, a.site, b.site, a.status, b.status;
  INSERT INTO representation_folders (representation_id, project, folder_path)
    SELECT r.id, r.project, f.path FROM representations r JOIN versions v ON v.id = r.version_id
    JOIN products p ON p.id = v.product_id JOIN folders f ON f.id = p.folder_id;

  CREATE FUNCTION sitesync_count_states(added JSONB, removed JSONB) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    IF added = '[]' AND removed = '[]' THEN
      RETURN;
    END IF;
    PERFORM 1 FROM representations
      WHERE id IN (SELECT x->>'representation_id' FROM jsonb_array_elements(added || removed) x)
      ORDER BY id FOR NO KEY UPDATE;
    WITH
      plus AS (SELECT * FROM jsonb_to_recordset(added)
        AS x(project TEXT, representation_id TEXT, site TEXT, status INTEGER)),
      minus AS (SELECT * FROM jsonb_to_recordset(removed)
        AS x(project TEXT, representation_id TEXT, site TEXT, status INTEGER)),
      touched AS (SELECT project, representation_id FROM plus UNION SELECT project, representation_id FROM minus),
      after AS (SELECT s.project, s.representation_id, s.site, s.status FROM sync_state s
        JOIN touched t ON t.project = s.project AND t.representation_id = s.representation_id),
      before AS (
        SELECT * FROM after a WHERE NOT EXISTS (SELECT 1 FROM plus p
          WHERE p.project = a.project AND p.representation_id = a.representation_id AND p.site = a.site)
        UNION ALL SELECT * FROM minus),
      changes AS (
        SELECT project, site, '' AS other, status, -1 AS other_status, 1 AS n FROM plus
        UNION ALL SELECT project, site, '', status, -1, -1 FROM minus
        UNION ALL SELECT x.project, x.site, y.site, x.status, y.status, 1 FROM after x JOIN after y
          ON y.project = x.project AND y.representation_id = x.representation_id AND y.site <> x.site
        UNION ALL SELECT x.project, x.site, y.site, x.status, y.status, -1 FROM before x JOIN before y
          ON y.project = x.project AND y.representation_id = x.representation_id AND y.site <> x.site)
    INSERT INTO status_count_deltas (project, site, other, status, other_status, n)
      SELECT project, site, other, status, other_status, SUM(n) FROM changes
      GROUP BY project, site, other, status, other_status HAVING SUM(n) <> 0;
  END $$;
  CREATE FUNCTION sitesync_states_added() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM sitesync_count_states(COALESCE((SELECT ${keyAndStatus("n")} FROM new_rows n), '[]'), '[]');
    RETURN NULL;
  END $$;
  CREATE FUNCTION sitesync_states_removed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM sitesync_count_states('[]', COALESCE((SELECT ${keyAndStatus("o")} FROM old_rows o), '[]'));
    RETURN NULL;
  END $$;
  CREATE FUNCTION sitesync_states_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    plus JSONB;
    minus JSONB;
  BEGIN
    SELECT ${keyAndStatus("n")}, ${keyAndStatus("o")} INTO plus, minus
      FROM old_rows o JOIN new_rows n
        ON n.project = o.project AND n.representation_id = o.representation_id AND n.site = o.site
      WHERE n.status <> o.status;
    IF plus IS NOT NULL THEN
      PERFORM sitesync_count_states(plus, minus);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER states_added AFTER INSERT ON sync_state REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sitesync_states_added();
  CREATE TRIGGER states_removed AFTER DELETE ON sync_state REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sitesync_states_removed();
  CREATE TRIGGER states_changed AFTER UPDATE ON sync_state REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sitesync_states_changed();

  CREATE FUNCTION sitesync_representation_counted() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO status_count_deltas (project, site, other, status, other_status, n)
        VALUES (NEW.project, '', '', -1, -1, 1);
      INSERT INTO representation_folders (representation_id, project, folder_path)
        SELECT NEW.id, NEW.project, f.path FROM versions v JOIN products p ON p.id = v.product_id
        JOIN folders f ON f.id = p.folder_id WHERE v.id = NEW.version_id
        ON CONFLICT (representation_id) DO UPDATE SET project = excluded.project, folder_path = excluded.folder_path;
    ELSIF TG_OP = 'DELETE' THEN
      INSERT INTO status_count_deltas (project, site, other, status, other_status, n)
        VALUES (OLD.project, '', '', -1, -1, -1);
      DELETE FROM representation_folders WHERE representation_id = OLD.id;
    ELSE
      -- A new version (a hero upsert), or an id changed by hand: the folder row follows.
      UPDATE representation_folders
        SET representation_id = NEW.id, folder_path = (${FOLDER_OF_VERSION} = NEW.version_id)
        WHERE representation_id = OLD.id;
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER representation_counted AFTER INSERT OR DELETE OR UPDATE OF id, version_id ON representations
    FOR EACH ROW EXECUTE FUNCTION sitesync_representation_counted();

  CREATE FUNCTION sitesync_catalog_moved() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_TABLE_NAME = 'versions' THEN
      UPDATE representation_folders SET folder_path = (${FOLDER_OF_VERSION} = NEW.id)
        WHERE representation_id IN (SELECT id FROM representations WHERE version_id = NEW.id);
    ELSIF TG_TABLE_NAME = 'products' THEN
      UPDATE representation_folders SET folder_path = (SELECT path FROM folders WHERE id = NEW.folder_id)
        WHERE representation_id IN (SELECT r.id FROM versions v JOIN representations r ON r.version_id = v.id
          WHERE v.product_id = NEW.id);
    ELSE
      UPDATE representation_folders SET folder_path = NEW.path
        WHERE representation_id IN (SELECT r.id FROM products p JOIN versions v ON v.product_id = p.id
          JOIN representations r ON r.version_id = v.id WHERE p.folder_id = NEW.id);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER version_moved AFTER UPDATE OF product_id ON versions
    FOR EACH ROW WHEN (OLD.product_id IS DISTINCT FROM NEW.product_id) EXECUTE FUNCTION sitesync_catalog_moved();
  CREATE TRIGGER product_moved AFTER UPDATE OF folder_id ON products
    FOR EACH ROW WHEN (OLD.folder_id IS DISTINCT FROM NEW.folder_id) EXECUTE FUNCTION sitesync_catalog_moved();
  CREATE TRIGGER folder_renamed AFTER UPDATE OF path ON folders
    FOR EACH ROW WHEN (OLD.path IS DISTINCT FROM NEW.path) EXECUTE FUNCTION sitesync_catalog_moved();
`;

/**
 * Folds a project's count deltas ($1) into one row per key, in one statement:
 * rows a concurrent fold already took are skipped, rows appended meanwhile
 * stay for the next fold, so no change is lost or counted twice.
 */
export const COMPACT_COUNTS = `
  WITH gone AS (DELETE FROM status_count_deltas WHERE project = $1 RETURNING site, other, status, other_status, n)
  INSERT INTO status_count_deltas (project, site, other, status, other_status, n)
  SELECT $1, site, other, status, other_status, SUM(n) FROM gone
  GROUP BY site, other, status, other_status HAVING SUM(n) <> 0`;
