/**
 * The work queue (docs/adding-a-store.md "The work queue" and "Claims"), run against every store in
 * STORES: what `findWork` returns for each direction, in which order, what it leaves out, and how
 * `claimFor` hands each owner its own batch, so processes on several machines never move one file
 * twice.
 */
import { describe, expect, it } from "vitest";
import { SyncStatus } from "../../lib/store/status.js";
import type { Store, WorkItem, WorkQuery } from "../../lib/store/types.js";
import { OPEN_SHARED, P, type ProjectStore, publish, sleep, storeWithProject } from "./fixtures.js";
import { STORES } from "./stores.js";

const LONG = 60_000;
const upload = (limit = 10, claimFor?: WorkQuery["claimFor"]): WorkQuery => ({
  localSite: "ws",
  remoteSite: "studio",
  direction: "upload",
  limit,
  claimFor,
});
const download = (limit = 10, claimFor?: WorkQuery["claimFor"]): WorkQuery => ({
  ...upload(limit, claimFor),
  direction: "download",
});
const ids = (items: WorkItem[]) => items.map((i) => i.representationId);

/** Sets one file's status on a site, keeping the record's other files. */
async function setFile(store: Store, id: string, site: string, fileId: string, status: SyncStatus) {
  await store.setSiteState(P, id, site, {
    files: [{ fileId, status, size: status === SyncStatus.OK ? 10 : 0 }],
  });
}

/** `count` representations ws wants from studio (download), ws priority `priorityOf(i)`. */
async function downloads(ps: ProjectStore, count: number, priorityOf = (i: number) => i, files = 2) {
  const made: string[] = [];
  for (let i = 0; i < count; i++) {
    const { representationId } = await publish(ps, {
      files,
      sites: { studio: SyncStatus.OK, ws: SyncStatus.QUEUED },
      priorities: { ws: priorityOf(i), studio: 50 },
    });
    made.push(representationId);
  }
  return made;
}

