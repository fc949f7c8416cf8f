/**
 * Drive has ids, not paths. A site path is `/My Drive/a/b` (from the
 * drive's root) or `/<shared drive>/a/b` (a shared drive found by its exact
 * name); this module turns it into ids lazily, one segment at a time, and
 * remembers every folder it has seen or made. Creating a missing folder is
 * single-flight: sixteen transfers needing the same folder at once make it
 * once. Drive allows two items with one name in a folder; this provider
 * refuses to guess between them and names the path instead.
 */
import { posix } from "node:path";
import { ProviderError } from "../../lib/errors.js";
import { type DriveClient, type DriveItem, ITEM_FIELDS } from "./client.js";
import { faultOf } from "./errors.js";
import { childNamed, childrenOf, FOLDER_MIME } from "./query.js";

export const MY_DRIVE = "My Drive";

export interface DrivePath {
  /** The shared drive's name, or null for My Drive. */
  drive: string | null;
  /** Names below the drive's root. */
  segments: string[];
}

/** `/My Drive/a/b` or `/<shared drive>/a/b`; `.`, `..` and empty names are refused. */
export function parseDrivePath(path: string, site: string): DrivePath {
  const bad = (why: string) =>
    new ProviderError(`${path} is not a drive path on site ${site}: ${why}`, false);
  if (!path.startsWith("/")) throw bad('it must start with "/My Drive/" or "/<shared drive name>/"');
  const parts = path.slice(1).replace(/\/+$/, "").split("/");
  const [first, ...segments] = parts;
  if (!first) throw bad("it names no drive");
  if (parts.some((part) => part === "" || part === "." || part === ".."))
    throw bad('empty, "." and ".." names are not allowed');
  return { drive: first === MY_DRIVE ? null : first, segments };
}

/** The path as this module keys it: normalised, so `/My Drive/a/` and `/My Drive/a` are one folder. */
function keyOf(parsed: DrivePath): string {
  return posix.join("/", parsed.drive ?? MY_DRIVE, ...parsed.segments);
}

interface DriveRoot {
  id: string;
  /** Set for a shared drive: its listings need `corpora: drive` and its id. */
  driveId?: string;
}

export type Found = { item: DriveItem } | { missing: true };

export class DriveTree {
  private readonly roots = new Map<string, Promise<DriveRoot>>();
  private readonly folders = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<string | null>>();

