/**
 * Drive has ids, not paths. A site path is `/My Drive/a/b` (from the
 * drive's root) or `/<shared drive>/a/b` (a shared drive found by its exact
 * name); this module turns it into ids lazily, one segment at a time, and
 * remembers every folder it has seen or made. Creating a missing folder is
 * single-flight: sixteen transfers needing the same folder at once make it
 * once. Drive allows two items with one name in a folder; this provider
 * refuses to guess between them and names the path instead.
 *
 * Requests are Google's quota, so a folder's children are listed once (every
 * page) and the listing answers every lookup in that folder for
 * LISTING_TTL_MS; what this provider creates, uploads, renames and removes
 * updates the listing as it goes, and a folder it made is known to be empty.
 * Other machines write to the drive too, and the listing does not see them
 * until it is that old (then the folder is listed again):
 * - an item another machine added is missing for up to LISTING_TTL_MS: a
 *   download or a rename whose source is missing asks Drive about that one
 *   name before failing, and a folder is created only after an absence seen
 *   within CREATE_CHECK_MS (else that name is looked up first), so a folder
 *   is not made twice because of the cache;
 * - an item another machine removed or replaced answers 404 when used: the
 *   cache is dropped and the failure is retryable;
 * - a second item of one name, made elsewhere, is reported ambiguous once the
 *   listing is renewed, not before.
 * Every provider of a site in this process shares one cache (as it shares
 * one pacer), so an engine pass does not resolve the site's folders again.
 */
import { posix } from "node:path";
import { ProviderError } from "../../lib/errors.js";
import { type DriveClient, type DriveItem, ITEM_FIELDS } from "./client.js";
import { type DrivePath, type DriveRoot, keyOf, MY_DRIVE, parseDrivePath } from "./drive-path.js";
import { faultOf } from "./errors.js";
import { childNamed, childrenOf, FOLDER_MIME } from "./query.js";
import { listParams, myDrive, sharedDrive } from "./roots.js";
import { CREATE_CHECK_MS, cacheOf, LISTING_TTL_MS, type Listing, type SiteCache } from "./site-cache.js";

export type Found = { item: DriveItem } | { missing: true };

export class DriveTree {
  private readonly cache: SiteCache;

  constructor(private readonly client: DriveClient) {
    this.cache = cacheOf(client);
  }

  private get site(): string {
    return this.client.site;
  }

  /**
   * A request about a folder this tree remembers. Drive answers 404 when
   * the folder was removed (in Drive, by a person) since: the remembered ids
   * are forgotten and the failure is retryable, so the next attempt finds or
   * makes the folder again.
   */
  private readonly inFolder: DriveClient["call"] = async (doing, request, signal) => {
    try {
      return await this.client.call(doing, request, signal);
    } catch (error) {
      throw this.staleFolder(error);
    }
  };

  /**
   * A 404 about a folder this tree remembered (an upload's parent included):
   * forgets every remembered id and listing and makes the failure retryable.
   * Any other error is returned as it is.
   */
  staleFolder(error: unknown): unknown {
    if (!is404(error)) return error;
    this.cache.clear();
    return new ProviderError(
      `${(error as Error).message}; a folder was removed meanwhile, it is looked up again`,
      true,
      { cause: (error as Error).cause },
    );
  }

  /**
   * A 404 about an item this tree had listed (removed or replaced on another
   * machine since): the folder's listing is dropped and the failure is
   * retryable. Any other error is returned as it is.
   */
  staleItem(error: unknown, parentId: string): unknown {
    if (!is404(error)) return error;
    this.cache.listings.delete(parentId);
    return new ProviderError(
      `${(error as Error).message}; it was removed or replaced meanwhile, it is looked up again`,
      true,
      { cause: (error as Error).cause },
    );
  }

  /** Proves the account is let in: one small authenticated request (isActive's first part). */
  async checkAccess(signal?: AbortSignal): Promise<void> {
    await this.client.call(
      "checking the service account",
      (drive, options) => drive.drives.list({ pageSize: 1, fields: "drives(id)" }, options),
      signal,
    );
  }

  /** The drive's root: My Drive's id, or the shared drive with this exact name. */
  root(drive: string | null, signal?: AbortSignal): Promise<DriveRoot> {
    const name = drive ?? MY_DRIVE;
    let found = this.cache.roots.get(name);
    if (!found) {
      found = drive === null ? myDrive(this.client, signal) : sharedDrive(this.client, drive, signal);
      // A failure is not remembered: the next request asks again.
      found.catch(() => this.cache.roots.delete(name));
      this.cache.roots.set(name, found);
    }
    return found;
  }

  /** The children of folder `folderId` (`path`, for messages): listed when not known or too old. */
  private listing(root: DriveRoot, folderId: string, path: string): Promise<Listing> {
    const known = this.cache.listings.get(folderId);
    if (known && Date.now() - known.at <= LISTING_TTL_MS) return Promise.resolve(known);
    let flight = this.cache.loading.get(folderId);
    if (!flight) {
      const touched = new Set<string>();
      // No caller's signal: the listing is shared, and one caller stopping must not fail the others.
      const listing = this.load(root, folderId, path)
        .then((loaded) => {
          for (const name of touched) loaded.unsure.add(name);
          this.cache.listings.set(folderId, loaded);
          return loaded;
        })
        .finally(() => this.cache.loading.delete(folderId));
      flight = { listing, touched };
      this.cache.loading.set(folderId, flight);
    }
    return flight.listing;
  }

