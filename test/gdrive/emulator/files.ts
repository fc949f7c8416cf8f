// files.list / get / create (metadata only) / update (metadata only) / delete and drives.list, with
// Drive's shared-drive rules: an item in a shared drive exists for a request only with
// supportsAllDrives=true, and is listed only with includeItemsFromAllDrives=true as well.
import { badRequest, DriveApiError, insufficientPermissions, invalid, notFound } from "./errors.js";
import { defaultFileFields, project } from "./fields.js";
import { flag, type RequestContext, readBody, sendJson } from "./http.js";
import { parseQuery } from "./query.js";
import { type DriveFile, defaultDriveFields, driveResource, FOLDER_MIME, fileResource } from "./state.js";

export function checkForbidden(ctx: RequestContext, ...ids: string[]): void {
  for (const entry of ctx.faults.forbidden) {
    if (ids.includes(entry) || ctx.url.pathname.startsWith(entry)) throw insufficientPermissions();
  }
}

/** The file, if it exists and this request may see it. */
export function findFile(ctx: RequestContext, fileId: string): DriveFile {
  // "root" is Drive's alias of My Drive's root folder.
  const file = ctx.state.files.get(fileId === "root" ? ctx.state.myDriveRootId : fileId);
  if (file === undefined || (file.driveId !== undefined && !flag(ctx.url, "supportsAllDrives"))) {
    throw notFound(fileId);
  }
  checkForbidden(ctx, fileId);
  return file;
}

/** The folder a new item goes into, and its drive. */
export function findParent(
  ctx: RequestContext,
  parentId: string,
): { parent: string; driveId: string | undefined } {
  const container = ctx.state.container(parentId);
  if (container === undefined || (container.driveId !== undefined && !flag(ctx.url, "supportsAllDrives"))) {
    throw notFound(parentId);
  }
  checkForbidden(ctx, parentId);
  return { parent: parentId, driveId: container.driveId };
}

export interface Metadata {
  name?: unknown;
  mimeType?: unknown;
  parents?: unknown;
  trashed?: unknown;
  modifiedTime?: unknown;
}

/** A client-set `modifiedTime` (RFC 3339) is kept, as Drive keeps it; anything else is ignored. */
function keepModifiedTime(file: DriveFile, metadata: Metadata): void {
  if (typeof metadata.modifiedTime !== "string") return;
  const ms = Date.parse(metadata.modifiedTime);
  if (!Number.isNaN(ms)) file.modifiedTime = new Date(ms).toISOString();
}

export function parseMetadata(body: Buffer): Metadata {
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString("utf8")) as unknown;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Metadata;
  } catch {
    // answered below
  }
  throw badRequest("Invalid JSON payload received.");
}

/** A new file from its metadata (name, mimeType, one parent) and content. */
export function createFile(ctx: RequestContext, metadata: Metadata, content: Buffer, mediaType?: string) {
  const parents = metadata.parents ?? [ctx.state.myDriveRootId];
  if (!Array.isArray(parents) || parents.length !== 1 || typeof parents[0] !== "string") {
    throw invalid("A file must have exactly one parent.", "parents");
  }
  const { parent, driveId } = findParent(ctx, parents[0]);
  const name = typeof metadata.name === "string" ? metadata.name : "Untitled";
  const mimeType =
    typeof metadata.mimeType === "string" ? metadata.mimeType : (mediaType ?? "application/octet-stream");
  const file = ctx.state.put({ name, mimeType, parent, driveId, content });
  keepModifiedTime(file, metadata);
  return file;
}

