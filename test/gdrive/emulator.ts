// An in-memory Google Drive v3 API on 127.0.0.1 for the real `googleapis` client (issue 15), so the
// Drive provider is tested against the requests googleapis really sends, with faults (rate limits, cut
// uploads, permission errors) on demand.
//
// Pointing googleapis 178 at it (checked in emulator.test.ts):
// - Pass `{ rootUrl: emu.url }` as the second argument of EVERY call (`drive.files.create(params,
//   { rootUrl })`). drive/v3.js builds both the API URL and the media upload URL from the per-call
//   `rootUrl` only. `google.drive({ version: "v3", rootUrl })` (per-API option) rewrites the API URL
//   but not the upload URL (googleapis-common apirequest.js rewrites `options.url` after `mediaUrl` is
//   built, and never `mediaUrl`), so uploads would go to www.googleapis.com. `google.options({ rootUrl })`
//   (global) rewrites nothing at all.
// - Auth: `const auth = new google.auth.JWT({ email, key, keyId, scopes: [".../auth/drive"] });
//   auth.useJWTAccessWithScope = true;` (a property: it is not in JWTOptions, tsc rejects it there). The
//   client then signs its own JWT (iss = sub = client_email, scope, exp = now + 1 h) and sends it as
//   `Authorization: Bearer <jwt>` with no token exchange; the emulator verifies it with the public key
//   given to `grant(email, publicKeyPem)`. Without that flag the client asks gtoken for a token at the
//   hard-coded https://oauth2.googleapis.com/token: the credentials file's `token_uri` is ignored.
//   Clients that can be given a token URL use `POST ${url}token` (form: grant_type=
//   urn:ietf:params:oauth:grant-type:jwt-bearer, assertion=<jwt>) -> {access_token, expires_in, token_type}.
// - googleapis only sends `uploadType=multipart` (requestBody + media) or `media` (media alone), never
//   resumable; its media body must be a string or a Readable (a Buffer throws). Resumable uploads are
//   raw HTTP: POST `${url}upload/drive/v3/files?uploadType=resumable` (or PATCH .../files/{id}) with
//   the JSON metadata and the auth header -> 200 + `Location`; PUT chunks (multiples of 256 KiB except
//   the last) with `Content-Range: bytes a-b/total`, -> 308 + `Range: bytes=0-N`, last -> 200 + file;
//   `Content-Range: bytes */total` asks how far it got. The session URI needs no auth header.
// - gaxios retries GET/PUT/DELETE on 429 and 5xx by itself (3 times, without reading Retry-After); pass
//   `retry: false` in the call options to see the first answer. A failed call rejects with a GaxiosError:
//   `err.status`, `err.response.headers.get("retry-after")`, and Google's body in `err.response.data`
//   (`.error.errors[0].reason`: notFound, insufficientPermissions, userRateLimitExceeded, ...).
// - Shared drives: items in one exist for a call only with `supportsAllDrives: true`, and are listed only
//   with `includeItemsFromAllDrives: true` too (`corpora: "drive"` + `driveId` for one drive); a shared
//   drive's id is also its root folder's id. `files.list` returns trashed items unless q says
//   `trashed = false`; with `fields`, a response holds only the fields named (a `fields: "files(id)"`
//   list has no nextPageToken), as on Drive. `files.get` with `alt: "media"` honours `Range: bytes=a-b`.
// - Faults: `rateLimit` answers the next n requests (any but /token, resumable PUTs included) after the
//   auth check; `dropUploadAfter` cuts the next upload body (multipart, media or a resumable PUT) and a
//   resumable session keeps every byte that arrived before the cut (status query reports them);
//   `forbid` matches a file id, a parent id (create, `'id' in parents`) or a request-path prefix.
// - Not Drive: `PUT/GET/DELETE ${url}raw/<key>` store and return plain bytes (no auth, no faults), the
//   floor bench/gdrive.ts measures the provider's transfers against (`raw` holds them).
//
// Not supported (400 or absent): q terms other than name =, 'id' in parents, mimeType = / !=, trashed =;
// `or`, `not`, parentheses; orderBy; files.copy, export, permissions, changes, about; moving items
// between drives; multiple parents. files.list default order is creation order.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { Auth } from "./emulator/auth.js";
import { DriveApiError, invalid, rateLimited, sendError } from "./emulator/errors.js";
import {
  checkForbidden,
  createMetadataOnly,
  deleteFile,
  getDrive,
  getFile,
  listDrives,
  listFiles,
  updateMetadataOnly,
} from "./emulator/files.js";
import { type Faults, type RequestContext, sendJson } from "./emulator/http.js";
import { rawBytes } from "./emulator/raw.js";
import { type DriveFile, DriveState, FOLDER_MIME } from "./emulator/state.js";
import { CHUNK_GRANULARITY, Uploads } from "./emulator/uploads.js";

export type { DriveFile };
export { CHUNK_GRANULARITY, FOLDER_MIME };

export interface DriveCall {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The answer's HTTP status, once it is sent (undefined for a cut connection). */
  status?: number;
}