describe.each(STORES)("$name store: work queue", ({ name, open }) => {
  it("finds uploads (local OK, remote QUEUED) and downloads (local QUEUED, remote OK) apart", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const up = await publish(ps, { files: 2, sites: { ws: SyncStatus.OK, studio: SyncStatus.QUEUED } });
    const down = await publish(ps, { files: 1, sites: { ws: SyncStatus.QUEUED, studio: SyncStatus.OK } });
    await publish(ps, { sites: { ws: SyncStatus.OK, studio: SyncStatus.OK } });
    await publish(ps, { sites: { ws: SyncStatus.OK } });
    await publish(ps, { sites: { ws: SyncStatus.QUEUED } });
    await publish(ps, { sites: { ws: SyncStatus.OK, studio: SyncStatus.FAILED } });
    await publish(ps, { sites: { ws: SyncStatus.QUEUED, studio: SyncStatus.QUEUED } });
    await publish(ps, { sites: { ws: SyncStatus.OK, nas: SyncStatus.QUEUED } });

    const uploads = await store.findWork(P, upload());
    expect(ids(uploads)).toEqual([up.representationId]);
    const [item] = uploads;
    expect(item?.versionId).toBe(up.versionId);
    expect(item?.files.map((f) => f.id)).toEqual(up.fileIds);
    expect(item?.local).toMatchObject({ site: "ws", status: SyncStatus.OK });
    expect(item?.remote).toMatchObject({ site: "studio", status: SyncStatus.QUEUED });
    expect(item?.remote?.files.map((f) => f.status)).toEqual([SyncStatus.QUEUED, SyncStatus.QUEUED]);
    expect(item?.claimed).toBeUndefined();

    const downloadsFound = await store.findWork(P, download());
    expect(ids(downloadsFound)).toEqual([down.representationId]);
    expect(downloadsFound[0]?.local).toMatchObject({ site: "ws", status: SyncStatus.QUEUED });
    expect(downloadsFound[0]?.remote).toMatchObject({ site: "studio", status: SyncStatus.OK });
    // Another project's query sees none of it.
    expect(await store.findWork("Other", upload())).toEqual([]);
    await store.close();
  });

  it("orders by the wanting side's priority, returns IN_PROGRESS records too, and keeps to the limit", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    // Uploads: studio wants. Its priorities decide; ws's (reversed) must not.
    const made = new Map<number, string>();
    for (const [wantPriority, status] of [
      [50, SyncStatus.QUEUED],
      [90, SyncStatus.QUEUED],
      [10, SyncStatus.QUEUED],
      [70, SyncStatus.IN_PROGRESS],
      [95, SyncStatus.IN_PROGRESS],
    ] as const) {
      const { representationId } = await publish(ps, {
        sites: { ws: SyncStatus.OK, studio: status },
        priorities: { ws: 100 - wantPriority, studio: wantPriority },
      });
      made.set(wantPriority, representationId);
    }
    const all = await store.findWork(P, upload());
    expect(all.map((i) => i.priority)).toEqual([95, 90, 70, 50, 10]);
    expect(ids(all)).toEqual([95, 90, 70, 50, 10].map((p) => made.get(p)));
    expect(all[0]?.remote?.status).toBe(SyncStatus.IN_PROGRESS);
    const batch = await store.findWork(P, upload(3));
    expect(batch.map((i) => i.priority)).toEqual([95, 90, 70]);
    expect(await store.findWork(P, upload(1))).toHaveLength(1);
    // The same records seen from the other direction are no work.
    expect(await store.findWork(P, download())).toEqual([]);
    await store.close();
  });

  it("leaves paused representations out until they are resumed", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const [a, b] = await downloads(ps, 2);
    const target = { kind: "representation" as const, project: P, representationId: a as string };
    await store.setPaused(target, true);
    expect(ids(await store.findWork(P, download()))).toEqual([b]);
    // A pause of the same id in another project does not apply here.
    await store.setPaused(target, false);
    await store.setPaused({ kind: "representation", project: "Other", representationId: b as string }, true);
    expect(ids(await store.findWork(P, download()))).toEqual([b, a]);
    await store.close();
  });

  it("with claimFor claims the wanted files (QUEUED or IN_PROGRESS there, OK on the other side)", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 4, sites: { studio: SyncStatus.OK, ws: SyncStatus.QUEUED } });
    const [f0, f1, f2, f3] = x.fileIds as [string, string, string, string];
    const id = x.representationId;
    // ws as a whole is IN_PROGRESS (a stopped process left f1): still work, but f2 and f3 are not wanted.
    await setFile(store, id, "ws", f1, SyncStatus.IN_PROGRESS);
    await setFile(store, id, "ws", f2, SyncStatus.OK);
    await setFile(store, id, "ws", f3, SyncStatus.NA);
    const [item] = await store.findWork(P, download(10, { owner: "svc-a", leaseMs: LONG }));
    expect(item?.representationId).toBe(id);
    expect(item?.claimed).toEqual([f0, f1]);
    const claims = await store.getClaims(P, id, "ws");
    expect(claims.map((c) => [c.fileId, c.owner]).sort()).toEqual(
      [
        [f0, "svc-a"],
        [f1, "svc-a"],
      ].sort(),
    );
    expect(claims.every((c) => c.expiresAt > Date.now() + 50_000)).toBe(true);
    // The claim is on the wanting site only.
    expect(await store.getClaims(P, id, "studio")).toEqual([]);
    // The same owner asking again gets its batch again, renewed.
    const again = await store.findWork(P, download(10, { owner: "svc-a", leaseMs: LONG }));
    expect(again.map((i) => i.claimed)).toEqual([[f0, f1]]);
    expect(await store.getClaimOwners()).toEqual(["svc-a"]);
    await store.close();
  });

  it("with claimFor claims only the batch it returns", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const made = await downloads(ps, 5);
    const batch = await store.findWork(P, download(2, { owner: "svc-a", leaseMs: LONG }));
    // Highest ws priority first: the last two made.
    expect(ids(batch)).toEqual([made[4], made[3]]);
    for (const id of made) {
      const held = (await store.getClaims(P, id, "ws")).length;
      expect(held).toBe(ids(batch).includes(id) ? 2 : 0);
    }
    await store.close();
  });

  it("skips representations another owner holds live claims on, until released or lapsed", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const [low, mid, high] = await downloads(ps, 3);
    const first = await store.findWork(P, download(2, { owner: "svc-a", leaseMs: LONG }));
    expect(ids(first)).toEqual([high, mid]);
    const second = await store.findWork(P, download(2, { owner: "svc-b", leaseMs: LONG }));
    expect(ids(second)).toEqual([low]);
    expect(second[0]?.claimed).toHaveLength(2);
    // Without claimFor the queue is still the whole queue.
    expect(ids(await store.findWork(P, download()))).toEqual([high, mid, low]);

    // One claimed file of a representation is enough to keep another owner off it.
    await store.releaseClaims("svc-a", {
      project: P,
      representationId: high as string,
      site: "ws",
      fileIds: first[0]?.claimed?.slice(0, 1),
    });
    expect(await store.findWork(P, download(5, { owner: "svc-c", leaseMs: LONG }))).toEqual([]);

    await store.releaseClaims("svc-a", { project: P, representationId: high as string, site: "ws" });
    const third = await store.findWork(P, download(5, { owner: "svc-c", leaseMs: 1 }));
    expect(ids(third)).toEqual([high]);
    expect(third[0]?.claimed).toHaveLength(2);
    // svc-c's lease lapses: the representation is free again.
    await sleep(30);
    const fourth = await store.findWork(P, download(5, { owner: "svc-b", leaseMs: LONG }));
    expect(ids(fourth)).toEqual([high, low]);
    expect(fourth.map((i) => i.claimed?.length)).toEqual([2, 2]);
    expect((await store.getClaims(P, high as string, "ws")).map((c) => c.owner)).toEqual(["svc-b", "svc-b"]);

    await store.releaseClaims("svc-a");
    const fifth = await store.findWork(P, download(5, { owner: "svc-c", leaseMs: LONG }));
    expect(ids(fifth)).toEqual([mid]);
    await store.close();
  });

  it("never gives two owners asking at once the same representation or file", async () => {
    const opened = OPEN_SHARED[name];
    if (!opened) throw new Error(`no way to open ${name} twice`);
    // Four services, each with its own connection: every one loops on its own, so one's commit
    // can land while another's query runs.
    const stores = await opened(4);
    const ps = await storeWithProject(async () => stores[0] as Store);
    const made = await downloads(ps, 300, (i) => i % 7, 1);
    const services = stores.map((store, index): [Store, string] => [store, `svc${index}`]);
    const holder = new Map<string, string>();
    const done = new Set<string>();
    const served = new Set<string>();
    const problems: string[] = [];
    await Promise.all(
      services.map(async ([store, owner]) => {
        for (let round = 0; round < 200; round++) {
          const batch = await store.findWork(P, download(4, { owner, leaseMs: LONG }));
          if (batch.length === 0) break;
          for (const item of batch) {
            const held = holder.get(item.representationId);
            if (held !== undefined && held !== owner) problems.push(`${owner} got ${held}'s representation`);
            if (done.has(item.representationId)) problems.push(`${owner} got a finished representation`);
            if (item.claimed?.length !== 1) problems.push(`${owner} claimed ${item.claimed?.length} files`);
            holder.set(item.representationId, owner);
            served.add(owner);
          }
          // Every other batch is finished (OK, claims released); the others are kept and asked for again.
          if (round % 2 === 1) continue;
          for (const item of batch) {
            await store.setSiteState(P, item.representationId, "ws", {
              files: (item.claimed ?? []).map((fileId) => ({ fileId, status: SyncStatus.OK, size: 10 })),
            });
            done.add(item.representationId);
            await store.releaseClaims(owner, {
              project: P,
              representationId: item.representationId,
              site: "ws",
            });
            holder.delete(item.representationId);
          }
        }
      }),
    );
    expect(problems).toEqual([]);
    // No work was lost between them. (Which services got work depends on timing: a loaded machine may
    // let one service drain the queue before another asks, so that is not asserted.)
    expect(served.size).toBeGreaterThan(0);
    expect(done.size).toBe(made.length);
    for (const store of stores) await store.close();
  });
});
