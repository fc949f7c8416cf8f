/**
 * The status query's counts and folder-sorted pages, which the stores serve
 * from tables kept as states change (docs/adding-a-store.md "The status
 * query's kept tables"), against a brute-force computation from the store's
 * plain reads, after every kind of write: publishes, state changes, resets,
 * removes, a hero publish moving a representation to another folder, and
 * writes through a second store on the same database (another process).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { newId } from "../../lib/store/ids.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { StateCount, StateQuery, StateSortKey, Store } from "../../lib/store/types.js";
import { FOLDERS, OPEN_SHARED, P, type ProjectStore, publish, storeWithProject } from "./fixtures.js";

interface Truth {
  id: string;
  folder: string;
  product: string;
  version: number;
  name: string;
  states: Map<string, number>;
}

/** Every representation of P with its catalog names and its records' statuses, from plain reads. */
async function truth(store: Store): Promise<Truth[]> {
  const representations = [];
  for (let after = ""; ; ) {
    const page = await store.listRepresentations(P, { after, limit: 100 });
    representations.push(...page);
    const last = page.at(-1);
    if (page.length < 100 || !last) break;
    after = last.id;
  }
  const versions = new Map(
    (await store.getVersions(P, { ids: representations.map((r) => r.versionId) })).map((v) => [v.id, v]),
  );
  const products = new Map((await store.getProducts(P, {})).map((p) => [p.id, p]));
  const folders = new Map(
    (
      await store.getFolders(
        P,
        [...products.values()].map((p) => p.folderId),
      )
    ).map((f) => [f.id, f]),
  );
  const states = await store.getSiteStates(
    P,
    representations.map((r) => r.id),
  );
  return representations.map((r) => {
    const version = versions.get(r.versionId);
    const product = version && products.get(version.productId);
    const folder = product && folders.get(product.folderId);
    if (!version || !product || !folder) throw new Error(`representation ${r.id} has no catalog`);
    return {
      id: r.id,
      folder: folder.path,
      product: product.name,
      version: version.version,
      name: r.name,
      states: new Map(states.filter((s) => s.representationId === r.id).map((s) => [s.site, s.status])),
    };
  });
}

const statusOn = (t: Truth, site: string) => t.states.get(site) ?? SyncStatus.NA;

function matches(t: Truth, q: StateQuery): boolean {
  const contains = (text: string, part: string | undefined) =>
    part === undefined || text.toLowerCase().includes(part.toLowerCase());
  return (
    (q.representationIds === undefined || q.representationIds.includes(t.id)) &&
    contains(t.folder, q.folderFilter) &&
    contains(t.product, q.productFilter) &&
    (q.versionFilter === undefined || t.version === q.versionFilter) &&
    (q.representationNames === undefined || q.representationNames.includes(t.name)) &&
    (q.localStatusFilter === undefined ||
      q.localStatusFilter.includes(statusOn(t, q.localSite) as SyncStatus)) &&
    (q.remoteStatusFilter === undefined ||
      q.remoteStatusFilter.includes(statusOn(t, q.remoteSite) as SyncStatus))
  );
}

