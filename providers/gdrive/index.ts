/**
 * The `gdrive` provider: Google Drive (API v3, googleapis) with a service
 * account, as AYON's gdrive provider. Site paths are `/My Drive/...` or
 * `/<shared drive>/...` (paths.ts, which lists a folder once and keeps the
 * listing up to date with what this provider does); a file that fits in one
 * chunk is uploaded in one request (multipart.ts), a bigger one in a
 * resumable session (upload.ts), both checked against Drive's md5 and size,
 * and what an upload made is remembered, so the engine's stat and rename of
 * it cost no lookup; every request is paced per site and
 * retried while Google rate-limits it (pacer.ts, client.ts). googleapis is
 * loaded on the first request, so registering the provider costs nothing.
 * SITESYNC_GDRIVE_API_URL points it at another base URL (client.ts).
 */
import { stat as statLocal } from "node:fs/promises";
import { currentPlatform } from "../../lib/anatomy/roots.js";
import { ProviderError } from "../../lib/errors.js";
import type { GdriveSettings } from "../../lib/settings/schema.js";
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
import { findCredentials, readServiceAccount } from "./auth.js";
import { DriveClient, type DriveItem, ITEM_FIELDS } from "./client.js";
import { streamDownload } from "./download.js";
import { multipartUpload } from "./multipart.js";
import { pacerFor } from "./pacer.js";
import { DriveTree } from "./paths.js";
import { FOLDER_MIME } from "./query.js";
import { resumableUpload } from "./upload.js";

type GdriveConfig = Partial<GdriveSettings>;

const MiB = 1024 * 1024;
/** How long isActive waits for Drive before calling the site unreachable. */
const ACTIVE_TIMEOUT_MS = 20_000;

class GdriveProvider implements SiteProvider {
  readonly kind = "gdrive";
  // Drive gives md5, not sha256: sha256 is computed here on the bytes as they pass.
  readonly capabilities: ProviderCapabilities = { hashes: ["sha256"], resumableUploads: true };
  readonly siteName: string;
  private readonly config: GdriveConfig;
  private readonly roots: Readonly<Record<string, string>>;
  private opened: Promise<{ client: DriveClient; tree: DriveTree }> | undefined;

  constructor(context: ProviderContext<GdriveConfig>) {
    this.siteName = context.siteName;
    this.config = context.config ?? {};
    this.roots = context.roots;
  }

  private open(): Promise<{ client: DriveClient; tree: DriveTree }> {
    this.opened ??= (async () => {
      const platform = currentPlatform();
      const found = findCredentials(this.config.credentials_url?.[platform] ?? [], platform);
      if ("reason" in found)
        throw new ProviderError(`gdrive site "${this.siteName}": ${found.reason}`, false);
      const account = readServiceAccount(found.path, this.siteName);
      const pacer = pacerFor(this.siteName, this.config.requests_per_second ?? 10);
      const client = await DriveClient.open(this.siteName, account, pacer);
      return { client, tree: new DriveTree(client) };
    })();
    // A failure is not remembered: credentials put in place later are found.
    this.opened.catch(() => {
      this.opened = undefined;
    });
    return this.opened;
  }

  isActive(): Promise<ActiveCheck> {
    return activeWithin(ACTIVE_TIMEOUT_MS, "the credentials", async (at) => {
      const { tree } = await this.open();
      await tree.checkAccess();
      const roots = [...new Set(Object.values(this.roots))];
      if (roots.length === 0)
        return { active: false, reason: "roots is not set (the site's folder on the drive)" };
      for (const root of roots) {
        at(`the root ${root}`);
        // A root made in Drive since its folder was listed is not "missing": a miss is asked again.
        const item = await tree.findSurely(root);
        if (!item) return { active: false, reason: `the root ${root} does not exist on the drive` };
        if (item.mimeType !== FOLDER_MIME) return { active: false, reason: `the root ${root} is a file` };
      }
      return { active: true };
    });
  }

  rootPaths(): Readonly<Record<string, string>> {
    return this.roots;
  }

  async stat(remote: string): Promise<FileStat | null> {
    const { tree } = await this.open();
    const item = await tree.find(remote);
    return item && statOf(item);
  }

  async list(dir: string): Promise<string[]> {
    const { tree } = await this.open();
    return tree.names(dir);
  }

  async mkdirs(dir: string): Promise<void> {
    const { tree } = await this.open();
    await tree.folder(dir, true);
  }

