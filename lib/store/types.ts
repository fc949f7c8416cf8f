/**
 * The store interface: the catalog (AYON's entities) and the sync state.
 *
 * Three implementations stand behind it: the embedded SQLite store, a
 * PostgreSQL store shared by many workstations, and a client of a real AYON
 * server. The interface is shaped by the last one: the catalog is written only
 * through `importProject` and `registerPublish` (which a server-backed store may
 * refuse), and sync state is changed only through `setSiteState` /
 * `removeSiteState`, whose merge rules match the server's
 * (`POST .../state/{representationId}/{site}`), so rules built above the store
 * (add_site, publish state, alternative sites) work unchanged on all three.
 */
import type { Anatomy } from "../anatomy/defaults.js";
import type { TemplateData } from "../anatomy/template.js";
import type { SyncStatus } from "./status.js";

export interface Project {
  name: string;
  code: string;
  anatomy: Anatomy;
}

export interface Folder {
  id: string;
  name: string;
  /** `/assets/characters/hero` */
  path: string;
  parentId: string | null;
  folderType: string;
}

export interface Task {
  id: string;
  folderId: string;
  name: string;
  taskType: string;
}

export interface Product {
  id: string;
  folderId: string;
  name: string;
  productType: string;
  productBaseType: string;
}

export interface Version {
  id: string;
  productId: string;
  /** 1-based; a hero version is stored as minus the version it was made from, as AYON does. */
  version: number;
  taskId: string | null;
  author: string;
  createdAt: string;
}

export interface RepresentationFile {
  id: string;
  name: string;
  /** Rootless: `{root[work]}/...` */
  path: string;
  size: number;
  /** AYON's "op3" hash: `basename|mtime|size` with dots replaced by commas. */
  hash: string;
  hashType: string;
  /** Content hash taken at publish (sha256 hex); not part of AYON's model, used to verify copies. */
  sha256?: string;
}

export interface Representation {
  id: string;
  versionId: string;
  name: string;
  context: TemplateData;
  files: RepresentationFile[];
}

export interface VersionLink {
  /** The version used (input). */
  inputVersionId: string;
  /** The version that uses it (output), e.g. a workfile version. */
  outputVersionId: string;
  linkType: string;
}

/** `sitesync project import` input, already validated. */
export interface ProjectImport {
  name: string;
  code: string;
  anatomy: Anatomy;
  folders: Array<{ path: string; folderType?: string; tasks: Array<{ name: string; type: string }> }>;
}

/** Everything one publish registers, in one transaction. */
export interface PublishRecord {
  product: { folderId: string; name: string; productType: string; productBaseType: string };
  version: { id: string; version: number; taskId: string | null; author: string };
  representation: Omit<Representation, "versionId">;
  links: Array<{ inputVersionId: string; linkType: string }>;
  /** Initial sync state per site, written with `reset` semantics. */
  siteStates: Array<{ site: string; files: FileStateUpdate[]; priority?: number }>;
  /**
   * A hero re-publish replaces the representation with this id (same entity,
   * new files); the caller resets every site that had it.
   */
  replaceRepresentation?: boolean;
}

export interface FileState {
  fileId: string;
  status: SyncStatus;
  /** Bytes transferred (the file size once OK). */
  size: number;
  /** Epoch seconds of the last change. */
  timestamp: number;
  message: string | null;
  retries: number;
  /** 0..1 while transferring; not kept by an AYON server. */
  progress: number;
  /**
   * Where an interrupted upload can go on (docs/architecture.md "Resumable
   * uploads"); only while the file is QUEUED or IN_PROGRESS. Not kept by an
   * AYON server, and never shown by status.
   */
  resume?: ResumePoint;
}

/** One file's change; absent fields keep their stored values (message/retries are cleared when falsy). */
export interface SiteState {
  representationId: string;
  site: string;
  priority: number;
  status: SyncStatus;
  files: FileState[];
}

// State writes, their options and multi-row changes: lib/store/state-changes.ts.
import type {
  FileStateUpdate,
  ResumePoint,
  SetSiteStateOptions,
  SiteStateChange,
  StateConflict,
} from "./state-changes.js";

export type {
  FileStateUpdate,
  ResumePoint,
  SetSiteStateOptions,
  SiteStateChange,
  StateConflict,
} from "./state-changes.js";

