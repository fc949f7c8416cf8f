/**
 * A drive's root as a site path names it (drive-path.ts): My Drive's id, or
 * the one shared drive the service account sees by that exact name.
 */
import { ProviderError } from "../../lib/errors.js";
import type { DriveClient } from "./client.js";
import { type DriveRoot, MY_DRIVE } from "./drive-path.js";

export async function myDrive(client: DriveClient, signal?: AbortSignal): Promise<DriveRoot> {
  const root = await client.call(
    `opening ${MY_DRIVE}`,
    (drive, options) => drive.files.get({ fileId: "root", fields: "id", supportsAllDrives: true }, options),
    signal,
  );
  return { id: root.id ?? "root" };
}

export async function sharedDrive(
  client: DriveClient,
  name: string,
  signal?: AbortSignal,
): Promise<DriveRoot> {
  const seen: string[] = [];
  const matches: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.call(
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
      `site ${client.site}: ${matches.length} shared drives are named "${name}"; rename all but one`,
      false,
    );
  const visible = seen.length ? seen.map((s) => `"${s}"`).join(", ") : "none";
  throw new ProviderError(
    `site ${client.site}: no shared drive named "${name}" (paths start with "/${MY_DRIVE}/" or a shared drive's ` +
      `exact name); the service account ${client.account.email} sees these shared drives: ${visible}`,
    false,
  );
}

/** What a listing in this drive asks: a shared drive's needs `corpora: drive` and its id. */
export function listParams(root: DriveRoot) {
  return {
    supportsAllDrives: true,
    includeItemsFromAllDrives: true,
    ...(root.driveId ? { corpora: "drive", driveId: root.driveId } : {}),
  };
}
