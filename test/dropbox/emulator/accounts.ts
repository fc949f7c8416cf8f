// Who may call the emulator: OAuth apps (key and secret), the refresh tokens they were granted (for one
// user's account, or for a whole team), the short-lived access tokens /oauth2/token trades them for, and
// the team's members and team folders. A team token acts on files only as a member named by
// `Dropbox-API-Select-User`; `Dropbox-API-Path-Root` picks the namespace (the member's home, or a team
// folder the member can reach), as on Dropbox.
import { randomBytes } from "node:crypto";
import { authError, badInput, DropboxApiError } from "./errors.js";
import { Namespace } from "./state.js";

export interface Member {
  accountId: string;
  teamMemberId: string;
  email: string;
  displayName: string;
  home: Namespace;
}

export type Grant = { kind: "user"; member: Member } | { kind: "team" };

/** Who a request acts as, and in which namespace its paths are. */
export interface Caller {
  grant: Grant;
  /** The member for file calls; undefined for team calls. */
  member: Member | undefined;
  namespace: Namespace | undefined;
}

let nextNamespace = 1000;
const newNamespace = (name: string) => new Namespace(String(nextNamespace++), name);

export class Accounts {
  readonly apps = new Map<string, string | null>();
  readonly refreshTokens = new Map<string, { appKey: string; grant: Grant }>();
  readonly accessTokens = new Map<string, { grant: Grant; expired: boolean }>();
  readonly members: Member[] = [];
  readonly teamFolders: Namespace[] = [];
  /** Seconds an access token lives, as `expires_in` says. */
  lifetimeS = 14_400;

  addApp(key: string, secret: string | null): void {
    this.apps.set(key, secret);
  }

  addMember(displayName: string, email: string): Member {
    const member: Member = {
      accountId: `dbid:${randomBytes(12).toString("base64url")}`,
      teamMemberId: `dbmid:${randomBytes(12).toString("base64url")}`,
      email,
      displayName,
      home: newNamespace(displayName),
    };
    this.members.push(member);
    return member;
  }

  addTeamFolder(name: string): Namespace {
    const folder = newNamespace(name);
    this.teamFolders.push(folder);
    return folder;
  }

  grant(appKey: string, grant: Grant): string {
    const token = randomBytes(24).toString("base64url");
    this.refreshTokens.set(token, { appKey, grant });
    return token;
  }

  /** POST /oauth2/token, grant_type=refresh_token; client credentials in the form or as Basic auth. */
  exchange(form: URLSearchParams, authorization: string | undefined): { status: number; body: unknown } {
    let clientId = form.get("client_id");
    let secret = form.get("client_secret");
    if (authorization?.startsWith("Basic ")) {
      const [id, pass] = Buffer.from(authorization.slice(6), "base64").toString("utf8").split(":");
      clientId = id ?? null;
      secret = pass ?? null;
    }
    const oauth = (status: number, error: string, description: string) => ({
      status,
      body: { error, error_description: description },
    });
    if (form.get("grant_type") !== "refresh_token")
      return oauth(400, "unsupported_grant_type", "only refresh_token is emulated");
    if (!clientId || !this.apps.has(clientId)) return oauth(400, "invalid_client", "Invalid client_id");
    const expected = this.apps.get(clientId);
    if (expected !== null && secret !== expected)
      return oauth(400, "invalid_client", "Invalid client_id or client_secret");
    const refresh = this.refreshTokens.get(form.get("refresh_token") ?? "");
    if (!refresh || refresh.appKey !== clientId)
      return oauth(400, "invalid_grant", "refresh token is invalid or revoked");
    const access = `sl.${randomBytes(24).toString("base64url")}`;
    this.accessTokens.set(access, { grant: refresh.grant, expired: false });
    return { status: 200, body: { access_token: access, token_type: "bearer", expires_in: this.lifetimeS } };
  }

  expireAll(): void {
    for (const token of this.accessTokens.values()) token.expired = true;
  }

  /** The grant of a request's bearer token, or Dropbox's 401. */
  grantOf(authorization: string | undefined): Grant {
    const token = authorization?.startsWith("Bearer ") ? authorization.slice(7) : "";
    const known = this.accessTokens.get(token);
    if (!known) throw authError("invalid_access_token");
    if (known.expired) throw authError("expired_access_token");
    return known.grant;
  }

  /**
   * The caller of a request: `team` routes take a team token and no member; file routes take a user token,
   * or a team token with Select-User. Path-Root picks the namespace.
   */
  callerOf(headers: Record<string, string | string[] | undefined>, route: "team" | "user"): Caller {
    const grant = this.grantOf(headers.authorization as string | undefined);
    const selectUser = headers["dropbox-api-select-user"] as string | undefined;
    if (route === "team") {
      if (grant.kind !== "team") throw badInput("this route needs a team access token");
      return { grant, member: undefined, namespace: undefined };
    }
    let member: Member | undefined;
    if (grant.kind === "team") {
      if (!selectUser)
        throw badInput(
          'This API function operates on a single Dropbox account, but the OAuth 2 access token you provided is for an entire Dropbox Business team. Since your API app key has team member file access permissions, you can operate on a team member\'s Dropbox by providing the "Dropbox-API-Select-User" HTTP header',
        );
      member = this.members.find((m) => m.teamMemberId === selectUser);
      if (!member) throw badInput(`Invalid select user id format or no such member: ${selectUser}`);
    } else {
      if (selectUser) throw badInput("Dropbox-API-Select-User needs a team access token");
      member = grant.member;
    }
    return { grant, member, namespace: this.namespaceOf(member, headers["dropbox-api-path-root"]) };
  }

  private namespaceOf(member: Member, header: string | string[] | undefined): Namespace {
    if (header === undefined) return member.home;
    let root: Record<string, unknown>;
    try {
      root = JSON.parse(String(header)) as Record<string, unknown>;
    } catch {
      throw badInput("Dropbox-API-Path-Root: could not decode input as JSON");
    }
    if (root[".tag"] === "home") return member.home;
    const id = root[".tag"] === "root" ? root.root : root.namespace_id;
    if (id === member.home.id) return member.home;
    const folder = this.teamFolders.find((f) => f.id === id);
    if (!folder)
      throw new DropboxApiError(422, {
        error_summary: "no_permission/..",
        error: { ".tag": "no_permission" },
      });
    return folder;
  }
}