// The status query's types: lib/store/state-query.ts.
import type { StateCount, StatePage, StateQuery } from "./state-query.js";

export type {
  SiteSummary,
  StateCount,
  StateFileRow,
  StatePage,
  StateQuery,
  StateRow,
  StateSortKey,
} from "./state-query.js";

/**
 * One page of a walk through many rows (lib/store/paging.ts walks them all):
 * the rows whose id sorts after `after` (from the first when absent), in
 * ascending byte order of the id, at most `limit` of them. Keyset, not
 * offset: every page costs the same however far the walk is, and a walk that
 * writes as it goes (rows leaving the filter behind the cursor) neither skips
 * nor repeats a row. Callers hold one page at a time, so memory follows the
 * page size, not the project.
 */
export interface PageQuery {
  after?: string;
  limit: number;
}

export interface CatalogStore {
  listProjects(): Promise<Project[]>;
  getProject(name: string): Promise<Project | undefined>;
  /** Creates or updates a project with its folders and tasks; idempotent. */
  importProject(project: ProjectImport): Promise<void>;
  getFolderByPath(project: string, path: string): Promise<Folder | undefined>;
  getFolders(project: string, ids: string[]): Promise<Folder[]>;
  getTask(project: string, folderId: string, name: string): Promise<Task | undefined>;
  getProducts(
    project: string,
    filter: { folderIds?: string[]; names?: string[]; productBaseTypes?: string[] },
  ): Promise<Product[]>;
  getVersions(project: string, filter: { ids?: string[]; productIds?: string[] }): Promise<Version[]>;
  /** productId -> its highest non-hero version. */
  getLastVersions(project: string, productIds: string[]): Promise<Map<string, Version>>;
  getRepresentations(
    project: string,
    filter: { ids?: string[]; versionIds?: string[] },
  ): Promise<Representation[]>;
  /** A project's representations with their files, a page at a time by representation id. */
  listRepresentations(project: string, page: PageQuery): Promise<Representation[]>;
  /**
   * Ids of the project's representations that start with `prefix`, ascending,
   * at most `limit`: how a short id from `status` is resolved and kept unique.
   */
  findRepresentationIds(project: string, prefix: string, limit: number): Promise<string[]>;
  /** Links whose output is one of these versions (direction "in" in AYON's API). */
  getVersionLinks(project: string, versionIds: string[], linkTypes?: string[]): Promise<VersionLink[]>;
  /** Registers a publish (product if new, version, representation, links, initial state) atomically. */
  registerPublish(project: string, record: PublishRecord): Promise<{ productId: string }>;
}

/** "What should move next" between two sites, as the engine asks it. */
export interface WorkQuery {
  localSite: string;
  remoteSite: string;
  /** upload: local OK and remote QUEUED; download: local QUEUED and remote OK. */
  direction: "upload" | "download";
  limit: number;
  /**
   * Take the batch for one owner (docs/adding-a-store.md "Claims"): a
   * representation whose wanting record has a file under another owner's live
   * claim is left out (another process is moving it), and the wanted files of
   * the items returned (QUEUED or IN_PROGRESS there, OK on the other side) are
   * claimed for the owner with this lease in the same transaction, so
   * processes asking at the same moment, on any machine, get different batches.
   */
  claimFor?: { owner: string; leaseMs: number };
}

/** A representation with work to do, highest priority of the wanting side first. */
export interface WorkItem {
  representationId: string;
  versionId: string;
  priority: number;
  files: RepresentationFile[];
  local: SiteState | undefined;
  remote: SiteState | undefined;
  /** With `claimFor`: the files claimed for the owner by this query. */
  claimed?: string[];
}

/** A claim on a file's transfer to a site, so two processes never move the same file at once. */
export interface Claim {
  representationId: string;
  site: string;
  fileId: string;
  owner: string;
  /** Epoch milliseconds; an expired claim (its owner died) can be taken over. */
  expiresAt: number;
}

export type PauseTarget =
  | { kind: "service" }
  | { kind: "project"; project: string }
  | { kind: "representation"; project: string; representationId: string };

