/**
 * The store contract (docs/adding-a-store.md), run against every store in STORES: catalog import and
 * publish registration, the server's merge rules, the status query and the work query.
 * SQLite's own behaviour (schema migrations, WAL) is tested in sqlite.test.ts.
 */
import { describe, expect, it } from "vitest";
import { loadDefaultAnatomy } from "../../lib/anatomy/defaults.js";
import { newId } from "../../lib/store/ids.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { PublishRecord, Store } from "../../lib/store/types.js";
import { STORES } from "./stores.js";

const P = "Proj";

async function storeWithProject(
  open: () => Promise<Store>,
): Promise<{ store: Store; folderId: string; taskId: string }> {
  const store = await open();
  await store.importProject({
    name: P,
    code: "PR",
    anatomy: loadDefaultAnatomy(),
    folders: [{ path: "/assets/characters/hero", tasks: [{ name: "modeling", type: "Modeling" }] }],
  });
  const folder = await store.getFolderByPath(P, "/assets/characters/hero");
  const task = folder && (await store.getTask(P, folder.id, "modeling"));
  if (!folder || !task) throw new Error("import did not create the folder and task");
  return { store, folderId: folder.id, taskId: task.id };
}

function publishRecord(
  folderId: string,
  taskId: string,
  version: number,
  sites: Record<string, number>,
): PublishRecord {
  const fileId = newId();
  return {
    product: { folderId, name: "workfileModeling", productType: "workfile", productBaseType: "workfile" },
    version: { id: newId(), version, taskId, author: "tester" },
    representation: {
      id: newId(),
      name: "ma",
      context: { ext: "ma", version },
      files: [
        {
          id: fileId,
          name: "a.ma",
          path: `{root[work]}/Proj/v${version}/a.ma`,
          size: 10,
          hash: "a,ma|1|10",
          hashType: "op3",
        },
      ],
    },
    links: [],
    siteStates: Object.entries(sites).map(([site, status]) => ({
      site,
      files: [{ fileId, status: status as SyncStatus, size: status === SyncStatus.OK ? 10 : 0 }],
    })),
  };
}

