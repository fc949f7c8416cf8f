/**
 * Four sync services on one PostgreSQL database (issue 13): four homes (four machines), each running
 * `syncservice --active-site studio` against the same `vendor` site, share 1,000 queued uploads. The
 * claims taken with the batch (`FOR UPDATE SKIP LOCKED` + `claimFor`) must make every file move
 * exactly once, counted at the vendor's provider, and every result must be recorded: all files OK on
 * both sites at the end, read through the store.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SyncStatus } from "../../lib/store/status.js";
import {
  type PgStudio,
  pgStudio,
  tempFilesUnder,
  transfersByTarget,
  until,
  vendorStates,
} from "../helpers/pg-studio.js";
import { type PostgresServer, startPostgres } from "../helpers/postgres.js";

let server: PostgresServer;
let studio: PgStudio | undefined;
beforeAll(async () => {
  server = await startPostgres();
});
afterEach(async () => {
  await studio?.close();
  studio = undefined;
});
afterAll(async () => {
  await server?.stop();
});

const FILES = 1000;

describe("four sync services on one PostgreSQL database", () => {
  it("move each of 1,000 files exactly once and record every result", { timeout: 120_000 }, async () => {
    const s = await pgStudio(server, { loopDelay: 0.2 });
    studio = s;
    const homes = [];
    for (const site of ["farm1", "farm2", "farm3", "farm4"]) homes.push(await s.home(site));
    const files = await s.seed(FILES);
    const started = Date.now();
    const services = homes.map((home) => s.service(home));
    const store = await s.store();
    await until(
      async () => [...(await vendorStates(store, files)).values()].every((f) => f.status === SyncStatus.OK),
      "every file OK on vendor",
      90_000,
      500,
    );
    const elapsed = Date.now() - started;
    for (const service of services) expect(service.child.exitCode).toBeNull();
    await Promise.all(services.map((service) => service.stop("SIGTERM")));

    // At the provider: each target copied once, by one process, and nothing else copied.
    const transfers = transfersByTarget(s.transferLog);
    const copies = [...transfers.values()].reduce((sum, pids) => sum + pids.length, 0);
    const twice = [...transfers].filter(([, pids]) => pids.length !== 1);
    expect(twice, "targets copied more than once").toEqual([]);
    expect(copies).toBe(FILES);
    expect([...transfers.keys()].sort()).toEqual(files.map((f) => f.vendorPath).sort());
    // Every service took a share: the work was spread, not done by one while the others idled.
    const pids = new Set([...transfers.values()].flat());
    expect(pids.size, `transfers by ${pids.size} services in ${elapsed} ms`).toBeGreaterThan(1);

    // In the store: every file OK on both sites, with its size; no claim left.
    const vendor = await vendorStates(store, files);
    const studioSide = await vendorStates(store, files, "studio");
    for (const file of files) {
      expect(vendor.get(file.fileId)).toEqual({ status: SyncStatus.OK, size: file.size });
      expect(studioSide.get(file.fileId)).toEqual({ status: SyncStatus.OK, size: file.size });
    }
    expect(await store.getClaimOwners()).toEqual([]);
    // On disk: every vendor file is the published file; no temporary file left.
    for (const file of files) {
      expect(createHash("sha256").update(readFileSync(file.vendorPath)).digest("hex")).toBe(file.sha256);
    }
    expect(tempFilesUnder(s.vendorRoot)).toEqual([]);
  });
});
