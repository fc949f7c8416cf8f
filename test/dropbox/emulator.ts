// An in-memory Dropbox API (v2) on 127.0.0.1 for the real `dropbox` SDK (issue 16), so the Dropbox provider
// is tested against the requests the SDK really sends, with faults on demand. One port serves what Dropbox
// splits over two hosts: the RPC routes and /oauth2/token (api.dropboxapi.com) and the content routes
// (content.dropboxapi.com); point both SITESYNC_DROPBOX_API_URL and SITESYNC_DROPBOX_CONTENT_URL at `url`.
//
// What the SDK (dropbox 10.34) sends, and so what is emulated:
// - Every route is `POST https://{api|content}.dropboxapi.com/2/<route>`. RPC routes carry their argument
//   as a JSON body (none for users/get_current_account); content routes carry it in the
//   `Dropbox-API-Arg` header (JSON, non-ASCII escaped as \uXXXX) with the bytes as the body; downloads
//   answer the bytes with the metadata in the `Dropbox-API-Result` header.
// - `Authorization: Bearer <access token>`; a team token acts as a member through
//   `Dropbox-API-Select-User: <team_member_id>` (file routes need it, team routes refuse nothing but
//   ignore it), and `Dropbox-API-Path-Root: {".tag": "namespace_id", "namespace_id": "<id>"}` moves the
//   paths into a team folder's namespace (`{".tag": "home"}` or no header: the member's home).
// - /oauth2/token with grant_type=refresh_token, refresh_token, client_id and client_secret in the form
//   body or the query (the SDK itself puts them in the query), or the client as Basic auth ->
//   {access_token: "sl....", token_type, expires_in}. Errors: 400 {error: "invalid_grant"|"invalid_client"}.
// - Errors: 409 {error_summary: "path/not_found/..", error: {".tag": "path", path: {".tag": "not_found"}}}
//   for a route's own errors; 401 expired_access_token / invalid_access_token; 429 with Retry-After and
//   {error: {reason: {".tag": "too_many_requests"|"too_many_write_operations"}, retry_after}}; 422 for a
//   Path-Root the member cannot reach; 400 in plain text for bad input. Paths are case-insensitive.
// - Faults: `rateLimit(n)` answers the next n API calls (not /oauth2/token) with 429; `dropUploadAfter`
//   cuts the next upload body part way (the request changes nothing); `dropAnswer` takes the next upload
//   whole and cuts the connection instead of answering; `corruptNextUpload` stores the next file with a
//   changed byte; `holdAppendFrom` never answers an append; `expireAccessTokens` makes every token issued
//   so far answer 401 expired_access_token.
//
// Not emulated: recursive listings, revisions, `update` write mode, autorename, batch routes, shared
// links, longpoll, the team's own namespace (team spaces). Listings are in lower-cased path order.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Accounts, type Caller, type Grant, type Member } from "./emulator/accounts.js";
import { Content, readUpload, type UploadFaults } from "./emulator/content.js";
import { badInput, DropboxApiError, endpointError, rateLimited, send } from "./emulator/errors.js";
import { Files } from "./emulator/files.js";
import type { Namespace } from "./emulator/state.js";

export { dropboxContentHash } from "./emulator/state.js";
export type { Member, Namespace };

export interface DropboxCall {
  route: string;
  /** The route's argument (body or Dropbox-API-Arg), without upload bytes. */
  arg: unknown;
  selectUser: string | undefined;
  pathRoot: string | undefined;
  /** Upload bytes received (content routes). */
  bytes: number;
  /** Answered 429 by the rate-limit fault. */
  limited?: boolean;
}

export interface DropboxEmulatorOptions {
  /** Entries per list_folder / team list page (Dropbox's own default is far larger). */
  pageSize?: number;
}

export interface DropboxEmulator {
  /** "http://127.0.0.1:PORT": the base of both the API and the content URL. */
  url: string;
  close(): Promise<void>;
  /** Stops answering (open connections dropped), keeping every file; `end` listens again on the same port. */
  outage: { begin(): Promise<void>; end(): Promise<void> };
  /** Every API call in arrival order (not /oauth2/token, counted in `tokenRequests`). */
  calls: DropboxCall[];
  tokenRequests: number;
  accounts: Accounts;
  /** An app; `secret` null for a PKCE app that refreshes with its key alone. */
  addApp(key: string, secret: string | null): void;
  /** A refresh token for one user's Dropbox (a member's home). */
  userToken(appKey: string, member: Member): string;
  /** A refresh token for a whole team (acts as a member through Select-User). */
  teamToken(appKey: string): string;
  addMember(displayName: string, email: string): Member;
  addTeamFolder(name: string): Namespace;
  sessions: Content["sessions"];
  setPageSize(size: number): void;
  faults: {
    rateLimit(
      n: number,
      options?: { reason?: "too_many_requests" | "too_many_write_operations"; retryAfterS?: number },
    ): void;
    dropUploadAfter(bytes: number): void;
    dropAnswer(): void;
    /** Stores the next uploaded file with its first byte changed. */
    corruptNextUpload(): void;
    /**
     * Reads the next session append at `offset` or later whole and never answers it nor keeps its bytes
     * (a process can then be killed at a known point); resolves when it arrives. `release` drops it.
     */
    holdAppendFrom(offset: number): Promise<void>;
    release(): void;
    expireAccessTokens(): void;
    clear(): void;
  };
}