  constructor(private readonly client: DriveClient) {}

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
   * forgets every remembered id and makes the failure retryable. Any other
   * error is returned as it is.
   */
  staleFolder(error: unknown): unknown {
    if (!(error instanceof ProviderError) || faultOf(error.cause).status !== 404) return error;
    this.folders.clear();
    this.roots.clear();
    return new ProviderError(
      `${error.message}; a folder was removed meanwhile, it is looked up again`,
      true,
      {
        cause: error.cause,
      },
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
    let found = this.roots.get(name);
    if (!found) {
      found = drive === null ? this.myDrive(signal) : this.sharedDrive(drive, signal);
      // A failure is not remembered: the next request asks again.
      found.catch(() => this.roots.delete(name));
      this.roots.set(name, found);
    }
    return found;
  }

  private async myDrive(signal?: AbortSignal): Promise<DriveRoot> {
    const root = await this.client.call(
      `opening ${MY_DRIVE}`,
      (drive, options) => drive.files.get({ fileId: "root", fields: "id", supportsAllDrives: true }, options),
      signal,
    );
    return { id: root.id ?? "root" };
  }

  private async sharedDrive(name: string, signal?: AbortSignal): Promise<DriveRoot> {
    const seen: string[] = [];
    const matches: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.client.call(
        `looking for the shared drive "${name}"`,
        (drive, options) =>
          drive.drives.list(
            { pageSize: 100, fields: "nextPageToken,drives(id,name)", ...(pageToken ? { pageToken } : {}) },
            options,
          ),
        signal,
      );
      for (const found of page.drives ?? []) {
        if (found.name) seen.push(found.name);
        if (found.name === name && found.id) matches.push(found.id);
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    const [id, ...others] = matches;
    if (id && others.length === 0) return { id, driveId: id };
    if (id)
      throw new ProviderError(
        `site ${this.site}: ${matches.length} shared drives are named "${name}"; rename all but one`,
        false,
      );
    const visible = seen.length ? seen.map((s) => `"${s}"`).join(", ") : "none";
    throw new ProviderError(
      `site ${this.site}: no shared drive named "${name}" (paths start with "/${MY_DRIVE}/" or a shared drive's ` +
        `exact name); the service account ${this.client.account.email} sees these shared drives: ${visible}`,
      false,
    );
  }

  private listParams(root: DriveRoot) {
    return {
      supportsAllDrives: true,
      includeItemsFromAllDrives: true,
      ...(root.driveId ? { corpora: "drive", driveId: root.driveId } : {}),
    };
  }

  /** The item named `name` in folder `parentId`: two of them is an error naming `path`. */
  private async child(
    root: DriveRoot,
    parentId: string,
    name: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<DriveItem | null> {
    const page = await this.inFolder(
      `looking up ${path}`,
      (drive, options) =>
        drive.files.list(
          {
            q: childNamed(parentId, name),
            fields: `files(${ITEM_FIELDS})`,
            pageSize: 10,
            ...this.listParams(root),
          },
          options,
        ),
      signal,
    );
    const items = (page.files ?? []) as DriveItem[];
    if (items.length > 1)
      throw new ProviderError(
        `${path} is ambiguous on site ${this.site}: Drive holds ${items.length} items with that name in one ` +
          "folder; keep one (rename or remove the others in Drive)",
        false,
      );
    return items[0] ?? null;
  }

  /**
   * The id of the folder at `path`; with `create`, missing folders are made
   * (once, however many callers ask at the same moment). Without it, null
   * when the folder is missing or a file is in the way.
   */
  async folder(path: string, create: boolean, signal?: AbortSignal): Promise<string | null> {
    return this.folderOf(parseDrivePath(path, this.site), create, signal);
  }

  private async folderOf(parsed: DrivePath, create: boolean, signal?: AbortSignal): Promise<string | null> {
    const key = keyOf(parsed);
    const known = this.folders.get(key);
    if (known) return known;
    const root = await this.root(parsed.drive, signal);
    if (parsed.segments.length === 0) return root.id;
    const flightKey = `${create}:${key}`;
    let flight = this.inFlight.get(flightKey);
    if (!flight) {
      flight = this.resolveFolder(parsed, key, root, create, signal).finally(() =>
        this.inFlight.delete(flightKey),
      );
      this.inFlight.set(flightKey, flight);
    }
    return flight;
  }

  private async resolveFolder(
    parsed: DrivePath,
    key: string,
    root: DriveRoot,
    create: boolean,
    signal?: AbortSignal,
  ): Promise<string | null> {
    const name = parsed.segments.at(-1) as string;
    const parentId = await this.folderOf(
      { ...parsed, segments: parsed.segments.slice(0, -1) },
      create,
      signal,
    );
    if (parentId === null) return null;
    const item = await this.child(root, parentId, name, key, signal);
    if (item && item.mimeType !== FOLDER_MIME) {
      if (!create) return null;
      throw new ProviderError(
        `cannot create folder ${key} on site ${this.site}: a file has that name`,
        false,
      );
    }
    if (item) {
      this.folders.set(key, item.id);
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
    this.folders.set(key, made.id);
    return made.id;
  }

  /** The file or folder at `path`, or missing (a missing parent, or a file where a folder should be, included). */
  async find(path: string, signal?: AbortSignal): Promise<DriveItem | null> {
    const parsed = parseDrivePath(path, this.site);
    const root = await this.root(parsed.drive, signal);
    const name = parsed.segments.at(-1);
    if (name === undefined) return { id: root.id, name: parsed.drive ?? MY_DRIVE, mimeType: FOLDER_MIME };
    const parentId = await this.folderOf(
      { ...parsed, segments: parsed.segments.slice(0, -1) },
      false,
      signal,
    );
    if (parentId === null) return null;
    return this.child(root, parentId, name, keyOf(parsed), signal);
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

  /** Names of every item in the folder at `path`; [] when it is missing. */
  async names(path: string, signal?: AbortSignal): Promise<string[]> {
    const parsed = parseDrivePath(path, this.site);
    const id = await this.folderOf(parsed, false, signal);
    if (id === null) return [];
    const root = await this.root(parsed.drive, signal);
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.inFolder(
        `listing folder ${keyOf(parsed)}`,
        (drive, options) =>
          drive.files.list(
            {
              q: childrenOf(id),
              fields: "nextPageToken,files(name)",
              pageSize: 1000,
              ...(pageToken ? { pageToken } : {}),
              ...this.listParams(root),
            },
            options,
          ),
        signal,
      );
      for (const file of page.files ?? []) if (file.name) names.push(file.name);
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return names.sort();
  }
}