describe.each(STORES)("$name store", ({ open }) => {
  it("imports a project idempotently, creating parent folders once", async () => {
    const { store, folderId, taskId } = await storeWithProject(open);
    await store.importProject({
      name: P,
      code: "PR",
      anatomy: loadDefaultAnatomy(),
      folders: [{ path: "/assets/characters/hero", tasks: [{ name: "modeling", type: "Modeling" }] }],
    });
    const folder = await store.getFolderByPath(P, "/assets/characters/hero");
    expect(folder?.id).toBe(folderId);
    expect((await store.getTask(P, folderId, "modeling"))?.id).toBe(taskId);
    const parent = await store.getFolderByPath(P, "/assets/characters");
    expect(parent?.id).toBe(folder?.parentId);
    expect(parent?.folderType).toBe("Folder");
    await store.close();
  });

  it("registers a publish with its initial state and finds the last non-hero version", async () => {
    const { store, folderId, taskId } = await storeWithProject(open);
    const v1 = publishRecord(folderId, taskId, 1, { studio: SyncStatus.OK, remote: SyncStatus.QUEUED });
    const { productId } = await store.registerPublish(P, v1);
    const v2 = publishRecord(folderId, taskId, 2, { studio: SyncStatus.OK });
    await store.registerPublish(P, v2);
    const hero = publishRecord(folderId, taskId, -2, { studio: SyncStatus.OK });
    await store.registerPublish(P, hero);
    const last = await store.getLastVersions(P, [productId]);
    expect(last.get(productId)?.version).toBe(2);
    const states = await store.getSiteStates(P, [v1.representation.id]);
    expect(states.map((s) => [s.site, s.status])).toEqual([
      ["remote", SyncStatus.QUEUED],
      ["studio", SyncStatus.OK],
    ]);
    await store.close();
  });

  it("rejects a second version with the same number and writes nothing of it", async () => {
    const { store, folderId, taskId } = await storeWithProject(open);
    await store.registerPublish(P, publishRecord(folderId, taskId, 1, { studio: SyncStatus.OK }));
    const clash = publishRecord(folderId, taskId, 1, { studio: SyncStatus.OK });
    await expect(store.registerPublish(P, clash)).rejects.toThrow(/already has version 1/);
    expect(await store.getRepresentations(P, { ids: [clash.representation.id] })).toEqual([]);
    await store.close();
  });

  it("applies the server's merge rules: reset rebuilds files, message and retries clear when not sent", async () => {
    const { store, folderId, taskId } = await storeWithProject(open);
    const record = publishRecord(folderId, taskId, 1, { studio: SyncStatus.OK });
    await store.registerPublish(P, record);
    const id = record.representation.id;
    const fileId = record.representation.files[0]?.id as string;
    await store.setSiteState(P, id, "remote", {
      files: [{ fileId, status: SyncStatus.QUEUED }],
      priority: 90,
    });
    await store.setSiteState(P, id, "remote", {
      files: [{ fileId, status: SyncStatus.QUEUED, retries: 2, message: "network down" }],
    });
    let [state] = await store.getSiteStates(P, [id], ["remote"]);
    expect(state?.priority).toBe(90);
    expect(state?.files[0]).toMatchObject({ retries: 2, message: "network down" });
    await store.setSiteState(P, id, "remote", { files: [{ fileId, status: SyncStatus.OK, size: 10 }] });
    [state] = await store.getSiteStates(P, [id], ["remote"]);
    expect(state?.status).toBe(SyncStatus.OK);
    expect(state?.files[0]).toMatchObject({ retries: 0, message: null, size: 10 });
    await store.setSiteState(P, id, "remote", { files: [], reset: true });
    [state] = await store.getSiteStates(P, [id], ["remote"]);
    expect(state?.status).toBe(SyncStatus.NA);
    await store.removeSiteState(P, id, "remote");
    expect(await store.getSiteStates(P, [id], ["remote"])).toEqual([]);
    await store.close();
  });

  it("answers the status query with filters, sort and paging, binding site names as values", async () => {
    const { store, folderId, taskId } = await storeWithProject(open);
    const odd = "x' OR '1'='1";
    for (let v = 1; v <= 5; v++) {
      const sites: Record<string, number> =
        v % 2 ? { studio: SyncStatus.OK, [odd]: SyncStatus.QUEUED } : { studio: SyncStatus.OK };
      await store.registerPublish(P, publishRecord(folderId, taskId, v, sites));
    }
    const queued = await store.queryState(P, {
      localSite: "studio",
      remoteSite: odd,
      localStatusFilter: [SyncStatus.OK],
      remoteStatusFilter: [SyncStatus.QUEUED],
      sortBy: "version",
      sortDesc: true,
    });
    expect(queued.total).toBe(3);
    expect(queued.representations.map((r) => r.version)).toEqual([5, 3, 1]);
    expect(queued.representations[0]?.remoteStatus.status).toBe(SyncStatus.QUEUED);
    expect(queued.representations[0]?.localStatus).toMatchObject({
      status: SyncStatus.OK,
      size: 10,
      totalSize: 10,
    });
    const page2 = await store.queryState(P, {
      localSite: "studio",
      remoteSite: odd,
      sortBy: "version",
      page: 2,
      pageLength: 2,
    });
    expect(page2.total).toBe(5);
    expect(page2.representations.map((r) => r.version)).toEqual([3, 4]);
    const none = await store.queryState(P, {
      localSite: "studio",
      remoteSite: "nowhere",
      remoteStatusFilter: [SyncStatus.NA],
    });
    expect(none.total).toBe(5);
    expect(none.representations[0]?.files[0]?.remoteStatus.status).toBe(SyncStatus.NA);
    const byProduct = await store.queryState(P, {
      localSite: "studio",
      remoteSite: odd,
      productFilter: "MODELING",
      versionFilter: 4,
    });
    expect(byProduct.representations.map((r) => r.version)).toEqual([4]);
    await store.close();
  });

  it("answers the download work query ordered by priority and limited to a batch", async () => {
    const { store, folderId, taskId } = await storeWithProject(open);
    const ids: string[] = [];
    for (let v = 1; v <= 4; v++) {
      const record = publishRecord(folderId, taskId, v, { studio: SyncStatus.OK });
      await store.registerPublish(P, record);
      ids.push(record.representation.id);
      const fileId = record.representation.files[0]?.id as string;
      const priority = [50, 90, 10, 70][v - 1] as number;
      await store.setSiteState(P, record.representation.id, "ws", {
        files: [{ fileId, status: SyncStatus.QUEUED }],
        priority,
      });
    }
    const batch = await store.queryState(P, {
      localSite: "ws",
      remoteSite: "studio",
      localStatusFilter: [SyncStatus.QUEUED],
      remoteStatusFilter: [SyncStatus.OK],
      sortBy: "priority",
      sortDesc: true,
      pageLength: 2,
    });
    expect(batch.total).toBe(4);
    expect(batch.representations.map((r) => r.version)).toEqual([2, 4]);
    expect(batch.representations.map((r) => r.localStatus.priority)).toEqual([90, 70]);
    await store.close();
  });
});
