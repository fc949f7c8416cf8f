/**
 * Shared set-up of the store suite's engine-facing tests (claims, the work
 * queue, state writes): a store with one project, publishes of one or more
 * files with their initial site states, and two stores opened on one database
 * (two processes, or two machines, sharing a store).
 */
import path from "node:path";
import { loadDefaultAnatomy } from "../../lib/anatomy/defaults.js";
import { newId } from "../../lib/store/ids.js";
import { openPostgresStore } from "../../lib/store/postgres/index.js";
import { openSqliteStore } from "../../lib/store/sqlite/index.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { Store } from "../../lib/store/types.js";
import { tempDir } from "../helpers/tmp.js";
import { sharedPostgres } from "./stores.js";

export const P = "Proj";

export const FOLDERS = ["/assets/characters/hero", "/shots/sh010"] as const;

export interface ProjectStore {
  store: Store;
  /** Folder path -> id, for every path of FOLDERS. */
  folders: Map<string, string>;
}

/** A fresh store holding project P with the folders of FOLDERS. */
export async function storeWithProject(open: () => Promise<Store>): Promise<ProjectStore> {
  const store = await open();
  await store.importProject({
    name: P,
    code: "PR",
    anatomy: loadDefaultAnatomy(),
    folders: FOLDERS.map((folder) => ({ path: folder, tasks: [{ name: "modeling", type: "Modeling" }] })),
  });
  const folders = new Map<string, string>();
  for (const folderPath of FOLDERS) {
    const folder = await store.getFolderByPath(P, folderPath);
    if (!folder) throw new Error(`import did not create ${folderPath}`);
    folders.set(folderPath, folder.id);
  }
  return { store, folders };
}

export interface Published {
  representationId: string;
  versionId: string;
  fileIds: string[];
}

export interface PublishOptions {
  /** Site -> the status every file starts with there (OK files get their size). */
  sites?: Record<string, SyncStatus>;
  /** Site -> priority of its record. */
  priorities?: Record<string, number>;
  files?: number;
  folder?: (typeof FOLDERS)[number];
  product?: string;
  version?: number;
  name?: string;
}

/** Registers one representation (a new product unless `product` names one already published). */
export async function publish(ps: ProjectStore, options: PublishOptions = {}): Promise<Published> {
  const folderId = ps.folders.get(options.folder ?? FOLDERS[0]) as string;
  const version = options.version ?? 1;
  const name = options.name ?? "ma";
  const fileIds = Array.from({ length: options.files ?? 1 }, () => newId());
  const representationId = newId();
  const versionId = newId();
  await ps.store.registerPublish(P, {
    product: {
      folderId,
      name: options.product ?? `workfile${newId().slice(0, 8)}`,
      productType: "workfile",
      productBaseType: "workfile",
    },
    version: { id: versionId, version, taskId: null, author: "tester" },
    representation: {
      id: representationId,
      name,
      context: { ext: name, version },
      files: fileIds.map((id, index) => ({
        id,
        name: `f${index}.${name}`,
        path: `{root[work]}/${P}/${representationId}/f${index}.${name}`,
        size: 10,
        hash: `f${index},${name}|1|10`,
        hashType: "op3",
      })),
    },
    links: [],
    siteStates: Object.entries(options.sites ?? {}).map(([site, status]) => ({
      site,
      priority: options.priorities?.[site],
      files: fileIds.map((fileId) => ({ fileId, status, size: status === SyncStatus.OK ? 10 : 0 })),
    })),
  });
  return { representationId, versionId, fileIds };
}

/** `count` stores opened on one new database, as processes (or machines) sharing it would. */
export const OPEN_SHARED: Record<string, (count: number) => Promise<Store[]>> = {
  SQLite: async (count) => {
    const file = path.join(tempDir(), "sitesync.db");
    return Array.from({ length: count }, () => openSqliteStore(file));
  },
  PostgreSQL: async (count) => {
    const url = await (await sharedPostgres()).newDatabase();
    const stores: Store[] = [];
    for (let i = 0; i < count; i++) stores.push(await openPostgresStore({ url, source: "test" }));
    return stores;
  },
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
