/**
 * The gdrive provider end to end, through the public CLI (`publish`,
 * `sync --once`, `site add`, `status`) and the engine, against the Drive
 * emulator: an artist's publish goes up to a `studio` site on Google Drive
 * and down to another workstation byte for byte, on My Drive and on a shared
 * drive; folders made once under sixteen parallel uploads; a cut upload
 * resumed; rate limits waited out; a permission error failing the file for
 * good with Google's reason; odd names; and two items of one name refused.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { FOLDER_MIME } from "./emulator.js";
import {
  addItem,
  type DriveHome,
  type DriveWorld,
  driveFolder,
  driveForStudios,
  driveHome,
  driveItem,
  folderCreates,
  freshRoot,
  itemsUnder,
  type StatusJson,
  type SyncJson,
} from "./studio.js";

const world = driveForStudios();

async function syncOnce(home: DriveHome) {
  const result = await home.cli("sync", "--project", "Proj", "--once", "--json");
  return { ...result, report: result.json() as SyncJson };
}

async function statusOf(home: DriveHome, representationId: string) {
  const result = await home.cli("status", "--project", "Proj", "--json");
  expect(result.code, result.stderr).toBe(0);
  const row = (result.json() as StatusJson).representations.find(
    (r) => r.representationId === representationId,
  );
  if (!row) throw new Error(`no status row for ${representationId}: ${result.stdout}`);
  return row;
}

/** The published files' bytes on the drive equal the artist's local copies. */
function expectOnDrive(w: DriveWorld, home: DriveHome, paths: string[]): void {
  for (const rootless of paths) {
    const onDrive = driveItem(w, fillRootless(rootless, { work: home.root }));
    expect(onDrive, rootless).toBeDefined();
    expect(onDrive?.content.equals(readFileSync(fillRootless(rootless, { work: home.localRoot })))).toBe(
      true,
    );
  }
}

/** No temporary upload name (`.<name>.sitesync-...part`) is left anywhere under the site's root. */
function expectNoTempsOnDrive(w: DriveWorld, root: string): void {
  const rootId = driveItem(w, root)?.id as string;
  expect(itemsUnder(w, rootId).filter((item) => item.name.includes(".sitesync-"))).toEqual([]);
}

describe.each([
  ["My Drive", "My Drive"],
  ["a shared drive", "Studio Share"],
])("a studio site on %s", (_, drive) => {
  it("uploads an artist's published workfile with its resources, and another home downloads them byte for byte", async () => {
    const w = world();
    const root = freshRoot(drive);
    const artist = await driveHome(w, { root });
    const scene = Buffer.alloc(600 * 1024, 3);
    scene.write("//Maya ASCII scene", 0);
    const published = await artist.publish(
      { "scene.ma": scene, "res/textures/wood/albedo.png": "albedo", "res/caches/hero.abc": "alembic" },
      "--site",
      "local",
    );
    const paths = published.files.map((f) => f.path);
    expect(paths).toHaveLength(3);
    expect(published.sites).toEqual({ artist1: SyncStatus.OK, studio: SyncStatus.QUEUED });

    const up = await syncOnce(artist);
    expect(up.code, up.stderr).toBe(0);
    expect(up.report.projects[0]).toMatchObject({ transferred: 3, failed: [] });
    expectOnDrive(w, artist, paths);
    expectNoTempsOnDrive(w, root);
    const sharedDriveId = drive === "My Drive" ? undefined : w.sharedDrives.get(drive);
    for (const rootless of paths)
      expect(driveItem(w, fillRootless(rootless, { work: root }))?.driveId).toBe(sharedDriveId);
    const uploaded = await statusOf(artist, published.representationId);
    expect(uploaded.localStatus).toMatchObject({ status: SyncStatus.OK });
    expect(uploaded.remoteStatus).toMatchObject({ status: SyncStatus.OK, retries: 0 });

    // Another workstation with the same catalog asks for the representation and syncs it down.
    const other = await driveHome(w, { root, siteId: "artist2", makeRoot: false }, artist);
    const added = await other.cli(
      "site",
      "add",
      "--project",
      "Proj",
      "--representation",
      published.representationId,
      "--site",
      "local",
    );
    expect(added.code, added.stderr).toBe(0);
    const down = await syncOnce(other);
    expect(down.code, down.stderr).toBe(0);
    expect(down.report.projects[0]).toMatchObject({ transferred: 3, failed: [] });
    for (const rootless of paths) {
      expect(readFileSync(fillRootless(rootless, { work: other.localRoot }))).toEqual(
        readFileSync(fillRootless(rootless, { work: artist.localRoot })),
      );
    }
    const downloaded = await statusOf(other, published.representationId);
    expect(downloaded.localStatus).toMatchObject({ status: SyncStatus.OK, retries: 0 });
    expect(downloaded.remoteStatus).toMatchObject({ status: SyncStatus.OK });
  }, 60_000);
});

