/**
 * The `dropbox` provider: Dropbox (API v2, the official `dropbox` SDK), as
 * AYON's dropbox provider: a personal Dropbox, or a team's (a team token
 * acting as `acting_as_member`, in the team folder `team_folder_name`;
 * team.ts). Site paths are Dropbox paths (`/Projects/...`), case-insensitive
 * as on Dropbox. The token setting holds the app and its refresh token
 * (credentials.ts); uploads are resumable sessions checked against Dropbox's
 * content_hash (upload.ts); downloads stream (download.ts); every request is
 * retried while Dropbox rate-limits it (client.ts). SITESYNC_DROPBOX_API_URL
 * and SITESYNC_DROPBOX_CONTENT_URL point it at other base URLs (http.ts).
 */
import { stat as statLocal } from "node:fs/promises";
import path from "node:path";
import type { files } from "dropbox";
import { ProviderError } from "../../lib/errors.js";
import type { DropboxSettings } from "../../lib/settings/schema.js";
import {
  type ActiveCheck,
  BATCH_LIMITS,
  type FileStat,
  type ProviderCapabilities,
  type ProviderContext,
  type ProviderFactory,
  type SiteProvider,
  type TransferOptions,
  type TransferResult,
} from "../provider.js";
import { activeWithin } from "../shared/active-check.js";
import { type BackoffOptions, DEFAULT_BACKOFF, DropboxClient } from "./client.js";
import { AccessTokens, parseToken } from "./credentials.js";
import { streamDownload } from "./download.js";
import { faultOf, hasTags } from "./errors.js";
import { dropboxBases } from "./http.js";
import { resolveActing } from "./team.js";
import { type UploadTuning, uploadFile } from "./upload.js";

/** A site's `dropbox` block, as the settings schema checked it (keys may be absent for a custom caller). */
export type DropboxConfig = Partial<DropboxSettings>;

const MiB = 1024 * 1024;
/** How long isActive waits for Dropbox before calling the site unreachable. */
const ACTIVE_TIMEOUT_MS = 20_000;

/** What tests may change: chunk sizes and the rate-limit pauses. */
export interface DropboxTuning extends UploadTuning {
  backoff: BackoffOptions;
}

export const DEFAULT_TUNING: DropboxTuning = {
  singleMax: 16 * MiB,
  chunk: 16 * MiB,
  backoff: DEFAULT_BACKOFF,
};

/** A site path as Dropbox writes it: "/a/b", and "" for the root. */
export function dropboxPath(remote: string): string {
  const normal = path.posix.normalize(`/${remote}`).replace(/\/+$/, "");
  return normal === "/" ? "" : normal;
}

class DropboxProvider implements SiteProvider {
  readonly kind = "dropbox";
  // Dropbox reports its own content_hash, not sha256: sha256 is computed here on the bytes as they pass.
  readonly capabilities: ProviderCapabilities = { hashes: ["sha256"], resumableUploads: true };
  readonly siteName: string;
  private readonly config: DropboxConfig;
  private readonly roots: Readonly<Record<string, string>>;
  private opened: Promise<DropboxClient> | undefined;

  constructor(
    context: ProviderContext<DropboxConfig>,
    private readonly tuning: DropboxTuning,
  ) {
    this.siteName = context.siteName;
    this.config = context.config ?? {};
    this.roots = context.roots;
  }

  private open(): Promise<DropboxClient> {
    this.opened ??= (async () => {
      const credentials = parseToken(this.config.token ?? "", this.siteName);
      const bases = dropboxBases();
      const tokens = new AccessTokens(credentials, `${bases.api}/oauth2/token`, this.siteName);
      const client = await DropboxClient.open(this.siteName, bases, tokens, this.tuning.backoff);
      client.acting = await resolveActing(client, this.config);
      return client;
    })();
    // A failure is not remembered: a token or member fixed later is found.
    this.opened.catch(() => {
      this.opened = undefined;
    });
    return this.opened;
  }

  isActive(): Promise<ActiveCheck> {
    return activeWithin(ACTIVE_TIMEOUT_MS, "the token and the team settings", async (at) => {
      const client = await this.open();
      at("the account");
      await client.call((dbx) => dbx.usersGetCurrentAccount());
      const roots = [...new Set(Object.values(this.roots))];
      if (roots.length === 0)
        return { active: false, reason: "roots is not set (the site's folder on Dropbox)" };
      for (const root of roots) {
        at(`the root ${root}`);
        const found = await this.stat(root);
        if (!found) return { active: false, reason: `the root ${root} does not exist on Dropbox` };
        if (!found.isDirectory) return { active: false, reason: `the root ${root} is a file` };
      }
      return { active: true };
    });
  }

  rootPaths(): Readonly<Record<string, string>> {
    return this.roots;
  }

  private async metadata(remote: string, signal?: AbortSignal): Promise<files.MetadataReference | null> {
    const client = await this.open();
    const at = dropboxPath(remote);
    try {
      return await client.call((dbx) => dbx.filesGetMetadata({ path: at }), signal ? { signal } : {});
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const fault = faultOf(error);
      if (hasTags(fault, "path", "not_found") || hasTags(fault, "path", "not_folder")) return null;
      throw client.fail(error, `reading ${remote}`);
    }
  }