const CONTENT_ROUTES = new Set([
  "files/upload",
  "files/upload_session/start",
  "files/upload_session/append_v2",
  "files/upload_session/finish",
  "files/download",
]);

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function parseArg(text: string, where: string): Record<string, unknown> {
  if (text.trim() === "" || text === "null") return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw badInput(`${where}: could not decode input as JSON`);
  }
}

/** A page of a team list; the cursor is the offset, as opaque to the client as any other. */
function teamPage<T>(items: T[], offset: number, limit: number) {
  const page = items.slice(offset, offset + limit);
  const next = offset + page.length;
  return { page, cursor: Buffer.from(`team:${next}`).toString("base64url"), has_more: next < items.length };
}

function teamOffset(cursor: unknown): number {
  const text = Buffer.from(String(cursor), "base64url").toString("utf8");
  const match = /^team:(\d+)$/.exec(text);
  if (!match) throw endpointError({ ".tag": "invalid_cursor" });
  return Number(match[1]);
}

function memberProfile(member: Member) {
  return {
    team_member_id: member.teamMemberId,
    account_id: member.accountId,
    email: member.email,
    email_verified: true,
    status: { ".tag": "active" },
    name: {
      given_name: member.displayName.split(" ")[0] ?? "",
      surname: member.displayName.split(" ").slice(1).join(" "),
      familiar_name: member.displayName,
      display_name: member.displayName,
      abbreviated_name: member.displayName.slice(0, 2).toUpperCase(),
    },
    membership_type: { ".tag": "full" },
    groups: [],
    member_folder_id: member.home.id,
  };
}