export interface StateStore {
  getSiteStates(project: string, representationIds: string[], sites?: string[]): Promise<SiteState[]>;
  setSiteState(
    project: string,
    representationId: string,
    site: string,
    options: SetSiteStateOptions,
  ): Promise<void>;
  removeSiteState(project: string, representationId: string, site: string): Promise<void>;
  /**
   * Several changes in one transaction: every expectation is checked first,
   * then all are written, or, when any fails, none is and the conflicts are
   * returned. `written` counts the file updates applied (files left out by
   * `skipClaimed` or `onlyWhile` are not), `records` the records set or removed.
   */
  changeSiteStates(
    project: string,
    changes: SiteStateChange[],
  ): Promise<{ conflicts: StateConflict[]; written: number; records: number }>;
  /**
   * A site's state records in a project (optionally only those whose overall
   * status is one of `statuses`), a page at a time by representation id.
   */
  listSiteStates(
    project: string,
    filter: { site: string; statuses?: SyncStatus[] },
    page: PageQuery,
  ): Promise<SiteState[]>;
  queryState(project: string, query: StateQuery): Promise<StatePage>;
  /** The status query's matches (its filters; sort and page ignored) counted per pair of statuses. */
  countState(project: string, query: StateQuery): Promise<StateCount[]>;
  /** Representations to upload or download, excluding paused ones, ordered by the wanting side's priority. */
  findWork(project: string, query: WorkQuery): Promise<WorkItem[]>;
  /** Claims the files nobody else holds a live claim on; returns the ids claimed (own claims are renewed). */
  claimFiles(
    project: string,
    representationId: string,
    site: string,
    fileIds: string[],
    owner: string,
    leaseMs: number,
  ): Promise<string[]>;
  /** Extends every claim of an owner (a heartbeat while it transfers). */
  renewClaims(owner: string, leaseMs: number): Promise<void>;
  /** Drops an owner's claims: all of them, or those of one representation and site. */
  releaseClaims(
    owner: string,
    target?: { project: string; representationId: string; site: string; fileIds?: string[] },
  ): Promise<void>;
  getClaims(project: string, representationId: string, site: string): Promise<Claim[]>;
  /** Every owner holding claims, to find those left by dead processes. */
  getClaimOwners(): Promise<string[]>;
  setPaused(target: PauseTarget, paused: boolean): Promise<void>;
  getPauses(): Promise<PauseTarget[]>;
}

/**
 * Wake-ups across machines (docs/adding-a-store.md "Wake-ups"): a store shared
 * by several machines (PostgreSQL: LISTEN/NOTIFY) tells the services of the
 * sites involved that there is work now, where the embedded store relies on
 * the home's loopback wake-up.
 */
export interface StoreWakeups {
  /** Tells every listening process, on any machine, that these sites of the project have work now. */
  notify(project: string, sites: string[]): Promise<void>;
  /**
   * Calls `onWake` for every notification; returns what stops listening.
   * The listener survives a lost connection: it listens again on reconnect
   * and then wakes once, as a notification may have been missed meanwhile.
   */
  listen(onWake: (wake: { project: string; sites: string[] }) => void): Promise<() => Promise<void>>;
}

export interface Store extends CatalogStore, StateStore {
  /** Where the store lives, for messages (never includes credentials). */
  readonly location: string;
  /** Present on stores shared across machines. */
  readonly wakeups?: StoreWakeups;
  /**
   * True when every writer of the studio's sites claims its transfers in this
   * store (PostgreSQL, shared by the studio's machines): a claim held here
   * proves nobody else writes that file, so a former writer's temporary file
   * of it can be removed at once (lib/engine/transfer.ts). The embedded store
   * is one machine's: another machine may write the same shared folder with
   * its own store, so only age counts there.
   */
  readonly claimsShared?: boolean;
  /**
   * Stores reached over a network (docs/adding-a-store.md "PostgreSQL"): how
   * long a call retries transient failures (a server restart, a dropped
   * connection) before it fails, and who hears of each retry. A service
   * waits as long as the database is away (Infinity), so results of
   * transfers in flight are recorded when it is back and no new work starts
   * meanwhile; a command keeps the default window.
   */
  configureRetries?(policy: {
    windowMs: number;
    onRetry?: (event: { attempt: number; delayMs: number; message: string }) => void;
    /** Stops the waiting: a service being stopped does not wait for the database. */
    signal?: AbortSignal;
  }): void;
  close(): Promise<void>;
}
