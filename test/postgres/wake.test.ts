/**
 * Wake-ups across machines through the PostgreSQL store (issue 13): `sitesync site add` on one machine
 * (home) notifies `sitesync_work`; an idle service on another machine, whose loop_delay is an hour,
 * starts the transfer within a second of the command's exit (the goal), measured from the
 * wake, not from any process start-up.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SyncStatus } from "../../lib/store/status.js";
import { type PgStudio, pgStudio, vendorStates } from "../helpers/pg-studio.js";
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

describe("a wake-up through the PostgreSQL store", () => {
  it("site add on another machine starts the idle service's transfer within a second", {
    timeout: 60_000,
  }, async () => {
    const s = await pgStudio(server, { loopDelay: 3600 });
    studio = s;
    const serviceHome = await s.home("farm1");
    const artistHome = await s.home("artist2");
    // Published on studio only: nothing queued for vendor until `site add`.
    const files = await s.seed(3, { vendor: false });
    const service = s.service(serviceHome);
    await service.waitFor((line) => line.msg === "pass finished", 20_000);
    const passes = () => service.lines.filter((line) => line.msg === "pass finished").length;

    for (const file of files) {
      const idle = passes();
      const added = await s.cli(
        artistHome,
        ...["site", "add", "--project", "Proj", "--representation", file.representationId],
        ...["--site", "vendor", "--json"],
      );
      const exited = Date.now();
      expect(added.code, added.stderr).toBe(0);
      const started = (line: LogLine) =>
        line.event === "file-start" && line.representationId === file.representationId;
      const line = await service.waitFor(started, 5_000);
      // The service's own timestamp of the transfer start, against the command's exit (same clock).
      const latency = (line.time as number) - exited;
      expect(latency, `transfer started ${latency} ms after site add exited`).toBeLessThan(1000);
      // The pass the wake ran moved the file; before the command, the service had been idle.
      await service.waitFor(
        (l) => l.msg === "pass finished" && (l.time as number) >= (line.time as number),
        10_000,
      );
      const before = service.lines.filter(
        (l) => l.msg === "pass finished" && (l.time as number) < (line.time as number),
      );
      expect(before.length, "a pass ran between the wake-ups").toBe(idle);
    }
    const vendor = await vendorStates(await s.store(), files);
    for (const file of files) expect(vendor.get(file.fileId)?.status).toBe(SyncStatus.OK);
    expect(service.child.exitCode).toBeNull();
  });
});
