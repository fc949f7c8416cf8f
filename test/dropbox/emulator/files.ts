// The RPC file routes (api.dropboxapi.com/2/files/...): metadata, folder listings with cursors over
// several pages, folders, moves and deletes, with Dropbox's error unions.
import { randomBytes } from "node:crypto";
import { badInput, endpointError, lookupError } from "./errors.js";
import { type Entry, metadataOf, type Namespace, parentOf } from "./state.js";

/** A path argument: "" (only where the root is allowed) or "/..." without a trailing slash. */
export function pathArg(value: unknown, field: string, rootAllowed: boolean): string {
  if (typeof value !== "string") throw badInput(`${field}: missing or not a string`);
  if (value === "") {
    if (rootAllowed) return "";
    throw badInput(`${field}: The root folder is unsupported.`);
  }
  if (!value.startsWith("/"))
    throw badInput(`${field}: '${value}' did not match pattern '(/(.|[\\r\\n])*)|id:.*'`);
  if (value.endsWith("/") || value.includes("//")) throw lookupError("path", "malformed_path");
  return value;
}

/** The file or folder at `path`, or the lookup error `outer`/not_found (not_folder for an ancestor file). */
export function lookup(ns: Namespace, path: string, outer = "path"): Entry {
  const entry = ns.get(path);
  if (entry) return entry;
  throw lookupError(outer, "not_found");
}

interface ListCursor {
  ns: Namespace;
  folder: string;
  /** The lower-cased path of the last entry given. */
  after: string;
  limit: number;
}

export class Files {
  private readonly cursors = new Map<string, ListCursor>();

  constructor(private readonly pageSize: () => number) {}

  getMetadata(ns: Namespace, arg: Record<string, unknown>) {
    return metadataOf(lookup(ns, pathArg(arg.path, "path", false)));
  }

  listFolder(ns: Namespace, arg: Record<string, unknown>) {
    const folder = pathArg(arg.path, "path", true);
    if (arg.recursive === true) throw badInput("recursive listing is not emulated");
    if (folder !== "") {
      const entry = lookup(ns, folder);
      if (entry.tag !== "folder") throw lookupError("path", "not_folder");
    }
    const limit = Math.min(this.pageSize(), typeof arg.limit === "number" ? arg.limit : 2000);
    return this.page({ ns, folder, after: "", limit });
  }

  listFolderContinue(arg: Record<string, unknown>) {
    const cursor = this.cursors.get(String(arg.cursor));
    if (!cursor) throw endpointError({ ".tag": "reset" });
    return this.page(cursor);
  }

  private page(cursor: ListCursor) {
    const rest = cursor.ns.children(cursor.folder).filter((e) => e.pathDisplay.toLowerCase() > cursor.after);
    const entries = rest.slice(0, cursor.limit);
    const last = entries.at(-1);
    const next: ListCursor = { ...cursor, after: last ? last.pathDisplay.toLowerCase() : cursor.after };
    const id = `AAA${randomBytes(16).toString("base64url")}`;
    this.cursors.set(id, next);
    return { entries: entries.map(metadataOf), cursor: id, has_more: rest.length > entries.length };
  }

  createFolder(ns: Namespace, arg: Record<string, unknown>) {
    const path = pathArg(arg.path, "path", false);
    const existing = ns.get(path);
    if (existing) throw lookupError("path", "conflict", { conflict: { ".tag": existing.tag } });
    if (ns.fileOnTheWay(parentOf(path)))
      throw lookupError("path", "conflict", { conflict: { ".tag": "file" } });
    ns.makeFolders(parentOf(path));
    return { metadata: metadataOf(ns.put(path, "folder", Buffer.alloc(0), Date.now())) };
  }

  move(ns: Namespace, arg: Record<string, unknown>) {
    const from = pathArg(arg.from_path, "from_path", false);
    const to = pathArg(arg.to_path, "to_path", false);
    lookup(ns, from, "from_lookup");
    const existing = ns.get(to);
    // Dropbox allows a move that only changes the case of the name.
    if (existing && to.toLowerCase() !== from.toLowerCase())
      throw lookupError("to", "conflict", { conflict: { ".tag": existing.tag } });
    if (ns.fileOnTheWay(parentOf(to))) throw lookupError("to", "conflict", { conflict: { ".tag": "file" } });
    ns.makeFolders(parentOf(to));
    return { metadata: metadataOf(ns.move(from, to)) };
  }

  delete(ns: Namespace, arg: Record<string, unknown>) {
    const path = pathArg(arg.path, "path", false);
    const entry = lookup(ns, path, "path_lookup");
    const metadata = metadataOf(entry);
    ns.remove(path);
    return { metadata };
  }
}
