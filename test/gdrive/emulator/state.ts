// The emulator's in-memory Drive: files by id (folders are files with the folder MIME type), the shared
// drives, and the resource shape Drive v3 returns for a file.
import { createHash, randomBytes } from "node:crypto";

export const FOLDER_MIME = "application/vnd.google-apps.folder";

export interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  /** Set for items in a shared drive; undefined in My Drive. */
  driveId: string | undefined;
  size: number;
  md5Checksum: string;
  content: Buffer;
  trashed: boolean;
  createdTime: string;
  modifiedTime: string;
}

export interface SharedDrive {
  id: string;
  name: string;
  createdTime: string;
}

/** Ids look like Drive's: 33 URL-safe characters for files, 19 for shared drives ("0A..."). */
export function newId(kind: "file" | "drive"): string {
  const raw = randomBytes(32).toString("base64url").replace(/[-_]/g, "x");
  return kind === "drive" ? `0A${raw.slice(0, 17)}` : `1${raw.slice(0, 32)}`;
}

export class DriveState {
  readonly files = new Map<string, DriveFile>();
  readonly drives = new Map<string, SharedDrive>();
  readonly myDriveRootId = newId("file");

  constructor() {
    // My Drive's root folder, so `files.get("root")` answers with its id as Drive does.
    const now = new Date().toISOString();
    this.files.set(this.myDriveRootId, {
      id: this.myDriveRootId,
      name: "My Drive",
      mimeType: FOLDER_MIME,
      parents: [],
      driveId: undefined,
      size: 0,
      md5Checksum: "",
      content: Buffer.alloc(0),
      trashed: false,
      createdTime: now,
      modifiedTime: now,
    });
  }

  addSharedDrive(name: string): string {
    const id = newId("drive");
    this.drives.set(id, { id, name, createdTime: new Date().toISOString() });
    return id;
  }

  /** A folder id (My Drive's root, a shared drive's root, or a folder), and the drive it is in. */
  container(id: string): { driveId: string | undefined } | undefined {
    if (id === this.myDriveRootId) return { driveId: undefined };
    if (this.drives.has(id)) return { driveId: id };
    const file = this.files.get(id);
    if (file === undefined || file.mimeType !== FOLDER_MIME) return undefined;
    return { driveId: file.driveId };
  }

  put(fields: {
    name: string;
    mimeType: string;
    parent: string;
    driveId: string | undefined;
    content: Buffer;
  }) {
    const now = new Date().toISOString();
    const file: DriveFile = {
      id: newId("file"),
      name: fields.name,
      mimeType: fields.mimeType,
      parents: [fields.parent],
      driveId: fields.driveId,
      size: 0,
      md5Checksum: "",
      content: Buffer.alloc(0),
      trashed: false,
      createdTime: now,
      modifiedTime: now,
    };
    setContent(file, fields.content);
    this.files.set(file.id, file);
    return file;
  }

  /** Removes a file and, for a folder, everything under it (files.delete skips the trash). */
  remove(id: string): void {
    this.files.delete(id);
    for (const file of [...this.files.values()]) if (file.parents.includes(id)) this.remove(file.id);
  }
}

/** md5s already computed as the bytes arrived (a resumable session's), by the content they are of. */
const knownMd5 = new WeakMap<Buffer, string>();

/** Records that `content`'s md5 is `md5`, so storing it costs no second pass over the bytes. */
export function hashedContent(content: Buffer, md5: string): Buffer {
  knownMd5.set(content, md5);
  return content;
}

export function setContent(file: DriveFile, content: Buffer): void {
  file.content = content;
  file.size = content.length;
  file.md5Checksum = knownMd5.get(content) ?? createHash("md5").update(content).digest("hex");
  file.modifiedTime = new Date().toISOString();
}

/** The full v3 resource; `fields` projection picks from it. Folders have no size or md5Checksum. */
export function fileResource(file: DriveFile): Record<string, unknown> {
  const isFolder = file.mimeType === FOLDER_MIME;
  const resource: Record<string, unknown> = {
    kind: "drive#file",
    id: file.id,
    name: file.name,
    mimeType: file.mimeType,
    parents: [...file.parents],
    trashed: file.trashed,
    createdTime: file.createdTime,
    modifiedTime: file.modifiedTime,
  };
  if (file.driveId !== undefined) resource.driveId = file.driveId;
  if (!isFolder) {
    resource.size = String(file.size);
    resource.md5Checksum = file.md5Checksum;
  }
  return resource;
}

export function driveResource(drive: SharedDrive): Record<string, unknown> {
  return { kind: "drive#drive", id: drive.id, name: drive.name, createdTime: drive.createdTime };
}

/** drives.list's default drive fields when `fields` is not given. */
export function defaultDriveFields(drive: Record<string, unknown>): Record<string, unknown> {
  const { kind, id, name } = drive;
  return { kind, id, name };
}