/** Applies an update's metadata (name, mimeType, trashed) and addParents/removeParents. */
export function updateFile(ctx: RequestContext, file: DriveFile, metadata: Metadata): void {
  if (metadata.parents !== undefined) throw invalid("The parents field is not directly writable.", "parents");
  if (typeof metadata.name === "string") file.name = metadata.name;
  if (typeof metadata.mimeType === "string") file.mimeType = metadata.mimeType;
  if (typeof metadata.trashed === "boolean") file.trashed = metadata.trashed;
  const add = ctx.url.searchParams.get("addParents");
  const remove = ctx.url.searchParams.get("removeParents");
  if (remove !== null) {
    const removed = remove.split(",");
    file.parents = file.parents.filter((id) => !removed.includes(id));
  }
  if (add !== null) {
    for (const id of add.split(",")) {
      const { driveId } = findParent(ctx, id);
      if (driveId !== file.driveId)
        throw badRequest("Moving items between drives is not supported by the emulator.");
      if (!file.parents.includes(id)) file.parents.push(id);
    }
  }
  if (file.parents.length !== 1) throw invalid("A file must have exactly one parent.", "parents");
  file.modifiedTime = new Date().toISOString();
  keepModifiedTime(file, metadata);
}

export function sendFile(ctx: RequestContext, file: DriveFile, status = 200): void {
  sendJson(
    ctx.res,
    status,
    project(fileResource(file), ctx.url.searchParams.get("fields"), defaultFileFields),
  );
}

interface PageCursor {
  o: number;
  k: string;
}

function pageSize(ctx: RequestContext, fallback: number, max: number): number {
  const text = ctx.url.searchParams.get("pageSize");
  if (text === null) return fallback;
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw invalid(`Invalid value '${text}'.`, "pageSize");
  return size;
}

/** One page of `items`; the page token binds to the query (`key`) it was issued for. */
function page<T>(ctx: RequestContext, items: T[], size: number, key: string) {
  const token = ctx.url.searchParams.get("pageToken");
  let offset = 0;
  if (token !== null) {
    let cursor: PageCursor | undefined;
    try {
      cursor = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as PageCursor;
    } catch {
      cursor = undefined;
    }
    if (cursor === undefined || cursor.k !== key || typeof cursor.o !== "number") {
      throw invalid("Invalid Value", "pageToken");
    }
    offset = cursor.o;
  }
  const slice = items.slice(offset, offset + size);
  const more = offset + size < items.length;
  const next = more
    ? Buffer.from(JSON.stringify({ o: offset + size, k: key })).toString("base64url")
    : undefined;
  return { slice, next };
}

export function listFiles(ctx: RequestContext): void {
  const params = ctx.url.searchParams;
  for (const unsupported of ["orderBy", "spaces", "teamDriveId", "includeTeamDriveItems"]) {
    if (params.has(unsupported)) throw invalid(`The emulator does not support ${unsupported}.`, unsupported);
  }
  const allDrives = flag(ctx.url, "supportsAllDrives") && flag(ctx.url, "includeItemsFromAllDrives");
  const corpora = params.get("corpora") ?? "user";
  const driveId = params.get("driveId");
  let inScope: (file: DriveFile) => boolean;
  if (corpora === "drive") {
    if (driveId === null)
      throw invalid(
        "The driveId parameter must be specified if and only if corpora is set to drive.",
        "driveId",
      );
    if (!allDrives)
      throw invalid(
        "The includeItemsFromAllDrives parameter must be set to true when driveId is set.",
        "includeItemsFromAllDrives",
      );
    if (!ctx.state.drives.has(driveId)) throw notFound(driveId);
    inScope = (file) => file.driveId === driveId;
  } else if (corpora === "user" || corpora === "allDrives") {
    if (driveId !== null)
      throw invalid(
        "The driveId parameter must be specified if and only if corpora is set to drive.",
        "driveId",
      );
    inScope = allDrives ? () => true : (file) => file.driveId === undefined;
  } else {
    throw invalid("Invalid Value", "corpora");
  }
  const q = params.get("q");
  const query = q === null || q.trim() === "" ? { match: () => true, parents: [] } : parseQuery(q);
  checkForbidden(ctx, ...query.parents);
  const matches = [...ctx.state.files.values()].filter((file) => inScope(file) && query.match(file));
  const { slice, next } = page(
    ctx,
    matches,
    pageSize(ctx, 100, 1000),
    `${corpora}|${driveId}|${q}|${allDrives}`,
  );
  const full: Record<string, unknown> = {
    kind: "drive#fileList",
    incompleteSearch: false,
    files: slice.map(fileResource),
  };
  if (next !== undefined) full.nextPageToken = next;
  const body = project(full, params.get("fields"), (resource) => ({
    ...resource,
    files: slice.map((file) => defaultFileFields(fileResource(file))),
  }));
  sendJson(ctx.res, 200, body);
}