function expectedCounts(all: Truth[], q: StateQuery): StateCount[] {
  const counts = new Map<string, StateCount>();
  for (const t of all.filter((t) => matches(t, q))) {
    const l = statusOn(t, q.localSite) as SyncStatus;
    const r = statusOn(t, q.remoteSite) as SyncStatus;
    const found = counts.get(`${l},${r}`);
    if (found) found.count += 1;
    else counts.set(`${l},${r}`, { localStatus: l, remoteStatus: r, count: 1 });
  }
  return [...counts.values()].sort(
    (a, b) => a.localStatus - b.localStatus || a.remoteStatus - b.remoteStatus,
  );
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The ids of every match in the query's order: its key in its direction, then the id ascending. */
function expectedOrder(all: Truth[], q: StateQuery): string[] {
  const keys: Partial<Record<StateSortKey, (a: Truth, b: Truth) => number>> = {
    folder: (a, b) => byText(a.folder, b.folder),
    product: (a, b) => byText(a.product, b.product),
    localStatus: (a, b) => statusOn(a, q.localSite) - statusOn(b, q.localSite),
  };
  const compare = keys[q.sortBy ?? "folder"];
  if (!compare) throw new Error(`no brute-force order for ${q.sortBy}`);
  const sign = q.sortDesc ? -1 : 1;
  return all
    .filter((t) => matches(t, q))
    .sort((a, b) => sign * compare(a, b) || byText(a.id, b.id))
    .map((t) => t.id);
}

const SITE_PAIRS: Array<[string, string]> = [
  ["local", "studio"],
  ["studio", "local"],
  ["local", "sftp"],
  ["local", "local"],
  ["studio", "nowhere"],
];

const FILTERS: Array<Omit<StateQuery, "localSite" | "remoteSite">> = [
  {},
  { localStatusFilter: [SyncStatus.QUEUED] },
  { remoteStatusFilter: [SyncStatus.NA, SyncStatus.OK] },
  { localStatusFilter: [SyncStatus.FAILED, SyncStatus.OK], remoteStatusFilter: [SyncStatus.OK] },
  { folderFilter: "SH0" },
  { productFilter: "render" },
  { representationNames: ["exr"] },
  { versionFilter: 2 },
];

const SORTS: Array<{ sortBy: StateSortKey; sortDesc: boolean }> = [
  { sortBy: "folder", sortDesc: false },
  { sortBy: "folder", sortDesc: true },
  { sortBy: "product", sortDesc: false },
  { sortBy: "localStatus", sortDesc: true },
];

/** Every site pair, filter, sort and page of 4 against the brute force, read through `reader`. */
async function expectSameAsBruteForce(reader: Store, writer: Store): Promise<void> {
  const all = await truth(writer);
  for (const [localSite, remoteSite] of SITE_PAIRS) {
    for (const filter of FILTERS) {
      const q: StateQuery = { localSite, remoteSite, ...filter };
      const where = JSON.stringify(q);
      expect(await reader.countState(P, q), where).toEqual(expectedCounts(all, q));
      for (const sort of SORTS) {
        const order = expectedOrder(all, { ...q, ...sort });
        for (let page = 1; page <= Math.ceil(order.length / 4) + 1; page++) {
          const got = await reader.queryState(P, { ...q, ...sort, page, pageLength: 4 });
          expect(got.total, `${where} total`).toBe(order.length);
          const ids = got.representations.map((r) => r.representationId);
          expect(ids, `${where} ${JSON.stringify(sort)} page ${page}`).toEqual(
            order.slice((page - 1) * 4, page * 4),
          );
          for (const row of got.representations) {
            const t = all.find((x) => x.id === row.representationId) as Truth;
            expect(row.folder).toBe(t.folder);
            expect(row.localStatus.status).toBe(statusOn(t, localSite));
            expect(row.remoteStatus.status).toBe(statusOn(t, remoteSite));
          }
        }
      }
    }
  }
}

describe.each(Object.entries(OPEN_SHARED))(
  "%s store: counts and folder order kept as states change",
  (_, open) => {
    let ps: ProjectStore;
    let other: Store;
    let published: Array<{ representationId: string; fileIds: string[] }>;

    beforeEach(async () => {
      const [a, b] = await open(2);
      if (!a || !b) throw new Error("two stores expected");
      ps = await storeWithProject(async () => a);
      other = b;
      published = [];
      const statuses = [SyncStatus.OK, SyncStatus.QUEUED, SyncStatus.FAILED, SyncStatus.IN_PROGRESS];
      for (let i = 0; i < 14; i++) {
        const sites: Record<string, SyncStatus> = { studio: SyncStatus.OK };
        if (i % 3 !== 0) sites.local = statuses[i % statuses.length] as SyncStatus;
        if (i % 4 === 1) sites.sftp = statuses[(i + 1) % statuses.length] as SyncStatus;
        if (i % 7 === 6) delete sites.studio;
        published.push(
          await publish(ps, {
            sites,
            folder: FOLDERS[i % 2],
            product: i % 5 === 0 ? `render${i}` : undefined,
            version: (i % 3) + 1,
            name: i % 2 ? "exr" : "ma",
          }),
        );
      }
      return async () => {
        await ps.store.close();
        await other.close();
      };
    });

    it("matches the brute force after publishes", async () => {
      await expectSameAsBruteForce(ps.store, ps.store);
    });

    it("matches after state changes, resets and removes, in this store and another", async () => {
      const [a, b, c, d] = published;
      if (!a || !b || !c || !d) throw new Error("publishes expected");
      const files = (p: { fileIds: string[] }, status: SyncStatus) =>
        p.fileIds.map((fileId) => ({ fileId, status, size: status === SyncStatus.OK ? 10 : 0 }));
      await ps.store.setSiteState(P, a.representationId, "local", { files: files(a, SyncStatus.FAILED) });
      await ps.store.setSiteState(P, b.representationId, "sftp", { files: files(b, SyncStatus.QUEUED) });
      await ps.store.setSiteState(P, c.representationId, "local", {
        files: files(c, SyncStatus.QUEUED),
        reset: true,
      });
      await ps.store.removeSiteState(P, d.representationId, "studio");
      await ps.store.changeSiteStates(P, [
        { op: "remove", representationId: b.representationId, site: "studio" },
        {
          op: "set",
          representationId: d.representationId,
          site: "local",
          options: { files: files(d, SyncStatus.OK) },
        },
      ]);
      await expectSameAsBruteForce(ps.store, ps.store);

      // Another process: its writes show in this store's next read.
      await other.setSiteState(P, a.representationId, "local", { files: files(a, SyncStatus.OK) });
      await other.removeSiteState(P, c.representationId, "local");
      await publish({ store: other, folders: ps.folders }, { sites: { local: SyncStatus.QUEUED } });
      await expectSameAsBruteForce(ps.store, other);
      await other.setSiteState(P, c.representationId, "sftp", { files: files(c, SyncStatus.FAILED) });
      await expectSameAsBruteForce(ps.store, other);
    });

    it("matches after two stores write records of the same representations at the same time", async () => {
      const writes = published.flatMap((p, i) => {
        const files = (status: SyncStatus) => p.fileIds.map((fileId) => ({ fileId, status, size: 0 }));
        return [
          () => ps.store.setSiteState(P, p.representationId, "sftp", { files: files(SyncStatus.QUEUED) }),
          () => other.setSiteState(P, p.representationId, "local", { files: files(SyncStatus.IN_PROGRESS) }),
          () =>
            i % 2
              ? other.removeSiteState(P, p.representationId, "studio")
              : ps.store.setSiteState(P, p.representationId, "studio", { files: files(SyncStatus.FAILED) }),
        ];
      });
      await Promise.all(writes.map((write) => write()));
      await expectSameAsBruteForce(ps.store, other);
    });

    it("follows a hero publish that moves a representation to another folder", async () => {
      const moved = published[0];
      if (!moved) throw new Error("a publish expected");
      const fileId = newId();
      await ps.store.registerPublish(P, {
        product: {
          folderId: ps.folders.get(FOLDERS[1]) as string,
          name: "heroMoved",
          productType: "workfile",
          productBaseType: "workfile",
        },
        version: { id: newId(), version: -1, taskId: null, author: "tester" },
        representation: {
          id: moved.representationId,
          name: "ma",
          context: { ext: "ma", version: -1 },
          files: [
            {
              id: fileId,
              name: "hero.ma",
              path: `{root[work]}/${P}/hero.ma`,
              size: 10,
              hash: "h|1|10",
              hashType: "op3",
            },
          ],
        },
        links: [],
        siteStates: [{ site: "local", files: [{ fileId, status: SyncStatus.QUEUED, size: 0 }] }],
        replaceRepresentation: true,
      });
      await expectSameAsBruteForce(ps.store, ps.store);
      await expectSameAsBruteForce(other, ps.store);
    });
  },
);
