/**
 * Writes and reads of the sync state (docs/adding-a-store.md "Merge rules", "Transactions", "The
 * status query", "Pauses"), run against every store in STORES: `changeSiteStates` all or nothing and
 * its per-change options, the merge of `setSiteState`, pauses, the status query's filters, sort keys,
 * pages and counts, and two processes writing one record at once.
 */
import { describe, expect, it } from "vitest";
import { SyncStatus } from "../../lib/store/status.js";
import type { StateQuery, StateRow, StateSortKey, Store } from "../../lib/store/types.js";
import {
  FOLDERS,
  OPEN_SHARED,
  P,
  type ProjectStore,
  type Published,
  publish,
  sleep,
  storeWithProject,
} from "./fixtures.js";
import { STORES } from "./stores.js";

const LONG = 60_000;

const fileStatuses = async (store: Store, id: string, site: string) =>
  (await store.getSiteStates(P, [id], [site]))[0]?.files.map((f) => f.status);

const filesAt = (fileIds: string[], status: SyncStatus) =>
  fileIds.map((fileId) => ({ fileId, status, size: status === SyncStatus.OK ? 10 : 0 }));

/** Six representations spread over both folders, three products, names, versions and states. */
interface Sample {
  ps: ProjectStore;
  byKey: Map<string, Published>;
}

const SAMPLE = [
  // key, folder, product, version, name, ws (local) [status, priority], studio (remote)
  ["A", 0, "modelMain", 1, "ma", [SyncStatus.OK, 10], [SyncStatus.QUEUED, 80]],
  ["B", 0, "modelMain", 2, "abc", [SyncStatus.OK, 60], undefined],
  ["C", 1, "renderBeauty", 1, "exr", [SyncStatus.QUEUED, 30], [SyncStatus.OK, 20]],
  ["D", 1, "renderBeauty", 3, "ma", undefined, [SyncStatus.FAILED, 90]],
  ["E", 1, "animMain", 2, "abc", [SyncStatus.IN_PROGRESS, 45], [SyncStatus.OK, 40]],
  ["F", 0, "lookdev", 4, "usd", [SyncStatus.FAILED, 70], [SyncStatus.QUEUED, 70]],
] as const;

async function sample(open: () => Promise<Store>): Promise<Sample> {
  const ps = await storeWithProject(open);
  const byKey = new Map<string, Published>();
  for (const [key, folder, product, version, name, local, remote] of SAMPLE) {
    const sites: Record<string, SyncStatus> = {};
    const priorities: Record<string, number> = {};
    if (local) [sites.ws, priorities.ws] = local;
    if (remote) [sites.studio, priorities.studio] = remote;
    const published = await publish(ps, {
      folder: FOLDERS[folder],
      product,
      version,
      name,
      files: 2,
      sites,
      priorities,
    });
    byKey.set(key, published);
  }
  return { ps, byKey };
}

/** The sort keys' values, as a person reading `status` expects them. */
const SORT_VALUE: Record<StateSortKey, (row: StateRow) => string | number> = {
  folder: (r) => r.folder,
  product: (r) => r.product,
  version: (r) => r.version,
  representation: (r) => r.representation,
  localStatus: (r) => r.localStatus.status,
  remoteStatus: (r) => r.remoteStatus.status,
  priority: (r) => Math.max(r.localStatus.priority, r.remoteStatus.priority),
};

const SITES = { localSite: "ws", remoteSite: "studio" } as const;