  async stat(remote: string): Promise<FileStat | null> {
    if (dropboxPath(remote) === "") return { size: 0, mtimeMs: 0, isDirectory: true };
    const found = await this.metadata(remote);
    if (!found) return null;
    if (found[".tag"] !== "file") return { size: 0, mtimeMs: 0, isDirectory: true };
    const file = found as files.FileMetadataReference;
    return { size: file.size, mtimeMs: Date.parse(file.client_modified), isDirectory: false };
  }

  async list(dir: string): Promise<string[]> {
    const client = await this.open();
    const names: string[] = [];
    try {
      let page = await client.call((dbx) => dbx.filesListFolder({ path: dropboxPath(dir), limit: 2000 }));
      names.push(...page.entries.map((entry) => entry.name));
      while (page.has_more) {
        const { cursor } = page;
        page = await client.call((dbx) => dbx.filesListFolderContinue({ cursor }));
        names.push(...page.entries.map((entry) => entry.name));
      }
    } catch (error) {
      const fault = faultOf(error);
      if (hasTags(fault, "path", "not_found") || hasTags(fault, "path", "not_folder")) return [];
      throw client.fail(error, `listing ${dir}`);
    }
    return names.sort();
  }

  async mkdirs(dir: string): Promise<void> {
    const at = dropboxPath(dir);
    if (at === "") return;
    const client = await this.open();
    // Dropbox makes the missing parents itself.
    try {
      await client.call((dbx) => dbx.filesCreateFolderV2({ path: at, autorename: false }));
    } catch (error) {
      const fault = faultOf(error);
      if (hasTags(fault, "path", "conflict", "folder")) return;
      if (hasTags(fault, "path", "conflict"))
        throw new ProviderError(`a file is in the way of the folder ${dir} on site ${this.siteName}`, false, {
          cause: error,
        });
      throw client.fail(error, `creating folder ${dir}`);
    }
  }

  async upload(local: string, remote: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    const client = await this.open();
    const source = await statLocal(local).catch((error: unknown) => {
      // A missing source is permanent (providers/README.md, rule 4): waiting does not bring it back.
      throw new ProviderError(
        (error as { code?: unknown }).code === "ENOENT"
          ? `${local} is missing on this machine, so it cannot be uploaded to site ${this.siteName}`
          : `cannot read ${local} on this machine to upload it to site ${this.siteName}: ${(error as Error).message}`,
        false,
        { cause: error },
      );
    });
    // The engine's fresh temporary name needs no look first: Dropbox's "add" refuses whatever is there.
    // Otherwise look, since "add" quietly accepts an identical file.
    if (!options.direct) {
      const existing = await this.metadata(remote, options.signal);
      if (existing?.[".tag"] === "folder")
        throw new ProviderError(
          `${remote} is a folder on site ${this.siteName}; not uploading ${local}`,
          false,
        );
      if (existing && !options.overwrite)
        throw new ProviderError(`${remote} already exists on site ${this.siteName}`, false);
    }
    const job = {
      local,
      remote: dropboxPath(remote),
      size: source.size,
      mtimeMs: source.mtimeMs,
      overwrite: options.overwrite === true,
    };
    return uploadFile(client, job, options, this.tuning);
  }

  async download(remote: string, local: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    const client = await this.open();
    return streamDownload(client, dropboxPath(remote), local, options);
  }

  async rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    const client = await this.open();
    const doing = `renaming ${from} to ${to}`;
    const move = () =>
      client.call((dbx) =>
        dbx.filesMoveV2({ from_path: dropboxPath(from), to_path: dropboxPath(to), autorename: false }),
      );
    try {
      await move();
      return;
    } catch (error) {
      const fault = faultOf(error);
      if (hasTags(fault, "from_lookup", "not_found"))
        throw new ProviderError(`${from} is missing on site ${this.siteName}; not ${doing}`, false, {
          cause: error,
        });
      if (!hasTags(fault, "to", "conflict")) throw client.fail(error, doing);
      if (!options.overwrite || !hasTags(fault, "to", "conflict", "file"))
        throw new ProviderError(`${to} already exists on site ${this.siteName}; not ${doing}`, false, {
          cause: error,
        });
    }
    // Dropbox has no atomic replace: the old target goes first, then the file takes its place.
    await this.remove(to);
    await move().catch((error: unknown) => {
      throw client.fail(error, doing);
    });
  }

  async remove(remote: string): Promise<void> {
    const client = await this.open();
    try {
      await client.call((dbx) => dbx.filesDeleteV2({ path: dropboxPath(remote) }));
    } catch (error) {
      // Gone already: what was asked is done.
      if (hasTags(faultOf(error), "path_lookup", "not_found")) return;
      throw client.fail(error, `removing ${remote}`);
    }
  }

  async close(): Promise<void> {
    this.opened = undefined;
  }
}

/** A provider with other chunk sizes or pauses (tests); the factory uses DEFAULT_TUNING. */
export function createDropboxProvider(
  context: ProviderContext<DropboxConfig>,
  tuning: Partial<DropboxTuning> = {},
): SiteProvider {
  return new DropboxProvider(context, { ...DEFAULT_TUNING, ...tuning });
}

export const dropboxFactory: ProviderFactory<DropboxConfig> = {
  kind: "dropbox",
  batchLimit: BATCH_LIMITS.dropbox,
  create: (context) => createDropboxProvider(context),
};