describe("gdrive through the engine", () => {
  it("makes each folder of a new nested tree exactly once while sixteen files upload in parallel", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await driveHome(w, { root });
    const files: Record<string, string> = { "scene.ma": "scene" };
    for (let i = 0; i < 15; i++) files[`res/deep/tree/t${String(i).padStart(2, "0")}.png`] = `texture ${i}`;
    const published = await artist.publish(files, "--site", "local");
    const since = w.emulator.calls.length;
    const up = await syncOnce(artist);
    expect(up.code, up.stderr).toBe(0);
    expect(up.report.projects[0]).toMatchObject({ transferred: 16, failed: [] });
    expectOnDrive(
      w,
      artist,
      published.files.map((f) => f.path),
    );
    const folders = itemsUnder(w, driveItem(w, root)?.id as string).filter(
      (item) => item.mimeType === FOLDER_MIME,
    );
    // Proj/assets/characters/hero/publish/workfile/workfileModeling/v001/resources/deep/tree
    expect(folders).toHaveLength(11);
    expect(new Set(folders.map((f) => `${f.parents[0]}/${f.name}`)).size).toBe(folders.length);
    expect(folderCreates(w, since)).toBe(folders.length);
    expectNoTempsOnDrive(w, root);
  }, 60_000);

  it("resumes an upload whose connection is cut mid-file from the bytes Drive kept, ending OK with the whole file", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await driveHome(w, { root });
    // Bigger than chunk_size_mib (0.25): four requests of a session, the cut in the first.
    const big = Buffer.alloc(1024 * 1024 + 100);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    const published = await artist.publish({ "scene.ma": big }, "--site", "local");
    const since = w.emulator.calls.length;
    w.emulator.faults.dropUploadAfter(100 * 1024);
    const up = await syncOnce(artist);
    expect(up.code, up.stderr).toBe(0);
    expect(up.report.projects[0]).toMatchObject({ transferred: 1, failed: [] });
    const rootless = published.files[0]?.path as string;
    expect(driveItem(w, fillRootless(rootless, { work: root }))?.content.equals(big)).toBe(true);
    const calls = w.emulator.calls.slice(since);
    // One session: the cut request, the status query, then whole chunks from the 100 KiB Drive kept.
    expect(calls.filter((c) => c.method === "POST" && c.path === "/upload/drive/v3/files")).toHaveLength(1);
    expect(calls.filter((c) => c.method === "PUT" && c.query.upload_id)).toHaveLength(6);
    const status = await statusOf(artist, published.representationId);
    expect(status.remoteStatus).toMatchObject({ status: SyncStatus.OK, retries: 0 });
    expectNoTempsOnDrive(w, root);
  }, 60_000);

  it("waits out 403 userRateLimitExceeded and 429 with Retry-After mid-upload, and ends OK without a retry", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await driveHome(w, { root });
    const big = Buffer.alloc(1024 * 1024, 8);
    const published = await artist.publish({ "scene.ma": big }, "--site", "local");
    const { engine } = await artist.engine();
    const since = w.emulator.calls.length;
    let started = false;
    let progressed = false;
    engine.on((event) => {
      // Metadata requests (googleapis) get the 403s, the session's chunk requests (fetch) the 429s.
      if (event.type === "file-start" && !started) {
        started = true;
        w.emulator.faults.rateLimit(2, "403", 0);
      }
      if (event.type === "file-progress" && !progressed) {
        progressed = true;
        w.emulator.faults.rateLimit(2, "429", 1);
      }
    });
    const report = await engine.runPass();
    expect(report.projects[0]?.outcomes.map((o) => o.status)).toEqual(["ok"]);
    const answered = (status: number) =>
      w.emulator.calls.slice(since).flatMap((c) => (c.status === status ? [`${c.method} ${c.path}`] : []));
    // The transfer's first metadata request (making its new folder: the folder listing cache knows the
    // root is empty), then the chunks of the session (no auth path).
    expect(answered(403)).toEqual(["POST /drive/v3/files", "POST /drive/v3/files"]);
    expect(answered(429)).toEqual(["PUT /upload/drive/v3/files", "PUT /upload/drive/v3/files"]);
    const rootless = published.files[0]?.path as string;
    expect(driveItem(w, fillRootless(rootless, { work: root }))?.content.equals(big)).toBe(true);
    const status = await statusOf(artist, published.representationId);
    expect(status.remoteStatus).toMatchObject({ status: SyncStatus.OK, retries: 0 });
  }, 60_000);

  it("fails the file for good on a permission error, with Google's reason, and sync --once exits 1", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await driveHome(w, { root, config: "{retry_cnt: 3}" });
    const published = await artist.publish({ "scene.ma": "locked out" }, "--site", "local");
    const rootId = driveFolder(w, root);
    w.emulator.faults.forbid(rootId);
    const up = await syncOnce(artist);
    expect(up.code, up.stderr).toBe(1);
    const failed = up.report.projects[0]?.failed ?? [];
    expect(failed).toHaveLength(1);
    expect(failed[0]?.retries).toBe(1);
    expect(failed[0]?.message).toContain(
      "permission denied: insufficientPermissions (Google: The user does not have sufficient permissions for this file.)",
    );
    expect(failed[0]?.message).toContain(`with the service account ${w.account.clientEmail}`);
    expect(failed[0]?.message).toContain("not retried: permanent error");
    const status = await statusOf(artist, published.representationId);
    expect(status.remoteStatus.status).toBe(SyncStatus.FAILED);
    expect(status.remoteStatus.message).toContain("insufficientPermissions");
    expect(itemsUnder(w, rootId)).toEqual([]);
  }, 60_000);

  it("fails the file for good when the service account is revoked mid-upload, not leaving it IN_PROGRESS", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await driveHome(w, { root, config: "{retry_cnt: 3}" });
    const published = await artist.publish({ "scene.ma": Buffer.alloc(1024 * 1024, 2) }, "--site", "local");
    const { engine } = await artist.engine();
    let revoked = false;
    engine.on((event) => {
      if (event.type === "file-progress" && !revoked) {
        revoked = true;
        w.emulator.revoke(w.account.clientEmail);
      }
    });
    const report = await engine.runPass();
    const outcome = report.projects[0]?.outcomes[0];
    expect(outcome?.status).toBe("failed");
    const [state] = await (await artist.open()).store.getSiteStates(
      "Proj",
      [published.representationId],
      ["studio"],
    );
    expect(state?.status).toBe(SyncStatus.FAILED);
    expect(state?.files[0]).toMatchObject({ status: SyncStatus.FAILED, retries: 1 });
    expect(state?.files[0]?.message).toContain("Google refused the service account's credentials");
  }, 60_000);

  it("moves names with single quotes and backslashes (root folder, resource folders and files) both ways", async () => {
    const w = world();
    const root = freshRoot("My Drive", "it's a \\ 'root'");
    const artist = await driveHome(w, { root });
    const published = await artist.publish(
      { "scene.ma": "odd names", "res/director's cut/o'neil's plate.png": "plate", "res/a''b/x.png": "x" },
      "--site",
      "local",
    );
    const paths = published.files.map((f) => f.path);
    const up = await syncOnce(artist);
    expect(up.code, up.stderr).toBe(0);
    expect(up.report.projects[0]).toMatchObject({ transferred: 3, failed: [] });
    expectOnDrive(w, artist, paths);
    expect(driveItem(w, `${root}/Proj`)?.mimeType).toBe(FOLDER_MIME);

    const other = await driveHome(w, { root, siteId: "artist2", makeRoot: false }, artist);
    expect(
      (
        await other.cli(
          "site",
          "add",
          "--project",
          "Proj",
          "--representation",
          published.representationId,
          "--site",
          "local",
        )
      ).code,
    ).toBe(0);
    const down = await syncOnce(other);
    expect(down.code, down.stderr).toBe(0);
    for (const rootless of paths) {
      expect(readFileSync(fillRootless(rootless, { work: other.localRoot }))).toEqual(
        readFileSync(fillRootless(rootless, { work: artist.localRoot })),
      );
    }
  }, 60_000);

  it("refuses to upload into a folder Drive holds twice, naming the path, and writes into neither", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await driveHome(w, { root });
    const rootId = driveFolder(w, root);
    const twins = [addItem(w, rootId, "Proj", undefined, null), addItem(w, rootId, "Proj", undefined, null)];
    const published = await artist.publish({ "scene.ma": "where to?" }, "--site", "local");
    const up = await syncOnce(artist);
    expect(up.code, up.stderr).toBe(1);
    const message = up.report.projects[0]?.failed[0]?.message;
    expect(message).toContain(
      `${root}/Proj is ambiguous on site studio: Drive holds 2 items with that name in one folder; keep one (rename or remove the others in Drive)`,
    );
    const status = await statusOf(artist, published.representationId);
    expect(status.remoteStatus.status).toBe(SyncStatus.FAILED);
    for (const twin of twins) expect(itemsUnder(w, twin.id)).toEqual([]);
  }, 60_000);

  it("refuses to download a file Drive holds twice, naming the path, instead of picking one", async () => {
    const w = world();
    const root = freshRoot();
    const artist = await driveHome(w, { root });
    const published = await artist.publish({ "scene.ma": "the real one" }, "--site", "local");
    expect((await syncOnce(artist)).code).toBe(0);
    const rootless = published.files[0]?.path as string;
    const onDrive = fillRootless(rootless, { work: root });
    const original = driveItem(w, onDrive);
    if (!original) throw new Error(`${onDrive} was not uploaded`);
    addItem(w, original.parents[0] as string, original.name, undefined, Buffer.from("an impostor!"));

    const other = await driveHome(w, { root, siteId: "artist2", makeRoot: false }, artist);
    const added = await other.cli(
      "site",
      "add",
      "--project",
      "Proj",
      "--representation",
      published.representationId,
      "--site",
      "local",
    );
    expect(added.code, added.stderr).toBe(0);
    const down = await syncOnce(other);
    expect(down.code, down.stderr).toBe(1);
    expect(down.report.projects[0]?.failed[0]?.message).toContain(
      `${onDrive} is ambiguous on site studio: Drive holds 2 items with that name in one folder`,
    );
    const status = await statusOf(other, published.representationId);
    expect(status.localStatus.status).toBe(SyncStatus.FAILED);
    expect(() => readFileSync(fillRootless(rootless, { work: other.localRoot }))).toThrow(/ENOENT/);
  }, 60_000);
});
