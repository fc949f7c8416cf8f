import { describe, expect, it } from "vitest";
import { loadDefaultAnatomy } from "../../lib/anatomy/defaults.js";
import { newId } from "../../lib/store/ids.js";
import { pages } from "../../lib/store/paging.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { PageQuery, Store } from "../../lib/store/types.js";
import { STORES } from "./stores.js";

const P = "Proj";
const OTHER = "Other";

/** A store with `count` one-file representations in P (and a few in OTHER, which no walk of P may see). */
async function storeWith(
  open: () => Promise<Store>,
  count: number,
  statusOf: (index: number) => SyncStatus,
): Promise<{ store: Store; ids: string[] }> {
  const store = await open();
  const ids: string[] = [];
  for (const [project, n] of [
    [P, count],
    [OTHER, 5],
  ] as const) {
    await store.importProject({
      name: project,
      code: project.slice(0, 2).toUpperCase(),
      anatomy: loadDefaultAnatomy(),
      folders: [{ path: "/assets/hero", tasks: [] }],
    });
    const folder = await store.getFolderByPath(project, "/assets/hero");
    if (!folder) throw new Error("import did not create the folder");
    for (let i = 0; i < n; i++) {
      const fileId = newId();
      const representationId = newId();
      await store.registerPublish(project, {
        product: {
          folderId: folder.id,
          name: `render${i}`,
          productType: "render",
          productBaseType: "render",
        },
        version: { id: newId(), version: 1, taskId: null, author: "tester" },
        representation: {
          id: representationId,
          name: "exr",
          context: { ext: "exr", version: 1 },
          files: [
            {
              id: fileId,
              name: `f${i}.exr`,
              path: `{root[work]}/f${i}.exr`,
              size: i,
              hash: `h${i}`,
              hashType: "op3",
            },
          ],
        },
        links: [],
        siteStates: [
          { site: "studio", files: [{ fileId, status: SyncStatus.OK, size: i }] },
          { site: "local", files: [{ fileId, status: statusOf(i) }] },
        ],
      });
      if (project === P) ids.push(representationId);
    }
  }
  return { store, ids };
}

/** Every row of a walk, page by page, with the page sizes seen. */
async function walkAll<T>(
  fetch: (page: PageQuery) => Promise<T[]>,
  idOf: (row: T) => string,
  limit: number,
): Promise<{ rows: T[]; sizes: number[] }> {
  const rows: T[] = [];
  const sizes: number[] = [];
  for await (const page of pages(fetch, idOf, limit)) {
    rows.push(...page);
    sizes.push(page.length);
  }
  return { rows, sizes };
}

describe.each(STORES)("paged store reads: $name", ({ open }) => {
  it("listRepresentations returns every representation of the project exactly once, with its files, across pages", async () => {
    const { store, ids } = await storeWith(open, 1234, () => SyncStatus.QUEUED);
    const { rows, sizes } = await walkAll(
      (page) => store.listRepresentations(P, page),
      (r) => r.id,
      100,
    );
    expect(sizes).toEqual([...Array(12).fill(100), 34]);
    expect(rows.map((r) => r.id)).toEqual([...ids].sort());
    expect(new Set(rows.map((r) => r.id)).size).toBe(1234);
    for (const r of rows) expect(r.files).toHaveLength(1);
    // A page is exactly the ids after the cursor, whatever the cursor is.
    const sorted = [...ids].sort();
    const middle = await store.listRepresentations(P, { after: sorted[499] as string, limit: 3 });
    expect(middle.map((r) => r.id)).toEqual(sorted.slice(500, 503));
    await store.close();
  });

  it("listSiteStates walks one site's records of the given statuses exactly once across pages", async () => {
    // Every third representation is IN_PROGRESS on the local site, the others QUEUED.
    const { store, ids } = await storeWith(open, 1234, (i) =>
      i % 3 === 0 ? SyncStatus.IN_PROGRESS : SyncStatus.QUEUED,
    );
    const all = await walkAll(
      (page) => store.listSiteStates(P, { site: "local" }, page),
      (s) => s.representationId,
      100,
    );
    expect(all.rows.map((s) => s.representationId)).toEqual([...ids].sort());
    expect(all.rows.every((s) => s.site === "local")).toBe(true);

    const wanted = ids.filter((_, i) => i % 3 === 0).sort();
    const inProgress = await walkAll(
      (page) => store.listSiteStates(P, { site: "local", statuses: [SyncStatus.IN_PROGRESS] }, page),
      (s) => s.representationId,
      100,
    );
    expect(inProgress.sizes).toEqual([100, 100, 100, 100, 12]);
    expect(inProgress.rows.map((s) => s.representationId)).toEqual(wanted);
    expect(inProgress.rows.every((s) => s.status === SyncStatus.IN_PROGRESS)).toBe(true);
    await store.close();
  });

  it("a walk that rewrites each record out of its filter still sees every record once", async () => {
    const { store, ids } = await storeWith(open, 250, () => SyncStatus.IN_PROGRESS);
    const seen: string[] = [];
    for await (const page of pages(
      (q) => store.listSiteStates(P, { site: "local", statuses: [SyncStatus.IN_PROGRESS] }, q),
      (s) => s.representationId,
      100,
    )) {
      for (const state of page) {
        seen.push(state.representationId);
        await store.setSiteState(P, state.representationId, "local", {
          files: state.files.map((f) => ({ fileId: f.fileId, status: SyncStatus.QUEUED })),
        });
      }
    }
    expect(seen).toEqual([...ids].sort());
    const left = await store.listSiteStates(
      P,
      { site: "local", statuses: [SyncStatus.IN_PROGRESS] },
      { limit: 10 },
    );
    expect(left).toEqual([]);
    await store.close();
  });
});

describe("pages", () => {
  it("pages ends on an exact multiple of the page size and refuses a page size below 1", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => String(i).padStart(4, "0"));
    const fetches: PageQuery[] = [];
    const fetch = async (q: PageQuery) => {
      fetches.push(q);
      return rows.filter((r) => q.after === undefined || r > q.after).slice(0, q.limit);
    };
    const { rows: seen, sizes } = await walkAll(fetch, (r) => r, 100);
    expect(seen).toEqual(rows);
    expect(sizes).toEqual([100, 100, 100]);
    // The fourth fetch finds the end (an empty page is not yielded).
    expect(fetches.map((q) => q.after)).toEqual([undefined, "0099", "0199", "0299"]);
    await expect(walkAll(fetch, (r) => r, 0)).rejects.toThrow(/page size/);
  });
});