export async function startDropboxEmulator(options: DropboxEmulatorOptions = {}): Promise<DropboxEmulator> {
  const accounts = new Accounts();
  let pageSize = options.pageSize ?? 500;
  const files = new Files(() => pageSize);
  const upload: UploadFaults = { dropUploadAfter: undefined, dropAnswer: false, corrupt: false };
  const content = new Content(upload);
  const calls: DropboxCall[] = [];
  const rate = { remaining: 0, reason: "too_many_requests", retryAfterS: 0 };
  let tokenRequests = 0;
  let hold: { offset: number; arrived: () => void } | undefined;
  const held = new Set<IncomingMessage>();

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== "POST") throw badInput(`${req.method} is not allowed; Dropbox's API is POST only`);
    if (url.pathname === "/oauth2/token") {
      tokenRequests++;
      const form = new URLSearchParams(url.search);
      const body = await readText(req);
      if ((req.headers["content-type"] ?? "").includes("x-www-form-urlencoded"))
        for (const [key, value] of new URLSearchParams(body)) form.set(key, value);
      const answer = accounts.exchange(form, req.headers.authorization);
      sendJson(res, answer.status, answer.body);
      return;
    }
    const name = url.pathname.replace(/^\/2\//, "");
    const isContent = CONTENT_ROUTES.has(name);
    const argText = isContent ? String(req.headers["dropbox-api-arg"] ?? "") : "";
    const data = isContent && name !== "files/download" ? await readUpload(req, upload) : Buffer.alloc(0);
    if (data === undefined) return; // cut: the socket is gone
    const arg = parseArg(isContent ? argText : await readText(req), isContent ? "Dropbox-API-Arg" : "body");
    calls.push({
      route: name,
      arg,
      selectUser: req.headers["dropbox-api-select-user"] as string | undefined,
      pathRoot: req.headers["dropbox-api-path-root"] as string | undefined,
      bytes: data.length,
    });
    const team = name.startsWith("team/");
    const caller: Caller = accounts.callerOf(req.headers, team ? "team" : "user");
    if (rate.remaining > 0) {
      rate.remaining--;
      const call = calls.at(-1);
      if (call) call.limited = true;
      throw rateLimited(rate.reason, rate.retryAfterS);
    }
    const offset = (arg.cursor as { offset?: unknown } | undefined)?.offset;
    if (
      hold &&
      name === "files/upload_session/append_v2" &&
      typeof offset === "number" &&
      offset >= hold.offset
    ) {
      hold.arrived();
      hold = undefined;
      held.add(req);
      return;
    }
    const ns = caller.namespace as Namespace;
    const answer = (body: unknown) => {
      if (upload.dropAnswer && isContent && name !== "files/download") {
        upload.dropAnswer = false;
        req.socket.destroy();
        return;
      }
      sendJson(res, 200, body);
    };
    switch (name) {
      case "files/get_metadata":
        return answer(files.getMetadata(ns, arg));
      case "files/list_folder":
        return answer(files.listFolder(ns, arg));
      case "files/list_folder/continue":
        return answer(files.listFolderContinue(arg));
      case "files/create_folder_v2":
        return answer(files.createFolder(ns, arg));
      case "files/move_v2":
        return answer(files.move(ns, arg));
      case "files/delete_v2":
        return answer(files.delete(ns, arg));
      case "files/upload":
        return answer(content.upload(ns, arg, data));
      case "files/upload_session/start":
        return answer(content.start(arg, data));
      case "files/upload_session/append_v2":
        return answer(content.append(arg, data));
      case "files/upload_session/finish":
        return answer(content.finish(ns, arg, data));
      case "files/download":
        return content.download(ns, arg, res);
      case "users/get_current_account":
        return answer(currentAccount(caller.member as Member, caller.grant));
      case "team/members/list_v2":
      case "team/members/list/continue_v2": {
        const offset = name.endsWith("continue_v2") ? teamOffset(arg.cursor) : 0;
        const limit = Math.min(pageSize, typeof arg.limit === "number" ? arg.limit : 1000);
        const { page, cursor, has_more } = teamPage(accounts.members, offset, limit);
        return answer({
          members: page.map((m) => ({ profile: memberProfile(m), roles: [] })),
          cursor,
          has_more,
        });
      }
      case "team/team_folder/list":
      case "team/team_folder/list/continue": {
        const offset = name.endsWith("continue") ? teamOffset(arg.cursor) : 0;
        const limit = Math.min(pageSize, typeof arg.limit === "number" ? arg.limit : 1000);
        const { page, cursor, has_more } = teamPage(accounts.teamFolders, offset, limit);
        return answer({
          team_folders: page.map((f) => ({
            team_folder_id: f.id,
            name: f.name,
            status: { ".tag": "active" },
            is_team_shared_dropbox: false,
            sync_setting: { ".tag": "default" },
            content_sync_settings: [],
          })),
          cursor,
          has_more,
        });
      }
    }
    throw badInput(`Unknown API function: "${name}"`);
  };

  const currentAccount = (member: Member, grant: Grant) => ({
    account_id: member.accountId,
    name: memberProfile(member).name,
    email: member.email,
    email_verified: true,
    disabled: false,
    locale: "en",
    referral_link: "https://db.tt/emulator",
    is_paired: false,
    account_type: { ".tag": grant.kind === "team" ? "business" : "basic" },
    root_info: {
      ".tag": grant.kind === "team" ? "team" : "user",
      root_namespace_id: member.home.id,
      home_namespace_id: member.home.id,
    },
    ...(grant.kind === "team" ? { team_member_id: member.teamMemberId } : {}),
  });

  let base = "";
  let port = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      await route(req, res, new URL(req.url ?? "/", base));
    } catch (error) {
      if (res.headersSent || res.destroyed) return;
      if (!req.complete) req.resume();
      send(res, error instanceof DropboxApiError ? error : badInput(`emulator failure: ${String(error)}`));
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });

  return {
    url: base,
    close: async () => {
      if (server.listening) await stop();
    },
    outage: {
      begin: stop,
      end: () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve)),
    },
    calls,
    get tokenRequests() {
      return tokenRequests;
    },
    accounts,
    addApp: (key, secret) => accounts.addApp(key, secret),
    userToken: (appKey, member) => accounts.grant(appKey, { kind: "user", member }),
    teamToken: (appKey) => accounts.grant(appKey, { kind: "team" }),
    addMember: (displayName, email) => accounts.addMember(displayName, email),
    addTeamFolder: (name) => accounts.addTeamFolder(name),
    sessions: content.sessions,
    setPageSize: (size) => {
      pageSize = size;
    },
    faults: {
      rateLimit: (n, options = {}) => {
        rate.remaining = n;
        rate.reason = options.reason ?? "too_many_requests";
        rate.retryAfterS = options.retryAfterS ?? 0;
      },
      dropUploadAfter: (bytes) => {
        upload.dropUploadAfter = bytes;
      },
      dropAnswer: () => {
        upload.dropAnswer = true;
      },
      corruptNextUpload: () => {
        upload.corrupt = true;
      },
      holdAppendFrom: (offset) =>
        new Promise<void>((resolve) => {
          hold = { offset, arrived: resolve };
        }),
      release: () => {
        hold = undefined;
        for (const req of held) req.socket.destroy();
        held.clear();
      },
      expireAccessTokens: () => accounts.expireAll(),
      clear: () => {
        rate.remaining = 0;
        upload.dropUploadAfter = undefined;
        upload.dropAnswer = false;
        upload.corrupt = false;
      },
    },
  };
}
