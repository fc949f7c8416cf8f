// The emulator's files: one tree per namespace (a member's home, a team folder), keyed by lower-cased path
// as Dropbox's paths are case-insensitive and case-preserving, and Dropbox's metadata for each entry. The
// content_hash is computed here, independently of the provider's own code, so a test compares two
// implementations of Dropbox's algorithm rather than one with itself.
import { createHash, randomBytes } from "node:crypto";

export interface Entry {
  tag: "file" | "folder";
  /** Case as written by the client that made it. */
  pathDisplay: string;
  id: string;
  content: Buffer;
  /** Dropbox's `client_modified`: the time the client said, to the second. */
  clientModified: string;
  serverModified: string;
  rev: string;
}

/** Dropbox's content hash: sha256 of each 4 MiB block, then sha256 of those digests one after the other. */
export function dropboxContentHash(data: Buffer): string {
  const BLOCK = 4 * 1024 * 1024;
  const digests: Buffer[] = [];
  for (let at = 0; at < data.length; at += BLOCK) {
    digests.push(
      createHash("sha256")
        .update(data.subarray(at, at + BLOCK))
        .digest(),
    );
  }
  return createHash("sha256").update(Buffer.concat(digests)).digest("hex");
}

/** Dropbox's timestamps: ISO 8601 to the second, "Z". */
export function dropboxTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

export const parentOf = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf("/")));
export const nameOf = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/** One namespace's tree; "" is its root, which always exists. */
export class Namespace {
  readonly entries = new Map<string, Entry>();

  constructor(
    readonly id: string,
    readonly name: string,
  ) {}

  get(path: string): Entry | undefined {
    return this.entries.get(path.toLowerCase());
  }

  /** The nearest existing ancestor (or the path itself) that is a file, if any. */
  fileOnTheWay(path: string): Entry | undefined {
    for (let at = path; at !== ""; at = parentOf(at)) {
      const entry = this.get(at);
      if (entry?.tag === "file") return entry;
    }
    return undefined;
  }

  /** Makes the folders down to `path` (Dropbox creates missing parents of a write). */
  makeFolders(path: string): void {
    const missing: string[] = [];
    for (let at = path; at !== "" && !this.get(at); at = parentOf(at)) missing.unshift(at);
    for (const at of missing) this.put(at, "folder", Buffer.alloc(0), Date.now());
  }

  put(path: string, tag: Entry["tag"], content: Buffer, clientModifiedMs: number): Entry {
    const now = Date.now();
    const entry: Entry = {
      tag,
      pathDisplay: path,
      id: `id:${randomBytes(8).toString("base64url")}`,
      content,
      clientModified: dropboxTime(clientModifiedMs),
      serverModified: dropboxTime(now),
      rev: randomBytes(9).toString("hex").slice(0, 15),
    };
    const old = this.get(path);
    if (old && old.tag === "file" && tag === "file") entry.id = old.id;
    this.entries.set(path.toLowerCase(), entry);
    return entry;
  }

  /** Removes an entry and everything under it. */
  remove(path: string): void {
    const key = path.toLowerCase();
    for (const at of [...this.entries.keys()]) {
      if (at === key || at.startsWith(`${key}/`)) this.entries.delete(at);
    }
  }

  /** Moves an entry and everything under it. */
  move(from: string, to: string): Entry {
    const key = from.toLowerCase();
    const moved = [...this.entries.entries()].filter(([at]) => at === key || at.startsWith(`${key}/`));
    for (const [at] of moved) this.entries.delete(at);
    for (const [at, entry] of moved) {
      const display = to + entry.pathDisplay.slice(from.length);
      this.entries.set(at === key ? to.toLowerCase() : display.toLowerCase(), {
        ...entry,
        pathDisplay: display,
      });
    }
    return this.get(to) as Entry;
  }

  /** The entries directly in `folder`, sorted by lower-cased path for a stable order across pages. */
  children(folder: string): Entry[] {
    const prefix = folder === "" ? "/" : `${folder.toLowerCase()}/`;
    return [...this.entries.entries()]
      .filter(([at]) => at.startsWith(prefix) && !at.slice(prefix.length).includes("/"))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, entry]) => entry);
  }
}

/** Dropbox's metadata of an entry, as files/get_metadata and list_folder answer it. */
export function metadataOf(entry: Entry): Record<string, unknown> {
  const common = {
    name: nameOf(entry.pathDisplay),
    path_lower: entry.pathDisplay.toLowerCase(),
    path_display: entry.pathDisplay,
    id: entry.id,
  };
  if (entry.tag === "folder") return { ".tag": "folder", ...common };
  return {
    ".tag": "file",
    ...common,
    client_modified: entry.clientModified,
    server_modified: entry.serverModified,
    rev: entry.rev,
    size: entry.content.length,
    is_downloadable: true,
    content_hash: dropboxContentHash(entry.content),
  };
}