  async upload(local: string, remote: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    const { client, tree } = await this.open();
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
    const doing = `uploading ${local} to ${remote}`;
    const existing = await tree.find(remote, options.signal);
    if (existing?.mimeType === FOLDER_MIME)
      throw new ProviderError(`${remote} is a folder on site ${this.siteName}; not ${doing}`, false);
    if (existing && !options.overwrite)
      throw new ProviderError(`${remote} already exists on site ${this.siteName}`, false);
    const { parentId, name } = await tree.parentOf(remote, doing, options.signal);
    const chunk = Math.round((this.config.chunk_size_mib ?? 8) * 4) * (MiB / 4);
    const target = { parentId, name, remote, ...(existing ? { existingId: existing.id } : {}) };
    const failed = (error: unknown) => {
      // Whether Drive made or changed the file is not known: the name is asked about next time.
      tree.doubt(parentId, name);
      return existing ? tree.staleItem(error, parentId) : tree.staleFolder(error);
    };
    // One request for a file that fits in one chunk; a session to resume from otherwise.
    if (source.size <= chunk && options.resumeFrom === undefined) {
      try {
        const { result, item } = await multipartUpload(client, local, target, source, options);
        tree.remember(parentId, item);
        return result;
      } catch (error) {
        throw failed(error);
      }
    }
    try {
      const { file, ...result } = await resumableUpload(client, local, target, source, chunk, options);
      // The file Drive made or gave new content (a resumed session's too: this process never asked for it).
      if (file.id && file.name && file.mimeType) tree.remember(parentId, file as DriveItem);
      else tree.doubt(parentId, name);
      return result;
    } catch (error) {
      throw failed(error);
    }
  }

  async download(remote: string, local: string, options: TransferOptions = {}): Promise<TransferResult> {
    options.signal?.throwIfAborted();
    const { client, tree } = await this.open();
    const item = await tree.findSurely(remote, options.signal);
    if (!item) throw new ProviderError(`${remote} is missing on site ${this.siteName}`, false);
    if (item.mimeType === FOLDER_MIME)
      throw new ProviderError(
        `${remote} is a folder on site ${this.siteName}; only files are downloaded`,
        false,
      );
    const { parentId } = await tree.parentOf(remote, `downloading ${remote}`);
    return streamDownload(client, item, remote, local, options).catch((error: unknown) => {
      // Removed or replaced on another machine since the folder was listed.
      throw tree.staleItem(error, parentId);
    });
  }

  async rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<void> {
    const { client, tree } = await this.open();
    const doing = `renaming ${from} to ${to}`;
    const item = await tree.findSurely(from);
    if (!item) throw new ProviderError(`${from} is missing on site ${this.siteName}; not ${doing}`, false);
    const target = await tree.find(to);
    if (target && !options.overwrite)
      throw new ProviderError(`${to} already exists on site ${this.siteName}; not ${doing}`, false);
    const source = await tree.parentOf(from, doing);
    const { parentId, name } = await tree.parentOf(to, doing);
    // Drive has no atomic replace: the old target goes first, then the file takes its place.
    if (target) await this.deleteItem(client, tree, parentId, target, `removing ${to} to replace it`);
    const moved = await client
      .call(doing, (drive, requestOptions) =>
        drive.files.update(
          {
            fileId: item.id,
            supportsAllDrives: true,
            fields: ITEM_FIELDS,
            // The file keeps its time (AYON's op3 hash includes it); Drive may count a rename as a change.
            requestBody: { name, ...(item.modifiedTime ? { modifiedTime: item.modifiedTime } : {}) },
            ...(source.parentId !== parentId ? { addParents: parentId, removeParents: source.parentId } : {}),
          },
          requestOptions,
        ),
      )
      .catch((error: unknown) => {
        tree.doubt(parentId, name);
        throw tree.staleItem(error, source.parentId);
      });
    tree.forget(source.parentId, item);
    tree.remember(parentId, { ...item, ...(moved as Partial<DriveItem>), name });
  }

  async remove(remote: string): Promise<void> {
    const { client, tree } = await this.open();
    const item = await tree.find(remote);
    if (!item) return;
    const { parentId } = await tree.parentOf(remote, `removing ${remote}`);
    await this.deleteItem(client, tree, parentId, item, `removing ${remote}`);
  }

  private async deleteItem(
    client: DriveClient,
    tree: DriveTree,
    parentId: string,
    item: DriveItem,
    doing: string,
  ): Promise<void> {
    await client
      .call(doing, (drive, options) =>
        drive.files.delete({ fileId: item.id, supportsAllDrives: true }, options),
      )
      .catch((error: unknown) => {
        // Gone meanwhile: what was asked is done.
        if (error instanceof ProviderError && /^not found/.test(error.message)) return;
        throw error;
      });
    tree.forget(parentId, item);
  }

  async close(): Promise<void> {
    this.opened = undefined;
  }
}

function statOf(item: DriveItem): FileStat {
  const isDirectory = item.mimeType === FOLDER_MIME;
  return {
    size: isDirectory ? 0 : Number(item.size ?? 0),
    mtimeMs: item.modifiedTime ? Date.parse(item.modifiedTime) : 0,
    isDirectory,
  };
}

export const gdriveFactory: ProviderFactory<GdriveConfig> = {
  kind: "gdrive",
  batchLimit: BATCH_LIMITS.gdrive,
  create: (context) => new GdriveProvider(context),
};
