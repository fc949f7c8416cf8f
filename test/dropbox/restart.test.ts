/**
 * A sync service stopped or killed mid-upload to a dropbox site resumes the same upload session after its
 * restart (docs/architecture.md "Resumable uploads"): the provider's token (session id and offset) was kept
 * with the file's state, so the new process asks Dropbox where the session is and sends only the rest. The
 * emulator holds an append part way through the file, so the process dies at a known point.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { API_URL_VARIABLE, CONTENT_URL_VARIABLE } from "../../providers/dropbox/http.js";
import { startService } from "../helpers/service.js";
import { dropboxForStudios, dropboxHome, freshRoot } from "./studio.js";

const world = dropboxForStudios();
const MiB = 1024 * 1024;
/** The provider's default chunk. */
const CHUNK = 16 * MiB;

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

/** The resume points the home's store holds for the representation's files on the studio site. */
function resumePoints(home: string, representationId: string): Array<{ temp: string; token: string }> {
  const row = studioRow(home, representationId);
  const files = row ? (JSON.parse(row.files) as Array<{ resume?: { temp: string; token: string } }>) : [];
  return files.flatMap((f) => (f.resume ? [f.resume] : []));
}

/** Resolves once `check` holds, looking every 20 ms; fails after `ms`. */
async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(["SIGKILL", "SIGTERM"] as const)(
  "a sync service ended by %s mid-upload to Dropbox",
  (signal) => {
    it("resumes the same upload session after its restart and sends only the rest", async () => {
      const w = world();
      const root = freshRoot();
      const artist = await dropboxHome(w, { root });
      const scene = randomBytes(2 * CHUNK + 5 * MiB);
      const published = await artist.publish({ "scene.ma": scene }, "--site", "local");
      const [file] = published.files;
      const env = {
        [API_URL_VARIABLE]: w.emulator.url,
        [CONTENT_URL_VARIABLE]: w.emulator.url,
        SITESYNC_RETRY_BASE_MS: "5",
      };
      const routes = () => w.emulator.calls.map((call) => call.route);

      const held = w.emulator.faults.holdAppendFrom(CHUNK);
      const first = startService(artist.home, "local", env);
      await held;
      await until(
        () => resumePoints(artist.home, published.representationId).length === 1,
        "the resume point",
      );
      const [point] = resumePoints(artist.home, published.representationId);
      expect(point?.temp).toMatch(
        /\/\.PR_hero_workfileModeling_v001\.ma\.sitesync-\d+-[0-9a-z]+-[0-9a-f]{12}\.part$/,
      );
      expect(JSON.parse(point?.token ?? "{}")).toMatchObject({ offset: CHUNK, size: scene.length });
      await first.stop(signal);
      w.emulator.faults.release();
      const starts = routes().filter((r) => r === "files/upload_session/start").length;
      const callsBefore = w.emulator.calls.length;

      const second = startService(artist.home, "local", env);
      try {
        await until(
          () => studioRow(artist.home, published.representationId)?.status === SyncStatus.OK,
          "the upload to end OK",
          40_000,
        );
      } finally {
        await second.stop("SIGTERM");
      }

      // No new session: the rest of the file, and only the rest, went into the one the token named.
      expect(routes().filter((r) => r === "files/upload_session/start")).toHaveLength(starts);
      const after = w.emulator.calls
        .slice(callsBefore)
        .filter((call) => call.route.startsWith("files/upload"));
      const session = JSON.parse(point?.token ?? "{}").session as string;
      for (const call of after)
        expect((call.arg as { cursor: { session_id: string } }).cursor.session_id).toBe(session);
      expect(after[0]).toMatchObject({ route: "files/upload_session/append_v2", bytes: 0 });
      expect(after.reduce((sum, call) => sum + call.bytes, 0)).toBe(scene.length - CHUNK);

      const final = w.folder.get(fillRootless(file?.path as string, { work: root }));
      expect(final?.content.equals(scene)).toBe(true);
      expect([...w.folder.entries.keys()].filter((key) => key.includes(".sitesync-"))).toEqual([]);
      expect(resumePoints(artist.home, published.representationId)).toEqual([]);
      const status = await artist.cli("status", "--project", "Proj", "--json");
      expect(status.stdout).not.toContain(session);
    }, 90_000);
  },
);
