/**
 * Transfer claims (docs/adding-a-store.md "Claims"), run against every store in STORES: a file
 * claimed by one owner is refused to another while the lease lives, renewed for its owner, taken
 * over once it lapsed; leases are extended and dropped per owner.
 */
import { describe, expect, it } from "vitest";
import { SyncStatus } from "../../lib/store/status.js";
import { P, publish, sleep, storeWithProject } from "./fixtures.js";
import { STORES } from "./stores.js";

const LONG = 60_000;

describe.each(STORES)("$name store: claims", ({ open }) => {
  it("refuses a file another owner holds live and gives the free ones", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const { representationId: id, fileIds } = await publish(ps, {
      files: 3,
      sites: { studio: SyncStatus.OK },
    });
    const [a, b, c] = fileIds as [string, string, string];
    expect(await store.claimFiles(P, id, "ws", [a, b], "one", LONG)).toEqual([a, b]);
    expect(await store.claimFiles(P, id, "ws", [a, b, c], "two", LONG)).toEqual([c]);
    // Another site's claim on the same files is a different transfer.
    expect(await store.claimFiles(P, id, "nas", [a], "two", LONG)).toEqual([a]);
    const claims = await store.getClaims(P, id, "ws");
    expect(claims.map((cl) => [cl.fileId, cl.owner]).sort()).toEqual(
      [
        [a, "one"],
        [b, "one"],
        [c, "two"],
      ].sort(),
    );
    expect(claims.every((cl) => cl.representationId === id && cl.site === "ws")).toBe(true);
    await store.close();
  });

  it("renews the caller's own claim, moving its expiry forward", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const { representationId: id, fileIds } = await publish(ps, { files: 1 });
    const [a] = fileIds as [string];
    expect(await store.claimFiles(P, id, "ws", [a], "one", 5_000)).toEqual([a]);
    const before = (await store.getClaims(P, id, "ws"))[0]?.expiresAt ?? 0;
    expect(await store.claimFiles(P, id, "ws", [a], "one", LONG)).toEqual([a]);
    const after = await store.getClaims(P, id, "ws");
    expect(after).toHaveLength(1);
    expect(after[0]?.owner).toBe("one");
    expect(after[0]?.expiresAt).toBeGreaterThan(before + 50_000);
    await store.close();
  });

  it("lets another owner take over a claim whose lease lapsed", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const { representationId: id, fileIds } = await publish(ps, { files: 2 });
    const [a, b] = fileIds as [string, string];
    expect(await store.claimFiles(P, id, "ws", [a], "dead", 1)).toEqual([a]);
    expect(await store.claimFiles(P, id, "ws", [b], "alive", LONG)).toEqual([b]);
    await sleep(30);
    expect(await store.claimFiles(P, id, "ws", [a, b], "next", LONG)).toEqual([a]);
    const owners = new Map((await store.getClaims(P, id, "ws")).map((cl) => [cl.fileId, cl.owner]));
    expect(owners).toEqual(
      new Map([
        [a, "next"],
        [b, "alive"],
      ]),
    );
    expect(await store.getClaimOwners()).toEqual(["alive", "next"]);
    await store.close();
  });

  it("claims a file named twice in one call once", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const { representationId: id, fileIds } = await publish(ps, { files: 2 });
    const [a, b] = fileIds as [string, string];
    expect(await store.claimFiles(P, id, "ws", [a, b, a], "one", LONG)).toEqual([a, b]);
    expect(await store.getClaims(P, id, "ws")).toHaveLength(2);
    expect(await store.claimFiles(P, id, "ws", [a, a], "two", LONG)).toEqual([]);
    await store.close();
  });

  it("renewClaims extends every claim of the owner and only the owner's", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 2 });
    const y = await publish(ps, { files: 1 });
    await store.claimFiles(P, x.representationId, "ws", x.fileIds, "one", 1);
    await store.claimFiles(P, y.representationId, "nas", y.fileIds, "one", 1);
    await store.claimFiles(P, y.representationId, "ws", y.fileIds, "other", 1);
    await store.renewClaims("one", LONG);
    await sleep(30);
    // Renewed: still live, so refused to another owner; the other owner's lapsed and is taken.
    expect(await store.claimFiles(P, x.representationId, "ws", x.fileIds, "thief", LONG)).toEqual([]);
    expect(await store.claimFiles(P, y.representationId, "nas", y.fileIds, "thief", LONG)).toEqual([]);
    expect(await store.claimFiles(P, y.representationId, "ws", y.fileIds, "thief", LONG)).toEqual(y.fileIds);
    const now = Date.now();
    for (const cl of await store.getClaims(P, x.representationId, "ws")) {
      expect(cl.owner).toBe("one");
      expect(cl.expiresAt).toBeGreaterThan(now + 50_000);
    }
    await store.close();
  });

  it("releaseClaims drops all of an owner's claims, one representation and site, or some files", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    const x = await publish(ps, { files: 3 });
    const y = await publish(ps, { files: 1 });
    const [a, b, c] = x.fileIds as [string, string, string];
    await store.claimFiles(P, x.representationId, "ws", x.fileIds, "one", LONG);
    await store.claimFiles(P, x.representationId, "nas", x.fileIds, "one", LONG);
    await store.claimFiles(P, y.representationId, "ws", y.fileIds, "one", LONG);
    await store.claimFiles(P, y.representationId, "nas", y.fileIds, "two", LONG);
    const held = async (id: string, site: string) =>
      (await store.getClaims(P, id, site)).map((cl) => `${cl.owner}:${cl.fileId}`).sort();

    // Some files of one representation and site.
    await store.releaseClaims("one", {
      project: P,
      representationId: x.representationId,
      site: "ws",
      fileIds: [a, c],
    });
    expect(await held(x.representationId, "ws")).toEqual([`one:${b}`]);
    expect(await held(x.representationId, "nas")).toHaveLength(3);
    // Released files are free for another owner, the kept one is not.
    expect(await store.claimFiles(P, x.representationId, "ws", x.fileIds, "two", LONG)).toEqual([a, c]);

    // Another owner's release touches nothing of "one".
    await store.releaseClaims("three");
    expect(await held(x.representationId, "nas")).toHaveLength(3);

    // One representation and site.
    await store.releaseClaims("one", { project: P, representationId: x.representationId, site: "nas" });
    expect(await held(x.representationId, "nas")).toEqual([]);
    expect(await held(x.representationId, "ws")).toEqual([`one:${b}`, `two:${a}`, `two:${c}`].sort());
    expect(await held(y.representationId, "ws")).toEqual([`one:${y.fileIds[0]}`]);

    // All of them.
    expect(await store.getClaimOwners()).toEqual(["one", "two"]);
    await store.releaseClaims("one");
    expect(await store.getClaimOwners()).toEqual(["two"]);
    expect(await held(x.representationId, "ws")).toEqual([`two:${a}`, `two:${c}`].sort());
    expect(await held(y.representationId, "ws")).toEqual([]);
    expect(await held(y.representationId, "nas")).toEqual([`two:${y.fileIds[0]}`]);
    await store.close();
  });

  it("keeps claims of one project apart from another's and lists no owner when none are held", async () => {
    const ps = await storeWithProject(open);
    const { store } = ps;
    expect(await store.getClaimOwners()).toEqual([]);
    const x = await publish(ps, { files: 1 });
    await store.claimFiles(P, x.representationId, "ws", x.fileIds, "one", LONG);
    expect(await store.getClaims("Other", x.representationId, "ws")).toEqual([]);
    await store.releaseClaims("one", { project: "Other", representationId: x.representationId, site: "ws" });
    expect(await store.getClaims(P, x.representationId, "ws")).toHaveLength(1);
    await store.close();
  });
});
