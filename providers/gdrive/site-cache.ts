/**
 * What every tree (paths.ts) of one site, account and API in this process
 * shares: its drives' roots, folder ids by path, and folders' listings, so an
 * engine pass does not resolve the site's folders again.
 */
import type { DriveClient, DriveItem } from "./client.js";
import type { DriveRoot } from "./drive-path.js";

/**
 * How long a folder's listing answers for it. Half of AYON's default
 * loop_delay (60 s): an item another machine made is seen by this
 * machine's next pass.
 */
export const LISTING_TTL_MS = 30_000;
/** A folder is created on an absence seen this recently; an older one is checked with Drive first. */
export const CREATE_CHECK_MS = 5_000;

/** A folder's children by name, as Drive listed them and this provider changed them since. */
export interface Listing {
  /** When Drive was asked for the whole folder (or when this provider made it, empty). */
  at: number;
  byName: Map<string, DriveItem[]>;
  /** Names whose entry may be wrong (an upload whose outcome is unknown): looked up alone when asked. */
  unsure: Set<string>;
}

/** What every tree of one site (site, account, API) in this process shares. */
export class SiteCache {
  readonly roots = new Map<string, Promise<DriveRoot>>();
  /** Folder path key -> id. */
  readonly folders = new Map<string, string>();
  readonly inFlight = new Map<string, Promise<string | null>>();
  /** Folder id -> its listing. */
  readonly listings = new Map<string, Listing>();
  /** Folder id -> its listing on the way, and names changed meanwhile (unsure once it arrives). */
  readonly loading = new Map<string, { listing: Promise<Listing>; touched: Set<string> }>();

  clear(): void {
    this.roots.clear();
    this.folders.clear();
    this.listings.clear();
  }
}

const caches = new Map<string, SiteCache>();

export function cacheOf(client: DriveClient): SiteCache {
  const key = `${client.site}\n${client.account.email}\n${client.base}`;
  let cache = caches.get(key);
  if (!cache) {
    cache = new SiteCache();
    caches.set(key, cache);
  }
  return cache;
}
