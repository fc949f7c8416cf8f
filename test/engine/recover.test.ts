import os from "node:os";
import { describe, expect, it } from "vitest";
import { newId } from "../../lib/store/ids.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { FileStateUpdate, Store } from "../../lib/store/types.js";
import { artistSettings, engineStudio } from "../helpers/engine.js";

type Sites = Record<string, SyncStatus[]>;

/** Registers a representation of as many files as each site has statuses; returns its id and file ids. */
async function register(store: Store, folderId: string, name: string, sites: Sites) {
  const count = Object.values(sites)[0]?.length ?? 0;
  const fileIds = Array.from({ length: count }, () => newId());
  const representationId = newId();
  await store.registerPublish("Proj", {
    product: { folderId, name, productType: "render", productBaseType: "render" },
    version: { id: newId(), version: 1, taskId: null, author: "tester" },
    representation: {
      id: representationId,
      name: "exr",
      context: { ext: "exr", version: 1 },
      files: fileIds.map((id, i) => ({
        id,
        name: `${name}.${i}.exr`,
        path: `{root[work]}/Proj/${name}/${name}.${i}.exr`,
        size: 1,
        hash: `${name}${i}`,
        hashType: "op3",
      })),
    },
    links: [],
    siteStates: Object.entries(sites).map(([site, statuses]) => ({
      site,
      files: statuses.map(
        (status, i): FileStateUpdate => ({ fileId: fileIds[i] as string, status, retries: 1 }),
      ),
    })),
  });
  return { representationId, fileIds };
}

const { IN_PROGRESS, QUEUED, FAILED, OK } = SyncStatus;

describe("start-up recovery", () => {
  it("walks the pair's records page by page and requeues every file left IN_PROGRESS without a live claim", async () => {
    const studio = await engineStudio({ settings: (roots) => artistSettings(roots) });
    const context = await studio.open();
    const { store } = context;
    const folder = await store.getFolderByPath("Proj", "/assets/characters/hero");
    if (!folder) throw new Error("the project has no hero folder");

    // Ten interrupted downloads: more than two pages of 4.
    const downloads = [];
    for (let i = 0; i < 10; i++)
      downloads.push(
        await register(store, folder.id, `dl${i}`, { studio: [OK, OK], artist1: [IN_PROGRESS, QUEUED] }),
      );
    // A file left IN_PROGRESS beside a failed one: the record's status is FAILED.
    const besideFailed = await register(store, folder.id, "failed", {
      studio: [OK, OK],
      artist1: [FAILED, IN_PROGRESS],
    });
    // An interrupted upload: the remote site holds the IN_PROGRESS record.
    const upload = await register(store, folder.id, "up", { artist1: [OK], studio: [IN_PROGRESS] });
    // Another live process is moving this one: left alone.
    const live = await register(store, folder.id, "live", { studio: [OK], artist1: [IN_PROGRESS] });
    await store.claimFiles("Proj", live.representationId, "artist1", live.fileIds, "elsewhere/1/x", 60_000);
    // A site outside this workstation's pair: not this process's business.
    const other = await register(store, folder.id, "other", { studio: [OK], backup: [IN_PROGRESS] });
    // A dead process of this host held the downloads' claims.
    await store.claimFiles(
      "Proj",
      downloads[0]?.representationId as string,
      "artist1",
      downloads[0]?.fileIds ?? [],
      `${os.hostname()}/999999/dead`,
      60_000,
    );

    const { engine } = await studio.engine();
    expect(await engine.recover({ pageSize: 4 })).toEqual({ releasedOwners: 1, requeued: 12 });

    const statuses = async (id: string, site: string) =>
      (await store.getSiteStates("Proj", [id], [site]))[0]?.files.map((f) => [f.status, f.retries]);
    for (const d of downloads)
      expect(await statuses(d.representationId, "artist1")).toEqual([
        [QUEUED, 1],
        [QUEUED, 1],
      ]);
    expect(await statuses(besideFailed.representationId, "artist1")).toEqual([
      [FAILED, 1],
      [QUEUED, 1],
    ]);
    expect(await statuses(upload.representationId, "studio")).toEqual([[QUEUED, 1]]);
    expect(await statuses(live.representationId, "artist1")).toEqual([[IN_PROGRESS, 1]]);
    expect(await statuses(other.representationId, "backup")).toEqual([[IN_PROGRESS, 1]]);
    // Nothing is left to do on a second start.
    expect(await engine.recover({ pageSize: 4 })).toEqual({ releasedOwners: 0, requeued: 0 });
    await studio.closeAll();
  });
});