export function getFile(ctx: RequestContext, fileId: string): void {
  const file = findFile(ctx, fileId);
  if (ctx.url.searchParams.get("alt") !== "media") {
    sendFile(ctx, file);
    return;
  }
  if (file.mimeType === FOLDER_MIME) {
    const message = "Only files with binary content can be downloaded. Use Export with Docs Editors files.";
    throw new DriveApiError(403, "PERMISSION_DENIED", [
      {
        domain: "global",
        reason: "fileNotDownloadable",
        message,
        location: "alt",
        locationType: "parameter",
      },
    ]);
  }
  const range = /^bytes=(\d*)-(\d*)$/.exec(ctx.req.headers.range ?? "");
  const size = file.content.length;
  let start = 0;
  let end = size - 1;
  let status = 200;
  const headers: Record<string, string | number> = {
    "content-type": file.mimeType,
    "accept-ranges": "bytes",
  };
  if (range !== null && size > 0) {
    if (range[1] === "") {
      start = Math.max(0, size - Number(range[2]));
    } else {
      start = Number(range[1]);
      if (range[2] !== "") end = Math.min(end, Number(range[2]));
    }
    if (start > end) {
      ctx.res.writeHead(416, { "content-range": `bytes */${size}` });
      ctx.res.end();
      return;
    }
    status = 206;
    headers["content-range"] = `bytes ${start}-${end}/${size}`;
  }
  const body = file.content.subarray(start, end + 1);
  headers["content-length"] = body.length;
  ctx.res.writeHead(status, headers);
  ctx.res.end(body);
}

export async function createMetadataOnly(ctx: RequestContext): Promise<void> {
  const { body } = await readBody(ctx, false);
  sendFile(ctx, createFile(ctx, parseMetadata(body), Buffer.alloc(0)));
}

export async function updateMetadataOnly(ctx: RequestContext, fileId: string): Promise<void> {
  const { body } = await readBody(ctx, false);
  const file = findFile(ctx, fileId);
  updateFile(ctx, file, parseMetadata(body));
  sendFile(ctx, file);
}

export function deleteFile(ctx: RequestContext, fileId: string): void {
  findFile(ctx, fileId);
  ctx.state.remove(fileId);
  ctx.res.writeHead(204);
  ctx.res.end();
}

export function listDrives(ctx: RequestContext): void {
  const drives = [...ctx.state.drives.values()];
  const { slice, next } = page(ctx, drives, pageSize(ctx, 10, 100), "drives");
  const full: Record<string, unknown> = { kind: "drive#driveList", drives: slice.map(driveResource) };
  if (next !== undefined) full.nextPageToken = next;
  const body = project(full, ctx.url.searchParams.get("fields"), (resource) => ({
    ...resource,
    drives: slice.map((drive) => defaultDriveFields(driveResource(drive))),
  }));
  sendJson(ctx.res, 200, body);
}

export function getDrive(ctx: RequestContext, driveId: string): void {
  const drive = ctx.state.drives.get(driveId);
  if (drive === undefined) throw notFound(driveId);
  sendJson(
    ctx.res,
    200,
    project(driveResource(drive), ctx.url.searchParams.get("fields"), defaultDriveFields),
  );
}
