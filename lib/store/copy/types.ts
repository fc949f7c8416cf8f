/** What `sitesync store copy` reports (lib/store/copy.ts says what each count means). */
import type Database from "better-sqlite3";
import type { Db } from "../postgres/db.js";

/** The tables copied, in the order they are copied (parents before children). */
export const ENTITIES = [
  "projects",
  "folders",
  "tasks",
  "products",
  "versions",
  "versionLinks",
  "representations",
  "files",
  "siteStates",
] as const;
export type Entity = (typeof ENTITIES)[number];

export interface EntityCounts {
  /** Rows the target lacked and now has. */
  copied: number;
  /** Rows the target already had (matched by natural key or id); the target's row was kept. */
  present: number;
  /** Rows left out because they belong to a conflicting version. */
  skipped: number;
}

/** Two different publishes claim one version number of a product: the source's is left out. */
export interface VersionConflict {
  project: string;
  folder: string;
  product: string;
  version: number;
  sourceVersionId: string;
  /** The target's version with that number (or, rarely, the source's id already used by another version). */
  targetVersionId: string;
}

export interface CopyReport {
  /** `sqlite:/path/to/sitesync.db`. */
  from: string;
  /** `postgres://user@host:port/database`: never the password. */
  to: string;
  counts: Record<Entity, EntityCounts>;
  conflicts: VersionConflict[];
  /** Tables never copied: claims and pauses belong to the workstation's own running processes. */
  notCopied: readonly ["claims", "pauses"];
}

export interface CopyProgress {
  /** Representations worked (copied, present or skipped). */
  done: number;
  total: number;
}

export function emptyCounts(): Record<Entity, EntityCounts> {
  return Object.fromEntries(ENTITIES.map((e) => [e, { copied: 0, present: 0, skipped: 0 }])) as Record<
    Entity,
    EntityCounts
  >;
}

/** One copy in progress: the two stores, the counts so far and the ids mapped by natural key. */
export interface CopyRun {
  source: Database.Database;
  /** `sqlite:/path`, for messages. */
  from: string;
  db: Db;
  pageSize: number;
  counts: Record<Entity, EntityCounts>;
  /** Source id -> target id, for the entities matched by natural key (their ids may differ). */
  folders: Map<string, string>;
  tasks: Map<string, string>;
  products: Map<string, string>;
  /** Source ids of the versions left out as conflicts. */
  conflicted: Set<string>;
  conflicts: VersionConflict[];
}