describe.each(STORES)("$name store: state writes", ({ name, open }) => {
  it("changeSiteStates writes nothing at all when an expectation fails, and counts what it wrote", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 2, sites: { studio: SyncStatus.OK } });
    const y = await publish(ps, { files: 3, sites: { studio: SyncStatus.OK, ws: SyncStatus.QUEUED } });
    const refused = await store.changeSiteStates(P, [
      {
        op: "set",
        representationId: x.representationId,
        site: "ws",
        options: { files: filesAt(x.fileIds, 1) },
      },
      { op: "remove", representationId: y.representationId, site: "ws" },
      {
        op: "set",
        representationId: x.representationId,
        site: "studio",
        options: { files: [] },
        expect: "absent",
      },
      { op: "remove", representationId: x.representationId, site: "nas", expect: "present" },
      {
        op: "set",
        representationId: y.representationId,
        site: "nas",
        options: { files: [] },
        expect: "present",
      },
    ]);
    expect(refused).toEqual({
      conflicts: [
        { representationId: x.representationId, site: "studio", reason: "present", fileIds: [] },
        { representationId: x.representationId, site: "nas", reason: "absent", fileIds: [] },
        { representationId: y.representationId, site: "nas", reason: "absent", fileIds: [] },
      ],
      written: 0,
      records: 0,
    });
    expect(await fileStatuses(store, x.representationId, "ws")).toBeUndefined();
    expect(await fileStatuses(store, y.representationId, "ws")).toEqual([1, 1, 1]);
    expect(await fileStatuses(store, y.representationId, "nas")).toBeUndefined();

    const done = await store.changeSiteStates(P, [
      {
        op: "set",
        representationId: x.representationId,
        site: "ws",
        options: { files: filesAt(x.fileIds, SyncStatus.QUEUED) },
        expect: "absent",
      },
      {
        op: "set",
        representationId: y.representationId,
        site: "studio",
        options: { files: filesAt(y.fileIds.slice(0, 1), SyncStatus.FAILED) },
        expect: "present",
      },
      { op: "remove", representationId: y.representationId, site: "ws", expect: "present" },
      // Removing what is not there (without an expectation) is no conflict and still a record.
      { op: "remove", representationId: y.representationId, site: "nas" },
    ]);
    expect(done).toEqual({ conflicts: [], written: 3, records: 4 });
    expect(await fileStatuses(store, x.representationId, "ws")).toEqual([
      SyncStatus.QUEUED,
      SyncStatus.QUEUED,
    ]);
    expect(await fileStatuses(store, y.representationId, "studio")).toEqual([
      SyncStatus.FAILED,
      SyncStatus.OK,
      SyncStatus.OK,
    ]);
    expect(await fileStatuses(store, y.representationId, "ws")).toBeUndefined();
    await store.close();
  });

  it("a remove with refuseClaimed is refused while a live claim holds a file, and lands once it lapsed", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 3, sites: { studio: SyncStatus.OK, ws: SyncStatus.QUEUED } });
    const other = await publish(ps, { files: 1, sites: { ws: SyncStatus.OK } });
    const [, b, c] = x.fileIds as [string, string, string];
    await store.claimFiles(P, x.representationId, "ws", [b, c], "svc", 1_000);
    // A claim on another site of the same representation does not hold this record.
    await store.claimFiles(P, other.representationId, "studio", other.fileIds, "svc", LONG);
    const refused = await store.changeSiteStates(P, [
      { op: "remove", representationId: other.representationId, site: "ws", refuseClaimed: true },
      { op: "remove", representationId: x.representationId, site: "ws", refuseClaimed: true },
    ]);
    expect(refused.written).toBe(0);
    expect(refused.records).toBe(0);
    expect(refused.conflicts).toHaveLength(1);
    expect(refused.conflicts[0]).toMatchObject({
      representationId: x.representationId,
      site: "ws",
      reason: "claimed",
    });
    expect(refused.conflicts[0]?.fileIds.sort()).toEqual([b, c].sort());
    expect(await fileStatuses(store, other.representationId, "ws")).toEqual([SyncStatus.OK]);
    expect(await fileStatuses(store, x.representationId, "ws")).toHaveLength(3);
    // A lapsed lease holds nothing.
    await sleep(1_100);
    const done = await store.changeSiteStates(P, [
      { op: "remove", representationId: x.representationId, site: "ws", refuseClaimed: true },
    ]);
    expect(done).toEqual({ conflicts: [], written: 0, records: 1 });
    expect(await fileStatuses(store, x.representationId, "ws")).toBeUndefined();
    await store.close();
  });

  it("a set with skipClaimed leaves out the files under a live claim", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 3, sites: { studio: SyncStatus.OK, ws: SyncStatus.IN_PROGRESS } });
    const y = await publish(ps, { files: 1, sites: { studio: SyncStatus.OK, ws: SyncStatus.IN_PROGRESS } });
    const [a, b, c] = x.fileIds as [string, string, string];
    await store.claimFiles(P, x.representationId, "ws", [b], "svc", LONG);
    await store.claimFiles(P, y.representationId, "ws", y.fileIds, "svc", LONG);
    const result = await store.changeSiteStates(P, [
      {
        op: "set",
        representationId: x.representationId,
        site: "ws",
        options: { files: filesAt(x.fileIds, SyncStatus.QUEUED) },
        skipClaimed: true,
      },
      // Every file claimed: the record is left as it is and not counted.
      {
        op: "set",
        representationId: y.representationId,
        site: "ws",
        options: { files: filesAt(y.fileIds, SyncStatus.QUEUED) },
        skipClaimed: true,
      },
    ]);
    expect(result).toEqual({ conflicts: [], written: 2, records: 1 });
    const files = new Map(
      (await store.getSiteStates(P, [x.representationId], ["ws"]))[0]?.files.map((f) => [f.fileId, f.status]),
    );
    expect(files).toEqual(
      new Map([
        [a, SyncStatus.QUEUED],
        [b, SyncStatus.IN_PROGRESS],
        [c, SyncStatus.QUEUED],
      ]),
    );
    expect(await fileStatuses(store, y.representationId, "ws")).toEqual([SyncStatus.IN_PROGRESS]);
    // Once released, the same change reaches every file.
    await store.releaseClaims("svc");
    const again = await store.changeSiteStates(P, [
      {
        op: "set",
        representationId: x.representationId,
        site: "ws",
        options: { files: filesAt(x.fileIds, SyncStatus.QUEUED) },
        skipClaimed: true,
      },
    ]);
    expect(again).toEqual({ conflicts: [], written: 3, records: 1 });
    expect(await fileStatuses(store, x.representationId, "ws")).toEqual([1, 1, 1]);
    await store.close();
  });

  it("a set with onlyWhile updates only the files still in that status", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 3, sites: { studio: SyncStatus.OK, ws: SyncStatus.IN_PROGRESS } });
    const [a, b, c] = x.fileIds as [string, string, string];
    await store.setSiteState(P, x.representationId, "ws", { files: filesAt([b], SyncStatus.OK) });
    const result = await store.changeSiteStates(P, [
      {
        op: "set",
        representationId: x.representationId,
        site: "ws",
        options: { files: filesAt(x.fileIds, SyncStatus.QUEUED) },
        onlyWhile: SyncStatus.IN_PROGRESS,
      },
      // No record at all: no file is in the status, nothing is written.
      {
        op: "set",
        representationId: x.representationId,
        site: "nas",
        options: { files: filesAt(x.fileIds, SyncStatus.QUEUED) },
        onlyWhile: SyncStatus.IN_PROGRESS,
      },
    ]);
    expect(result).toEqual({ conflicts: [], written: 2, records: 1 });
    const files = new Map(
      (await store.getSiteStates(P, [x.representationId], ["ws"]))[0]?.files.map((f) => [f.fileId, f.status]),
    );
    expect(files).toEqual(
      new Map([
        [a, SyncStatus.QUEUED],
        [b, SyncStatus.OK],
        [c, SyncStatus.QUEUED],
      ]),
    );
    expect(await fileStatuses(store, x.representationId, "nas")).toBeUndefined();
    await store.close();
  });

  it("a set with onlyIfAbsent creates a missing record and leaves an existing one as it is", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 2, sites: { studio: SyncStatus.OK, ws: SyncStatus.OK } });
    const result = await store.changeSiteStates(P, [
      {
        op: "set",
        representationId: x.representationId,
        site: "ws",
        options: { files: filesAt(x.fileIds, SyncStatus.QUEUED), priority: 99 },
        onlyIfAbsent: true,
      },
      {
        op: "set",
        representationId: x.representationId,
        site: "nas",
        options: { files: filesAt(x.fileIds, SyncStatus.QUEUED), priority: 99 },
        onlyIfAbsent: true,
      },
    ]);
    expect(result).toEqual({ conflicts: [], written: 2, records: 1 });
    const [nas, ws] = await store.getSiteStates(P, [x.representationId], ["ws", "nas"]);
    expect(ws).toMatchObject({ site: "ws", status: SyncStatus.OK, priority: 50 });
    expect(nas).toMatchObject({ site: "nas", status: SyncStatus.QUEUED, priority: 99 });
    await store.close();
  });

  it("setSiteState merges: a new record has every file, priority defaults to 50 and is kept, reset rebuilds", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 3, sites: { studio: SyncStatus.OK } });
    const [a, b, c] = x.fileIds as [string, string, string];
    const id = x.representationId;
    await store.setSiteState(P, id, "ws", {
      files: [
        { fileId: a, status: SyncStatus.QUEUED },
        { fileId: "not-a-file", status: SyncStatus.OK },
      ],
    });
    let [state] = await store.getSiteStates(P, [id], ["ws"]);
    expect(state?.priority).toBe(50);
    expect(state?.status).toBe(SyncStatus.QUEUED);
    expect(state?.files.map((f) => [f.fileId, f.status])).toEqual([
      [a, SyncStatus.QUEUED],
      [b, SyncStatus.NA],
      [c, SyncStatus.NA],
    ]);

    await store.setSiteState(P, id, "ws", {
      files: [{ fileId: b, status: SyncStatus.QUEUED }],
      priority: 75,
    });
    await store.setSiteState(P, id, "ws", {
      files: [{ fileId: c, status: SyncStatus.FAILED, retries: 3, message: "disk full" }],
    });
    [state] = await store.getSiteStates(P, [id], ["ws"]);
    expect(state?.priority).toBe(75);
    expect(state?.status).toBe(SyncStatus.FAILED);
    expect(state?.files.map((f) => f.status)).toEqual([
      SyncStatus.QUEUED,
      SyncStatus.QUEUED,
      SyncStatus.FAILED,
    ]);
    expect(state?.files[2]).toMatchObject({ retries: 3, message: "disk full" });

    await store.setSiteState(P, id, "ws", { files: filesAt([a, b, c], SyncStatus.OK) });
    [state] = await store.getSiteStates(P, [id], ["ws"]);
    expect(state?.status).toBe(SyncStatus.OK);
    expect(state?.files.every((f) => f.size === 10 && f.retries === 0 && f.message === null)).toBe(true);

    // reset: the file list starts over from the representation's files (all NA), then the update.
    await store.setSiteState(P, id, "ws", { files: [{ fileId: b, status: SyncStatus.QUEUED }], reset: true });
    [state] = await store.getSiteStates(P, [id], ["ws"]);
    expect(state?.files.map((f) => [f.status, f.size])).toEqual([
      [SyncStatus.NA, 0],
      [SyncStatus.QUEUED, 0],
      [SyncStatus.NA, 0],
    ]);
    expect(state?.priority).toBe(75);
    // The other site's record was never touched.
    expect(await fileStatuses(store, id, "studio")).toEqual([4, 4, 4]);

    await store.removeSiteState(P, id, "ws");
    expect(await store.getSiteStates(P, [id], ["ws"])).toEqual([]);
    expect(await fileStatuses(store, id, "studio")).toEqual([4, 4, 4]);
    // Removing again is harmless.
    await store.removeSiteState(P, id, "ws");
    await store.close();
  });

  it("keeps an upload's resume point while the file is pending, and drops it when the file settles", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 2, sites: { ws: SyncStatus.OK, studio: SyncStatus.QUEUED } });
    const [a, b] = x.fileIds as [string, string];
    const id = x.representationId;
    const point = { temp: "/p/.a.sitesync-1-x-0123456789ab.part", token: '{"session":"s1"}' };
    const resumeOf = async () =>
      (await store.getSiteStates(P, [id], ["studio"]))[0]?.files.map((f) => f.resume ?? null);
    await store.setSiteState(P, id, "studio", {
      files: [{ fileId: a, status: SyncStatus.IN_PROGRESS, resume: point }],
    });
    expect(await resumeOf()).toEqual([point, null]);
    // Progress, a retry and a stop (back to QUEUED) keep it; the work query hands it out.
    await store.setSiteState(P, id, "studio", {
      files: [{ fileId: a, status: SyncStatus.IN_PROGRESS, size: 5, progress: 0.5 }],
    });
    await store.setSiteState(P, id, "studio", { files: [{ fileId: a, status: SyncStatus.QUEUED }] });
    expect(await resumeOf()).toEqual([point, null]);
    const [item] = await store.findWork(P, {
      localSite: "ws",
      remoteSite: "studio",
      direction: "upload",
      limit: 10,
    });
    expect(item?.remote?.files.find((f) => f.fileId === a)?.resume).toEqual(point);
    // null drops it; so does settling, OK or FAILED.
    await store.setSiteState(P, id, "studio", {
      files: [
        { fileId: a, status: SyncStatus.IN_PROGRESS, resume: null },
        { fileId: b, status: SyncStatus.IN_PROGRESS, resume: point },
      ],
    });
    expect(await resumeOf()).toEqual([null, point]);
    await store.setSiteState(P, id, "studio", {
      files: [{ fileId: b, status: SyncStatus.FAILED, retries: 3 }],
    });
    expect(await resumeOf()).toEqual([null, null]);
    await store.setSiteState(P, id, "studio", {
      files: [{ fileId: a, status: SyncStatus.IN_PROGRESS, resume: point }],
    });
    await store.setSiteState(P, id, "studio", { files: [{ fileId: a, status: SyncStatus.OK, size: 10 }] });
    expect(await resumeOf()).toEqual([null, null]);
    // The status query never shows it (the token is a capability to write that upload).
    const page = await store.queryState(P, { ...SITES });
    expect(JSON.stringify(page)).not.toContain("session");
    await store.close();
  });

  it("persists pauses of the service, a project and a representation", async () => {
    const store = await open();
    expect(await store.getPauses()).toEqual([]);
    await store.setPaused({ kind: "service" }, true);
    await store.setPaused({ kind: "project", project: P }, true);
    await store.setPaused({ kind: "representation", project: P, representationId: "r1" }, true);
    await store.setPaused({ kind: "representation", project: P, representationId: "r1" }, true);
    await store.setPaused({ kind: "representation", project: "Other", representationId: "r1" }, true);
    const pauses = await store.getPauses();
    expect(pauses).toHaveLength(4);
    expect(pauses).toEqual(
      expect.arrayContaining([
        { kind: "service" },
        { kind: "project", project: P },
        { kind: "representation", project: P, representationId: "r1" },
        { kind: "representation", project: "Other", representationId: "r1" },
      ]),
    );
    await store.setPaused({ kind: "project", project: P }, false);
    await store.setPaused({ kind: "representation", project: P, representationId: "r1" }, false);
    await store.setPaused({ kind: "project", project: "never paused" }, false);
    expect(await store.getPauses()).toEqual(
      expect.arrayContaining([
        { kind: "service" },
        { kind: "representation", project: "Other", representationId: "r1" },
      ]),
    );
    expect(await store.getPauses()).toHaveLength(2);
    await store.setPaused({ kind: "service" }, false);
    expect(await store.getPauses()).toEqual([
      { kind: "representation", project: "Other", representationId: "r1" },
    ]);
    await store.close();
  });

  it("filters the status query by folder, product, version, names and both sites' statuses (NA where none)", async () => {
    const { ps, byKey } = await sample(open);
    const { store } = ps;
    const keyOf = new Map([...byKey].map(([key, p]) => [p.representationId, key]));
    const cases: Array<[Partial<StateQuery>, string[]]> = [
      [{}, ["A", "B", "C", "D", "E", "F"]],
      [{ folderFilter: "SH010" }, ["C", "D", "E"]],
      [{ folderFilter: "characters/hero" }, ["A", "B", "F"]],
      [{ productFilter: "main" }, ["A", "B", "E"]],
      [{ versionFilter: 2 }, ["B", "E"]],
      [{ representationNames: ["ma", "exr"] }, ["A", "C", "D"]],
      [{ localStatusFilter: [SyncStatus.NA] }, ["D"]],
      [{ localStatusFilter: [SyncStatus.OK, SyncStatus.QUEUED] }, ["A", "B", "C"]],
      [{ remoteStatusFilter: [SyncStatus.NA] }, ["B"]],
      [{ remoteStatusFilter: [SyncStatus.OK] }, ["C", "E"]],
      [{ folderFilter: "sh010", remoteStatusFilter: [SyncStatus.OK], productFilter: "render" }, ["C"]],
      [{ representationIds: [byKey.get("F")?.representationId as string, "nothing"] }, ["F"]],
      [{ productFilter: "no such product" }, []],
    ];
    for (const [filter, expected] of cases) {
      const query = { ...SITES, ...filter, sortBy: "version" as const };
      const page = await store.queryState(P, query);
      const label = JSON.stringify(filter);
      expect(page.representations.map((r) => keyOf.get(r.representationId)).sort(), label).toEqual(expected);
      expect(page.total, label).toBe(expected.length);
      // countState: the same matches, per pair of statuses.
      const counts = await store.countState(P, query);
      const pairs = new Map<string, number>();
      for (const row of page.representations) {
        const pair = `${row.localStatus.status}/${row.remoteStatus.status}`;
        pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
      }
      expect(new Map(counts.map((c) => [`${c.localStatus}/${c.remoteStatus}`, c.count])), label).toEqual(
        pairs,
      );
    }
    const [d] = (await store.queryState(P, { ...SITES, localStatusFilter: [SyncStatus.NA] })).representations;
    expect(d?.localStatus).toMatchObject({ status: SyncStatus.NA, size: 0, priority: 0, totalSize: 20 });
    expect(d?.remoteStatus).toMatchObject({ status: SyncStatus.FAILED, priority: 90, totalSize: 20 });
    expect(d?.files.map((f) => [f.localStatus.status, f.remoteStatus.status])).toEqual([
      [SyncStatus.NA, SyncStatus.FAILED],
      [SyncStatus.NA, SyncStatus.FAILED],
    ]);
    expect(d).toMatchObject({
      folder: FOLDERS[1],
      product: "renderBeauty",
      version: 3,
      representation: "ma",
    });
    expect(d?.fileCount).toBe(2);
    await store.close();
  });

  it("sorts the status query by every key in both directions, ties by id, and pages it", async () => {
    const { ps } = await sample(open);
    const { store } = ps;
    const all = (await store.queryState(P, { ...SITES, pageLength: 100 })).representations;
    expect(all).toHaveLength(6);
    for (const sortBy of Object.keys(SORT_VALUE) as StateSortKey[]) {
      for (const sortDesc of [false, true]) {
        const value = SORT_VALUE[sortBy];
        const expected = [...all]
          .sort((x, y) => {
            const [vx, vy] = [value(x), value(y)];
            if (vx !== vy) return (vx < vy ? -1 : 1) * (sortDesc ? -1 : 1);
            return x.representationId < y.representationId ? -1 : 1;
          })
          .map((r) => r.representationId);
        const label = `${sortBy} ${sortDesc ? "desc" : "asc"}`;
        const whole = await store.queryState(P, { ...SITES, sortBy, sortDesc });
        expect(
          whole.representations.map((r) => r.representationId),
          label,
        ).toEqual(expected);
        const pages: string[] = [];
        for (const page of [1, 2, 3]) {
          const got = await store.queryState(P, { ...SITES, sortBy, sortDesc, page, pageLength: 4 });
          expect(got.total, label).toBe(6);
          expect(got.representations.length, label).toBe([4, 2, 0][page - 1]);
          pages.push(...got.representations.map((r) => r.representationId));
        }
        expect(pages, label).toEqual(expected);
      }
    }
    // Spot checks of the values sorted on.
    const byPriority = await store.queryState(P, {
      ...SITES,
      sortBy: "priority",
      sortDesc: true,
      pageLength: 2,
    });
    expect(byPriority.representations.map((r) => [r.localStatus.priority, r.remoteStatus.priority])).toEqual([
      [0, 90],
      [10, 80],
    ]);
    const byFolder = await store.queryState(P, { ...SITES, sortBy: "folder", pageLength: 1 });
    expect(byFolder.representations[0]?.folder).toBe(FOLDERS[0]);
    await store.close();
  });

  it("loses no update when two processes write different files of one record at once", async () => {
    const opened = OPEN_SHARED[name];
    if (!opened) throw new Error(`no way to open ${name} twice`);
    const [first, second] = (await opened(2)) as [Store, Store];
    const ps = await storeWithProject(async () => first);
    const x = await publish(ps, { files: 16, sites: { studio: SyncStatus.OK } });
    // The record does not exist yet: the first writes race to create it too.
    await Promise.all(
      x.fileIds.map((fileId, index) =>
        (index % 2 ? second : first).setSiteState(P, x.representationId, "ws", {
          files: [{ fileId, status: SyncStatus.QUEUED }],
        }),
      ),
    );
    expect(await fileStatuses(first, x.representationId, "ws")).toEqual(
      x.fileIds.map(() => SyncStatus.QUEUED),
    );
    await Promise.all(
      x.fileIds.map((fileId, index) =>
        (index % 2 ? first : second).setSiteState(P, x.representationId, "ws", {
          files: [{ fileId, status: SyncStatus.OK, size: 10 }],
        }),
      ),
    );
    const [state] = await second.getSiteStates(P, [x.representationId], ["ws"]);
    expect(state?.status).toBe(SyncStatus.OK);
    expect(state?.files.map((f) => f.size)).toEqual(x.fileIds.map(() => 10));
    await first.close();
    await second.close();
  });
});