export interface DriveEmulator {
  /** "http://127.0.0.1:PORT/": the `rootUrl` for googleapis. */
  url: string;
  close(): Promise<void>;
  /** Every request, in arrival order (including /token and resumable PUTs). */
  calls: DriveCall[];
  /** Files (and folders) by id; tests may read and change them. */
  state: Map<string, DriveFile>;
  myDriveRootId: string;
  /** Plain bytes stored by `PUT ${url}raw/<key>` (not Drive: a benchmark's reference), by key. */
  raw: Map<string, Buffer>;
  addSharedDrive(name: string): string;
  /** Lets a service account in; its JWTs are checked with this public key. */
  grant(email: string, publicKeyPem: string): void;
  revoke(email: string): void;
  faults: {
    /** The next `n` API requests get Drive's rate-limit answer (403 userRateLimitExceeded or 429). */
    rateLimit(n: number, kind: "403" | "429", retryAfterS?: number): void;
    /** Cuts the connection once, after `bytes` bytes of the next upload body. */
    dropUploadAfter(bytes: number): void;
    /** Requests on this file/folder id (or under this request path) get 403 insufficientPermissions. */
    forbid(pathOrId: string): void;
    /** Removes every armed fault. */
    clear(): void;
  };
}

export interface DriveEmulatorOptions {
  /** Service accounts granted from the start. */
  accounts?: Array<{ email: string; publicKeyPem: string }>;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
}

function idIn(pattern: RegExp, path: string): string | undefined {
  const id = pattern.exec(path)?.[1];
  return id === undefined ? undefined : decodeURIComponent(id);
}

export async function startDriveEmulator(options: DriveEmulatorOptions = {}): Promise<DriveEmulator> {
  const state = new DriveState();
  const auth = new Auth();
  for (const account of options.accounts ?? []) auth.grant(account.email, account.publicKeyPem);
  const uploads = new Uploads();
  const calls: DriveCall[] = [];
  const raw = new Map<string, Buffer>();
  const faults: Faults = {
    rateLimit: { remaining: 0, kind: "429", retryAfterS: undefined },
    dropUploadAfter: undefined,
    forbidden: new Set(),
  };
  let base = "";

  const route = async (ctx: RequestContext): Promise<void> => {
    const { req, url } = ctx;
    const method = req.method ?? "GET";
    const path = url.pathname;
    if (method === "POST" && path === "/token") {
      const body: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) body.push(chunk);
      sendJson(ctx.res, 200, auth.exchange(new URLSearchParams(Buffer.concat(body).toString("utf8"))));
      return;
    }
    const rawKey = idIn(/^\/raw\/([^/]+)$/, path);
    if (rawKey !== undefined) return rawBytes(ctx, raw, rawKey);
    const uploadId = url.searchParams.get("upload_id");
    if (!(method === "PUT" && uploadId !== null)) auth.check(req.headers.authorization);
    if (faults.rateLimit.remaining > 0) {
      faults.rateLimit.remaining -= 1;
      throw rateLimited(faults.rateLimit.kind, faults.rateLimit.retryAfterS);
    }
    checkForbidden(ctx);
    if (uploadId !== null && method === "PUT") return uploads.put(ctx, uploadId);
    const fileId = idIn(/^\/drive\/v3\/files\/([^/]+)$/, path);
    const uploadFileId = idIn(/^\/upload\/drive\/v3\/files\/([^/]+)$/, path);
    const driveId = idIn(/^\/drive\/v3\/drives\/([^/]+)$/, path);
    if (path === "/drive/v3/files") {
      if (method === "GET") return listFiles(ctx);
      if (method === "POST") return createMetadataOnly(ctx);
    } else if (fileId !== undefined) {
      if (method === "GET") return getFile(ctx, fileId);
      if (method === "PATCH") return updateMetadataOnly(ctx, fileId);
      if (method === "DELETE") return deleteFile(ctx, fileId);
    } else if (path === "/upload/drive/v3/files" && method === "POST") {
      return uploads.start(ctx, undefined);
    } else if (uploadFileId !== undefined && method === "PATCH") {
      return uploads.start(ctx, uploadFileId);
    } else if (path === "/drive/v3/drives" && method === "GET") {
      return listDrives(ctx);
    } else if (driveId !== undefined && method === "GET") {
      return getDrive(ctx, driveId);
    }
    throw new DriveApiError(404, "NOT_FOUND", [
      { domain: "global", reason: "notFound", message: `Not Found: ${method} ${path}` },
    ]);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", base);
    const call: DriveCall = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
    };
    calls.push(call);
    res.on("finish", () => {
      call.status = res.statusCode;
    });
    try {
      await route({ req, res, url, state, faults, base });
    } catch (err) {
      if (res.headersSent || res.destroyed) return;
      if (!req.complete) req.resume();
      sendError(res, err instanceof DriveApiError ? err : invalid(`Emulator failure: ${String(err)}`));
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    url: base,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
    calls,
    state: state.files,
    myDriveRootId: state.myDriveRootId,
    raw,
    addSharedDrive: (name) => state.addSharedDrive(name),
    grant: (email, publicKeyPem) => auth.grant(email, publicKeyPem),
    revoke: (email) => auth.revoke(email),
    faults: {
      rateLimit: (n, kind, retryAfterS) => {
        faults.rateLimit = { remaining: n, kind, retryAfterS };
      },
      dropUploadAfter: (bytes) => {
        faults.dropUploadAfter = bytes;
      },
      forbid: (pathOrId) => {
        faults.forbidden.add(pathOrId);
      },
      clear: () => {
        faults.rateLimit.remaining = 0;
        faults.dropUploadAfter = undefined;
        faults.forbidden.clear();
      },
    },
  };
}
