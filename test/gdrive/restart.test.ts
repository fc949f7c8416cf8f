/**
 * A sync service stopped or killed mid-upload to a gdrive site resumes the
 * same Drive session after its restart (docs/architecture.md "Resumable
 * uploads"): the session was kept with the file's state, so the new process
 * sends only what Drive had not acknowledged. A proxy in front of the
 * emulator (SITESYNC_GDRIVE_API_URL points at it, as at a studio behind one)
 * holds the upload part way, so the process dies at a known point.
 */
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { API_URL_VARIABLE } from "../../providers/gdrive/client.js";
import { startService } from "../helpers/service.js";
import { type HoldingProxy, startHoldingProxy } from "./holding-proxy.js";
import { driveForStudios, driveHome, driveItem, freshRoot, itemsUnder, type StatusJson } from "./studio.js";

const world = driveForStudios();
const CHUNK = 256 * 1024;
const md5 = (data: Buffer) => createHash("md5").update(data).digest("hex");

let proxy: HoldingProxy;
beforeAll(async () => {
  proxy = await startHoldingProxy(world().emulator.url);
});
afterAll(async () => {
  await proxy.close();
});

function studioRow(home: string, representationId: string): { files: string; status: number } | undefined {
  const db = new Database(path.join(home, "sitesync.db"), { readonly: true });
  try {
    return db
      .prepare("SELECT files, status FROM sync_state WHERE representation_id = ? AND site = 'studio'")
      .get(representationId) as { files: string; status: number } | undefined;
  } finally {
    db.close();
  }
}

const studioStatus = (home: string, representationId: string) => studioRow(home, representationId)?.status;

/** The resume points the home's store holds for the representation's files on the studio site. */
function resumePoints(home: string, representationId: string): unknown[] {
  const row = studioRow(home, representationId);
  const files = row ? (JSON.parse(row.files) as Array<{ resume?: unknown }>) : [];
  return files.flatMap((f) => (f.resume ? [f.resume] : []));
}

/** Resolves once `check` holds, looking every 20 ms; fails after `ms`. */
async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(["SIGKILL", "SIGTERM"] as const)(
  "a sync service ended by %s mid-upload to Google Drive",
  (signal) => {
    it("resumes the same upload session after its restart and sends only the rest", async () => {
      const w = world();
      const root = freshRoot();
      const artist = await driveHome(w, { root });
      const scene = randomBytes(12 * CHUNK);
      const published = await artist.publish({ "scene.ma": scene }, "--site", "local");
      const [file] = published.files;
      const env = { [API_URL_VARIABLE]: proxy.url, SITESYNC_RETRY_BASE_MS: "5" };
      const sessions = () =>
        w.emulator.calls.filter((c) => c.method === "POST" && c.query.uploadType === "resumable").length;
      const sessionsBefore = sessions();

      const held = proxy.holdFrom(5 * CHUNK);
      const first = startService(artist.home, "local", env);
      await held;
      await until(
        () => resumePoints(artist.home, published.representationId).length === 1,
        "the resume point",
      );
      const [point] = resumePoints(artist.home, published.representationId) as Array<{
        temp: string;
        token: string;
      }>;
      expect(point?.temp).toMatch(
        /\/\.PR_hero_workfileModeling_v001\.ma\.sitesync-\d+-[0-9a-z]+-[0-9a-f]{12}\.part$/,
      );
      await first.stop(signal);
      proxy.release();
      const putsBefore = proxy.puts.length;
      const uploadId = proxy.puts.at(-1)?.uploadId;

      const second = startService(artist.home, "local", env);
      try {
        await until(
          () => studioStatus(artist.home, published.representationId) === SyncStatus.OK,
          "the upload to end OK",
          30_000,
        );
      } finally {
        await second.stop("SIGTERM");
      }

      // One session for the whole upload, its chunks after the restart all from where Drive got.
      expect(sessions()).toBe(sessionsBefore + 1);
      const after = proxy.puts.slice(putsBefore);
      expect(after.every((put) => put.uploadId === uploadId)).toBe(true);
      expect(after[0]?.range).toBe(`bytes */${scene.length}`);
      const starts = after.slice(1).map((put) => Number(/^bytes (\d+)-/.exec(put.range)?.[1]));
      expect(starts[0]).toBeGreaterThanOrEqual(4 * CHUNK);
      expect(starts.length).toBeLessThanOrEqual(12 - 4);

      // The whole file at its final path, Drive's md5 that of the bytes, nothing temporary left.
      const final = driveItem(w, fillRootless(file?.path as string, { work: root }));
      expect(final?.content.equals(scene)).toBe(true);
      expect(final?.md5Checksum).toBe(md5(scene));
      const rootId = driveItem(w, root)?.id as string;
      expect(itemsUnder(w, rootId).filter((item) => item.name.includes(".sitesync-"))).toEqual([]);
      expect(resumePoints(artist.home, published.representationId)).toEqual([]);
      const status = await artist.cli("status", "--project", "Proj", "--json");
      expect(status.stdout).not.toContain(uploadId as string);
      const row = (status.json() as StatusJson).representations.find(
        (r) => r.representationId === published.representationId,
      );
      expect(row?.remoteStatus).toMatchObject({ status: SyncStatus.OK, retries: 0 });
    }, 60_000);
  },
);