  private async load(root: DriveRoot, folderId: string, path: string): Promise<Listing> {
    const at = Date.now();
    const byName = new Map<string, DriveItem[]>();
    let pageToken: string | undefined;
    do {
      const page = await this.inFolder(`listing folder ${path}`, (drive, options) =>
        drive.files.list(
          {
            q: childrenOf(folderId),
            fields: `nextPageToken,files(${ITEM_FIELDS})`,
            pageSize: 1000,
            ...(pageToken ? { pageToken } : {}),
            ...listParams(root),
          },
          options,
        ),
      );
      for (const file of (page.files ?? []) as DriveItem[]) {
        if (!file.name) continue;
        const same = byName.get(file.name);
        if (same) same.push(file);
        else byName.set(file.name, [file]);
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return { at, byName, unsure: new Set() };
  }

  /** Changes the listing of `folderId` (when known) the way this provider changed the folder. */
  private edit(folderId: string, name: string, change: (items: DriveItem[]) => DriveItem[]): void {
    this.cache.loading.get(folderId)?.touched.add(name);
    const listing = this.cache.listings.get(folderId);
    if (!listing) return;
    const items = change(listing.byName.get(name) ?? []);
    if (items.length) listing.byName.set(name, items);
    else listing.byName.delete(name);
  }

  /** An item this provider just made, changed or moved into folder `folderId` (Drive's answer). */
  remember(folderId: string, item: DriveItem): void {
    this.edit(folderId, item.name, (items) => [...items.filter((i) => i.id !== item.id), item]);
    this.cache.listings.get(folderId)?.unsure.delete(item.name);
  }

  /** An item this provider removed from folder `folderId` (deleted, or moved away). */
  forget(folderId: string, item: DriveItem): void {
    this.edit(folderId, item.name, (items) => items.filter((i) => i.id !== item.id));
  }

  /** A name in folder `folderId` whose item this provider cannot know (an upload that failed part way). */
  doubt(folderId: string, name: string): void {
    this.cache.loading.get(folderId)?.touched.add(name);
    this.cache.listings.get(folderId)?.unsure.add(name);
  }

  /** The items named `name` in folder `parentId`, asked of Drive alone; the listing learns the answer. */
  private async lookup(
    root: DriveRoot,
    parentId: string,
    name: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<DriveItem[]> {
    const page = await this.inFolder(
      `looking up ${path}`,
      (drive, options) =>
        drive.files.list(
          {
            q: childNamed(parentId, name),
            fields: `files(${ITEM_FIELDS})`,
            pageSize: 10,
            ...listParams(root),
          },
          options,
        ),
      signal,
    );
    const items = (page.files ?? []) as DriveItem[];
    this.cache.loading.get(parentId)?.touched.add(name);
    const listing = this.cache.listings.get(parentId);
    if (listing) {
      if (items.length) listing.byName.set(name, items);
      else listing.byName.delete(name);
      listing.unsure.delete(name);
    }
    return items;
  }

  /**
   * The item named `name` in folder `parentId`, from the folder's listing,
   * or asked of Drive alone when `fresh` (or the listing doubts that name).
   * Two of them is an error naming `path`.
   */
  private async child(
    root: DriveRoot,
    parentId: string,
    name: string,
    path: string,
    signal?: AbortSignal,
    fresh = false,
  ): Promise<DriveItem | null> {
    let items: DriveItem[];
    const listing = fresh ? undefined : await this.listing(root, parentId, posix.dirname(path));
    if (listing && !listing.unsure.has(name)) items = listing.byName.get(name) ?? [];
    else items = await this.lookup(root, parentId, name, path, signal);
    if (items.length > 1)
      throw new ProviderError(
        `${path} is ambiguous on site ${this.site}: Drive holds ${items.length} items with that name in one ` +
          "folder; keep one (rename or remove the others in Drive)",
        false,
      );
    return items[0] ?? null;
  }

  /** Whether folder `folderId` was listed (or made) within CREATE_CHECK_MS. */
  private listedRecently(folderId: string): boolean {
    const listing = this.cache.listings.get(folderId);
    return listing !== undefined && Date.now() - listing.at <= CREATE_CHECK_MS;
  }

  /**
   * The id of the folder at `path`; with `create`, missing folders are made
   * (once, however many callers ask at the same moment). Without it, null
   * when the folder is missing or a file is in the way.
   */
  async folder(path: string, create: boolean, signal?: AbortSignal): Promise<string | null> {
    return this.folderOf(parseDrivePath(path, this.site), create, signal);
  }

  private async folderOf(
    parsed: DrivePath,
    create: boolean,
    signal?: AbortSignal,
    fresh = false,
  ): Promise<string | null> {
    const key = keyOf(parsed);
    const known = this.cache.folders.get(key);
    if (known) return known;
    const root = await this.root(parsed.drive, signal);
    if (parsed.segments.length === 0) return root.id;
    const flightKey = `${create}:${fresh}:${key}`;
    let flight = this.cache.inFlight.get(flightKey);
    if (!flight) {
      flight = this.resolveFolder(parsed, key, root, create, signal, fresh).finally(() =>
        this.cache.inFlight.delete(flightKey),
      );
      this.cache.inFlight.set(flightKey, flight);
    }
    return flight;
  }

  private async resolveFolder(
    parsed: DrivePath,
    key: string,
    root: DriveRoot,
    create: boolean,
    signal: AbortSignal | undefined,
    fresh: boolean,
  ): Promise<string | null> {
    const name = parsed.segments.at(-1) as string;
    const parentId = await this.folderOf(
      { ...parsed, segments: parsed.segments.slice(0, -1) },
      create,
      signal,
      fresh,
    );
    if (parentId === null) return null;
    let item = await this.child(root, parentId, name, key, signal, fresh);
    // An absence the listing saw a while ago may be a folder another machine made since: making a
    // second one would make everything below it ambiguous.
    if (!item && create && !fresh && !this.listedRecently(parentId))
      item = await this.child(root, parentId, name, key, signal, true);
    if (item && item.mimeType !== FOLDER_MIME) {
      if (!create) return null;
      throw new ProviderError(
        `cannot create folder ${key} on site ${this.site}: a file has that name`,
        false,
      );
    }
    if (item) {
      this.cache.folders.set(key, item.id);
      return item.id;
    }
    if (!create) return null;
    const made = await this.inFolder(
      `creating folder ${key}`,
      (drive, options) =>
        drive.files.create(
          {
            requestBody: { name, mimeType: FOLDER_MIME, parents: [parentId] },
            fields: "id",
            supportsAllDrives: true,
          },
          options,
        ),
      signal,
    );
    if (!made.id) throw new ProviderError(`Drive gave no id for the new folder ${key} on site ${this.site}`);
    this.remember(parentId, { id: made.id, name, mimeType: FOLDER_MIME });
    // A folder just made is empty: nothing in it needs asking for.
    this.cache.listings.set(made.id, { at: Date.now(), byName: new Map(), unsure: new Set() });
    this.cache.folders.set(key, made.id);
    return made.id;
  }

  /**
   * The file or folder at `path`, or missing (a missing parent, or a file
   * where a folder should be, included). With `fresh`, what the listings
   * call missing is asked of Drive (a missing item would fail the caller).
   */
  async find(path: string, signal?: AbortSignal, fresh = false): Promise<DriveItem | null> {
    const parsed = parseDrivePath(path, this.site);
    const root = await this.root(parsed.drive, signal);
    const name = parsed.segments.at(-1);
    if (name === undefined) return { id: root.id, name: parsed.drive ?? MY_DRIVE, mimeType: FOLDER_MIME };
    const parent = { ...parsed, segments: parsed.segments.slice(0, -1) };
    const parentId = await this.folderOf(parent, false, signal, fresh);
    if (parentId === null) return null;
    return this.child(root, parentId, name, keyOf(parsed), signal, fresh);
  }

  /** `find`, and when that says missing, Drive asked again about it (a download or rename source). */
  async findSurely(path: string, signal?: AbortSignal): Promise<DriveItem | null> {
    return (await this.find(path, signal)) ?? this.find(path, signal, true);
  }

  /** The parent folder's id of `path` (which must exist), and the name `path` gives. */
  async parentOf(
    path: string,
    doing: string,
    signal?: AbortSignal,
  ): Promise<{ parentId: string; name: string; key: string }> {
    const parsed = parseDrivePath(path, this.site);
    const name = parsed.segments.at(-1);
    if (name === undefined)
      throw new ProviderError(`${doing} on site ${this.site}: ${path} is a drive`, false);
    const parent = { ...parsed, segments: parsed.segments.slice(0, -1) };
    const parentId = await this.folderOf(parent, false, signal);
    if (parentId === null)
      throw new ProviderError(
        `${doing} on site ${this.site}: the folder ${keyOf(parent)} does not exist`,
        false,
      );
    return { parentId, name, key: keyOf(parsed) };
  }

  /** Names of every item in the folder at `path` (a name twice when Drive holds two); [] when it is missing. */
  async names(path: string, signal?: AbortSignal): Promise<string[]> {
    const parsed = parseDrivePath(path, this.site);
    const id = await this.folderOf(parsed, false, signal);
    if (id === null) return [];
    const root = await this.root(parsed.drive, signal);
    const listing = await this.listing(root, id, keyOf(parsed));
    for (const name of [...listing.unsure])
      await this.lookup(root, id, name, posix.join(keyOf(parsed), name), signal);
    const names: string[] = [];
    for (const [name, items] of listing.byName) for (const _ of items) names.push(name);
    return names.sort();
  }
}

function is404(error: unknown): boolean {
  return error instanceof ProviderError && faultOf(error.cause).status === 404;
}
