/**
 * The source of `store copy`: a workstation's embedded store, opened read-only
 * (a running service may share it: WAL lets it go on writing) and read in one
 * read transaction, so every page comes from one snapshot even when the
 * service records a transfer meanwhile.
 */
import Database from "better-sqlite3";
import { InputError } from "../../errors.js";
import { MIGRATIONS } from "../sqlite/migrations.js";

export interface Source {
  file: string;
  db: Database.Database;
  close(): void;
}

/** Opens `file` read-only; anything but an existing sitesync store is bad input (nothing is written). */
export function openSource(file: string, option: string): Source {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new InputError(`${option}: cannot open the SQLite store ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version < 1) {
      throw new InputError(`${option}: ${file} is not a sitesync store (no sitesync schema in it)`);
    }
    if (version > MIGRATIONS.length) {
      throw new InputError(
        `${option}: ${file} has schema version ${version}, newer than this sitesync knows (${MIGRATIONS.length}); upgrade sitesync on this machine`,
      );
    }
    // DEFERRED: the snapshot is taken by the first read and kept until close().
    db.exec("BEGIN");
  } catch (error) {
    db.close();
    if (error instanceof InputError) throw error;
    throw new InputError(`${option}: ${file} is not a sitesync store: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    file,
    db,
    close: () => {
      if (db.inTransaction) db.exec("COMMIT");
      db.close();
    },
  };
}
