/**
 * `sitesync dashboard`'s live updates on a PostgreSQL store, where there is
 * no file to watch: another machine's change of a project's statuses reaches
 * an open page as a server-sent event.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openContext } from "../../lib/context.js";
import { startDashboard } from "../../lib/dashboard/server.js";
import { serviceToken } from "../../lib/service/wake.js";
import { registerProvider } from "../../providers/registry.js";
import { createSlowDriveFactory } from "../fixtures/providers/slow-drive-impl.mjs";
import { pgStudio } from "../helpers/pg-studio.js";
import { type PostgresServer, startPostgres } from "../helpers/postgres.js";

registerProvider(createSlowDriveFactory("slow_drive", 50), { replace: true });

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe("status page on a PostgreSQL store", () => {
  it("shows the shared store's rows and hears another machine's status change", async () => {
    const pg = await pgStudio(server);
    const [seeded] = await pg.seed(1);
    const home = path.join(pg.dir, "home-farm0");
    const context = await openContext({
      home,
      env: { ...process.env, ...pg.env, AYON_SITE_ID: "", SITESYNC_STORE_URL: "" },
    });
    const token = serviceToken(home);
    const dashboard = await startDashboard({ context, token, port: 0, wake: async () => undefined });
    const cookie = `sitesync_dashboard_${dashboard.port}=${token}`;
    const controller = new AbortController();
    try {
      const page = await (await fetch(`${dashboard.origin}/?project=Proj`, { headers: { cookie } })).text();
      expect(page).toContain(seeded?.representationId);
      expect(page).toContain("Remote (vendor)");
      const events = await fetch(`${dashboard.origin}/events?project=Proj`, {
        headers: { cookie },
        signal: controller.signal,
      });
      const reader = (events.body as ReadableStream<Uint8Array>).getReader();
      let text = new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain(": connected");
      // Another machine (home) re-queues the file on studio: OK -> QUEUED changes the counts.
      const other = await pg.home("farm1");
      const reset = await pg.cli(
        other,
        ...["site", "reset", "--project", "Proj", "--representation", seeded?.representationId as string],
        ...["--site", "studio"],
      );
      expect(reset.code, reset.stderr).toBe(0);
      while (!text.includes("event: changed")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain("event: changed");
    } finally {
      controller.abort();
      await dashboard.close();
      await context.store.close();
      await pg.close();
    }
  });
});
