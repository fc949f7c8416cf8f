/**
 * Faults under services sharing one PostgreSQL database (issue 13):
 * - a service killed with SIGKILL mid-batch: its claims stay live until their lease lapses (30 s,
 *   DEFAULT_LEASE_MS: a CLI service has no way to shorten it), then another running service takes the
 *   files over and every file ends OK and complete at its final path;
 * - the server restarted during a pass with transfers in flight: the service rides it out (results
 *   finished while the server was down are recorded when it is back), does not exit, and the store
 *   agrees with the files on disk.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SyncStatus } from "../../lib/store/status.js";
import {
  type PgStudio,
  pgStudio,
  type SeededFile,
  tempFilesUnder,
  transfersByTarget,
  until,
  vendorStates,
} from "../helpers/pg-studio.js";
import { type PostgresServer, startPostgres } from "../helpers/postgres.js";
import type { LogLine } from "../helpers/service.js";

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

const fileStart = (line: LogLine) => line.event === "file-start";
const sizeOf = (file: string) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Every seeded file OK on vendor in the store with its size, and the same bytes on disk. */
async function expectAllOk(s: PgStudio, files: SeededFile[]): Promise<void> {
  const vendor = await vendorStates(await s.store(), files);
  for (const file of files) {
    expect(vendor.get(file.fileId), file.vendorPath).toEqual({ status: SyncStatus.OK, size: file.size });
    expect(sha256(file.vendorPath), file.vendorPath).toBe(file.sha256);
  }
}

describe("sync services on one PostgreSQL database, under faults", () => {
  it("a service killed mid-batch: another takes its files over once the lease lapses", {
    timeout: 120_000,
  }, async () => {
    // 4 MiB in 64 KiB chunks, 60 ms apart: each copy takes about 4 s.
    const s = await pgStudio(server, { delayMs: 60, loopDelay: 1 });
    studio = s;
    const [homeA, homeB] = [await s.home("farm1"), await s.home("farm2")];
    const files = await s.seed(6, { bytes: 4 << 20 });
    const a = s.service(homeA);
    await a.waitFor(fileStart, 20_000);
    // B starts while A holds every file of the batch: its first pass finds them all claimed.
    const b = s.service(homeB);
    await b.waitFor((line) => line.msg === "pass finished", 20_000);
    expect(
      a.lines.some((line) => line.msg === "pass done"),
      "A finished before it could be killed",
    ).toBe(false);
    expect(b.lines.some(fileStart), "B moved a file A held a live claim on").toBe(false);
    const pidA = a.child.pid as number;
    const pidB = b.child.pid as number;
    await a.stop("SIGKILL");
    const killed = Date.now();

    const store = await s.store();
    await until(
      async () => [...(await vendorStates(store, files)).values()].every((f) => f.status === SyncStatus.OK),
      "B to finish every file",
      75_000,
      500,
    );
    const takeover = b.lines.find(fileStart);
    expect(takeover).toBeDefined();
    // A's claims lived on for their lease (30 s from its last renewal, renewed every 10 s) after the kill.
    const waited = (takeover?.time as number) - killed;
    expect(waited, "B took A's files over before their lease lapsed").toBeGreaterThan(15_000);
    expect(b.child.exitCode).toBeNull();
    expect(await b.stop("SIGTERM")).toBe(0);

    await expectAllOk(s, files);
    // Each file copied at most once by each service, A's (killed) copy first; B took some over.
    const transfers = transfersByTarget(s.transferLog);
    expect([...transfers.keys()].sort()).toEqual(files.map((f) => f.vendorPath).sort());
    for (const [target, pids] of transfers) {
      expect([[pidA], [pidB], [pidA, pidB]], `${target}: ${pids}`).toContainEqual(pids);
    }
    expect([...transfers.values()].some((pids) => pids.includes(pidB))).toBe(true);
    // Nothing half-written at a final path (the contents matched above), and none of A's temporary
    // files left: B took A's files over within the lease of the kill, when those files were still younger
    // than the lease, and removed them because it held the claims on the names they would have become.
    expect(tempFilesUnder(s.vendorRoot)).toEqual([]);
  });

  it("a server restart during a pass: the pass resumes and no result is lost", {
    timeout: 120_000,
  }, async () => {
    // 2 MiB in 64 KiB chunks, 50 ms apart: each copy takes about 1.6 s; 16 at once, then 8 more.
    const s = await pgStudio(server, { delayMs: 50, loopDelay: 0.5 });
    studio = s;
    const home = await s.home("farm1");
    const files = await s.seed(24, { bytes: 2 << 20 });
    const service = s.service(home);
    await service.waitFor(fileStart, 20_000);
    // The server goes down a few chunks before the first copies end: they end while it is away.
    await until(
      () => tempFilesUnder(s.vendorRoot).some((temp) => sizeOf(temp) >= (2 << 20) - 3 * 65536),
      "the first copies to near their end",
      20_000,
      5,
    );
    const before = service.lines.length;
    const down = Date.now();
    await server.restart();
    const restarted = Date.now();

    const done = await service.waitFor(
      (line) => line.msg === "pass done" && (line.time as number) > restarted,
      60_000,
    );
    // Copies that ended while the server was away were recorded once it was back, not lost.
    const endedWhileDown = files.filter((f) => {
      const ended = statSync(f.vendorPath).mtimeMs;
      return ended > down && ended < restarted;
    });
    expect(endedWhileDown.length, `no copy ended during the ${restarted - down} ms restart`).toBeGreaterThan(
      0,
    );
    // The pass that was running when the server went down: every file done in it, none failed.
    expect(done).toMatchObject({ ok: files.length, failed: 0, aborted: 0 });
    expect(service.lines.slice(0, before).some((line) => line.msg === "pass done")).toBe(false);
    expect(service.child.exitCode).toBeNull();
    await expectAllOk(s, files);
    // No result was lost: nothing had to be copied a second time.
    const transfers = transfersByTarget(s.transferLog);
    expect([...transfers].filter(([, pids]) => pids.length !== 1)).toEqual([]);
    expect([...transfers.keys()].sort()).toEqual(files.map((f) => f.vendorPath).sort());
    expect(tempFilesUnder(s.vendorRoot)).toEqual([]);
    expect(await service.stop("SIGTERM")).toBe(0);
    expect(await (await s.store()).getClaimOwners()).toEqual([]);
  });

  it("the database away for longer than a command's retry window: the service warns, waits, and records every result when it is back", {
    timeout: 120_000,
  }, async () => {
    const s = await pgStudio(server, { delayMs: 50, loopDelay: 0.5 });
    studio = s;
    const home = await s.home("farm2");
    const files = await s.seed(8, { bytes: 1 << 20 });
    // A command would give up after 300 ms; the service must not.
    const service = s.service(home, { SITESYNC_PG_RETRY_MS: "300" });
    await service.waitFor(fileStart, 20_000);
    await server.halt();
    const halted = Date.now();
    try {
      // Every copy ends while the database is away; the warning says the service waits.
      await until(() => files.every((f) => existsSync(f.vendorPath)), "every copy to end", 30_000, 20);
      await service.waitFor(
        (line) => typeof line.msg === "string" && line.msg.includes("waiting for it"),
        10_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(Date.now() - halted).toBeGreaterThan(1_000);
      expect(service.child.exitCode).toBeNull();
    } finally {
      await server.start();
    }
    await service.waitFor((line) => line.msg === "pass done" && line.ok === files.length, 60_000);
    await expectAllOk(s, files);
    const transfers = transfersByTarget(s.transferLog);
    expect([...transfers].filter(([, pids]) => pids.length !== 1)).toEqual([]);
    expect(await service.stop("SIGTERM")).toBe(0);
  });
});
