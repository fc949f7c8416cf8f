/**
 * `sitesync store copy --from sqlite:PATH --to postgres://...` (lib/store/copy.ts): real SQLite homes
 * made with the built CLI, a real PostgreSQL cluster for the file, the built command.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CopyProgress, type CopyReport, copyStore, ENTITIES } from "../../lib/store/copy.js";
import { openPostgresStore } from "../../lib/store/postgres/index.js";
import { openSqliteStore } from "../../lib/store/sqlite/index.js";
import type { Store } from "../../lib/store/types.js";
import { CLI, type CliResult, makeStudio, runCli, type Studio } from "../helpers/cli.js";
import { rowCounts } from "../helpers/db.js";
import { type PostgresServer, startPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/tmp.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const TABLES = [
  "projects",
  "folders",
  "tasks",
  "products",
  "versions",
  "version_links",
  "representations",
  "files",
  "sync_state",
] as const;

interface Published {
  versionId: string;
  representationId: string;
  files: Array<{ id: string }>;
}

interface Source {
  studio: Studio;
  file: string;
  /** workfileModeling v001 (three files), v002 (one file), modelMain v001 on studio linked to v001. */
  published: Published[];
}

async function publish(studio: Studio, product: string, files: string[], ...more: string[]) {
  const result = await studio.run(
    ...["publish", "--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
    ...["--product", product, "--product-type", product.startsWith("model") ? "model" : "workfile"],
    ...files.flatMap((f) => ["--file", f]),
    ...more,
    "--json",
  );
  if (result.code !== 0) throw new Error(`publish failed: ${result.stderr}`);
  return result.json() as Published;
}

/** A home with three representations, one with several files, each with states on two sites. */
async function makeSource(siteId = "artist1", versions = 2): Promise<Source> {
  const studio = await makeStudio(siteId);
  const src = path.join(studio.dir, "src");
  mkdirSync(path.join(src, "res/tex"), { recursive: true });
  writeFileSync(path.join(src, "scene.ma"), `scene of ${siteId}`);
  writeFileSync(path.join(src, "res/tex/a.png"), "a");
  writeFileSync(path.join(src, "res/tex/b.png"), "bb");
  writeFileSync(path.join(src, "model.abc"), "abc");
  const published: Published[] = [];
  published.push(
    await publish(
      studio,
      "workfileModeling",
      [path.join(src, "scene.ma")],
      "--resources",
      path.join(src, "res"),
    ),
  );
  if (versions > 1) published.push(await publish(studio, "workfileModeling", [path.join(src, "scene.ma")]));
  const first = published[0] as Published;
  published.push(
    await publish(
      studio,
      "modelMain",
      [path.join(src, "model.abc")],
      ...["--site", "studio", "--link", `reference:${first.versionId}`],
    ),
  );
  return { studio, file: path.join(studio.home, "sitesync.db"), published };
}

const copy = (from: string, to: string, ...more: string[]): Promise<CliResult> =>
  runCli(["store", "copy", "--from", from, "--to", to, ...more]);

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Row counts of every copied table; `null` when sitesync never created its schema there. */
function pgCounts(url: string): Promise<Record<string, number> | null> {
  return withClient(url, async (client) => {
    const schema = await client.query("SELECT to_regclass('sitesync_schema') IS NOT NULL AS present");
    if (!schema.rows[0]?.present) return null;
    const out: Record<string, number> = {};
    for (const table of TABLES) {
      out[table] = Number((await client.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0]?.n);
    }
    return out;
  });
}

/** Every representation (with files) and every site state of the project, in a comparable order. */
async function contents(store: Store) {
  const representations = (await store.listRepresentations("Proj", { limit: 1000 })).sort((a, b) =>
    a.id.localeCompare(b.id),
  );
  const states = (
    await store.getSiteStates(
      "Proj",
      representations.map((r) => r.id),
    )
  ).sort((a, b) => `${a.representationId}/${a.site}`.localeCompare(`${b.representationId}/${b.site}`));
  return { representations, states };
}

async function withStores<T>(file: string, url: string, use: (sqlite: Store, postgres: Store) => Promise<T>) {
  const sqlite = openSqliteStore(file);
  const postgres = await openPostgresStore({ url, source: "test" });
  try {
    return await use(sqlite, postgres);
  } finally {
    await sqlite.close();
    await postgres.close();
  }
}

function expectNoPassword(result: CliResult, password: string): void {
  expect(password.length).toBeGreaterThan(4);
  expect(result.stdout).not.toContain(password);
  expect(result.stderr).not.toContain(password);
  expect(result.stdout).not.toContain(encodeURIComponent(password));
  expect(result.stderr).not.toContain(encodeURIComponent(password));
}

describe("sitesync store copy", () => {
  it("copies every representation, file and site state of a home into an empty database", async () => {
    const source = await makeSource();
    const url = await server.newDatabase();
    const result = await copy(`sqlite:${source.file}`, url, "--json");
    expect(result.code, result.stderr).toBe(0);
    expectNoPassword(result, server.password);
    const report = result.json() as CopyReport;
    expect(report.to).toBe(
      `postgres://${server.user}@127.0.0.1:${server.port}/${new URL(url).pathname.slice(1)}`,
    );
    expect(report.from).toBe(`sqlite:${source.file}`);
    expect(report.conflicts).toEqual([]);
    expect(report.notCopied).toEqual(["claims", "pauses"]);
    const counts = rowCounts(source.studio.home);
    expect(report.counts.representations).toEqual({ copied: 3, present: 0, skipped: 0 });
    expect(report.counts.files).toEqual({ copied: counts.files, present: 0, skipped: 0 });
    expect(report.counts.files.copied).toBe(5);
    expect(report.counts.siteStates).toEqual({ copied: counts.sync_state, present: 0, skipped: 0 });
    expect(report.counts.versionLinks).toEqual({ copied: 1, present: 0, skipped: 0 });
    expect(await pgCounts(url)).toEqual({
      ...counts,
      version_links: 1,
    });

    await withStores(source.file, url, async (sqlite, postgres) => {
      const want = await contents(sqlite);
      const got = await contents(postgres);
      expect(want.representations).toHaveLength(3);
      expect(want.representations.find((r) => r.files.length === 3)).toBeDefined();
      expect(new Set(want.states.map((s) => s.site))).toEqual(new Set(["artist1", "studio"]));
      expect(got).toEqual(want);
      const link = (source.published[0] as Published).versionId;
      const model = (source.published[2] as Published).versionId;
      expect(await postgres.getVersionLinks("Proj", [model])).toEqual(
        await sqlite.getVersionLinks("Proj", [model]),
      );
      expect((await postgres.getVersionLinks("Proj", [model]))[0]?.inputVersionId).toBe(link);
      expect(await postgres.getProject("Proj")).toEqual(await sqlite.getProject("Proj"));
    });
  });

  it("reports everything as already present on a second copy and changes no row", async () => {
    const source = await makeSource();
    const url = await server.newDatabase();
    const first = await copy(`sqlite:${source.file}`, url, "--json");
    expect(first.code, first.stderr).toBe(0);
    const before = await pgCounts(url);
    const second = await copy(`sqlite:${source.file}`, url, "--json");
    expect(second.code, second.stderr).toBe(0);
    const a = first.json() as CopyReport;
    const b = second.json() as CopyReport;
    for (const entity of ENTITIES) {
      expect(b.counts[entity], entity).toEqual({ copied: 0, present: a.counts[entity].copied, skipped: 0 });
      expect(a.counts[entity].copied, entity).toBeGreaterThan(0);
    }
    expect(await pgCounts(url)).toEqual(before);
    const text = await copy(`sqlite:${source.file}`, url);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("representations: 0 copied, 3 already present");
    expect(text.stdout).toContain("not copied: claims and pauses");
    // Not a terminal: no progress bar on stderr.
    expect(text.stderr).not.toContain("representations [");
    expect(text.stderr).not.toContain("copying");
  });

  it("draws a progress bar on a terminal's stderr, and none under --json", async () => {
    const source = await makeSource();
    const url = await server.newDatabase();
    const shown = await inTerminal(["store", "copy", "--from", `sqlite:${source.file}`, "--to", url]);
    expect(shown.code, shown.output).toBe(0);
    expect(shown.output).toMatch(/copying \[[^\]]*\] 3\/3 representations/);
    expect(shown.output).not.toContain(server.password);
    const json = await inTerminal([
      "store",
      "copy",
      "--from",
      `sqlite:${source.file}`,
      "--to",
      url,
      "--json",
    ]);
    expect(json.code, json.output).toBe(0);
    expect(json.output).not.toContain("copying [");
    expect(json.output).toContain('"present": 3');
  });

  it("keeps a site state the target already has (the studio's wins) and adds the ones it lacks", async () => {
    const source = await makeSource();
    const url = await server.newDatabase();
    const report1 = await copyStore({ from: source.file, to: { url, source: "test" }, pageSize: 1 });
    const [published] = source.published;
    const id = (published as Published).representationId;
    await withClient(url, async (client) => {
      await client.query(
        "UPDATE sync_state SET priority = 99 WHERE representation_id = $1 AND site = 'studio'",
        [id],
      );
      await client.query("DELETE FROM sync_state WHERE representation_id = $1 AND site = 'artist1'", [id]);
    });
    const progress: CopyProgress[] = [];
    const report2 = await copyStore({
      from: source.file,
      to: { url, source: "test" },
      pageSize: 2,
      onProgress: (p) => progress.push(p),
    });
    expect(progress[0]).toEqual({ done: 0, total: 3 });
    expect(progress.at(-1)).toEqual({ done: 3, total: 3 });
    expect(progress.length).toBe(3); // 0, then pages of 2 and 1
    expect(report2.counts.siteStates).toEqual({
      copied: 1,
      present: report1.counts.siteStates.copied - 1,
      skipped: 0,
    });
    const states = await withClient(
      url,
      async (client) =>
        (
          await client.query<{ site: string; priority: number }>(
            "SELECT site, priority FROM sync_state WHERE representation_id = $1 ORDER BY site",
            [id],
          )
        ).rows,
    );
    expect(states).toEqual([
      { site: "artist1", priority: 50 },
      { site: "studio", priority: 99 },
    ]);
  });

  it("merges into a project the target imported itself, by folder path, keeping the studio's code", async () => {
    const source = await makeSource();
    const url = await server.newDatabase();
    const sqlite = openSqliteStore(source.file);
    const anatomy = (await sqlite.getProject("Proj"))?.anatomy;
    await sqlite.close();
    const studioStore = await openPostgresStore({ url, source: "test" });
    let studioFolderId: string | undefined;
    try {
      await studioStore.importProject({
        name: "Proj",
        code: "STUDIO",
        anatomy: anatomy as NonNullable<typeof anatomy>,
        folders: [{ path: "/assets/characters/hero", tasks: [{ name: "modeling", type: "Modeling" }] }],
      });
      studioFolderId = (await studioStore.getFolderByPath("Proj", "/assets/characters/hero"))?.id;
    } finally {
      await studioStore.close();
    }
    const localFolderId = await (async () => {
      const store = openSqliteStore(source.file);
      try {
        return (await store.getFolderByPath("Proj", "/assets/characters/hero"))?.id;
      } finally {
        await store.close();
      }
    })();
    expect(studioFolderId).toBeDefined();
    expect(studioFolderId).not.toBe(localFolderId);

    const result = await copy(`sqlite:${source.file}`, url, "--json");
    expect(result.code, result.stderr).toBe(0);
    const report = result.json() as CopyReport;
    expect(report.counts.projects).toEqual({ copied: 0, present: 1, skipped: 0 });
    expect(report.counts.folders).toEqual({ copied: 0, present: 3, skipped: 0 });
    // modeling was there; rigging (from the workstation's project file) was not.
    expect(report.counts.tasks).toEqual({ copied: 1, present: 1, skipped: 0 });
    expect(report.counts.representations.copied).toBe(3);

    const rows = await withClient(url, async (client) => ({
      folders: (await client.query("SELECT path FROM folders ORDER BY path")).rows.map((r) => r.path),
      code: (await client.query("SELECT code FROM projects WHERE name = 'Proj'")).rows[0]?.code,
      productFolders: (await client.query("SELECT DISTINCT folder_id FROM products")).rows.map(
        (r) => r.folder_id,
      ),
      taskFolders: (await client.query("SELECT DISTINCT folder_id FROM tasks")).rows.map((r) => r.folder_id),
    }));
    expect(rows.folders).toEqual(["/assets", "/assets/characters", "/assets/characters/hero"]);
    expect(rows.code).toBe("STUDIO");
    expect(rows.productFolders).toEqual([studioFolderId]);
    expect(rows.taskFolders).toEqual([studioFolderId]);

    await withStores(source.file, url, async (sqlite, postgres) => {
      const want = await contents(sqlite);
      expect(await contents(postgres)).toEqual(want);
      const [version] = await postgres.getVersions("Proj", {
        ids: [(source.published[0] as Published).versionId],
      });
      const [product] = await postgres.getProducts("Proj", { names: ["workfileModeling"] });
      expect(version?.productId).toBe(product?.id);
      expect(product?.folderId).toBe(studioFolderId);
    });
  });

  it("reports a version number the target has from another publish and leaves it and all under it out", async () => {
    // Another workstation published workfileModeling v001 of the same task first.
    const other = await makeStudio("artist2");
    writeFileSync(path.join(other.dir, "theirs.ma"), "their scene");
    const theirs = await publish(other, "workfileModeling", [path.join(other.dir, "theirs.ma")]);
    const source = await makeSource();
    const url = await server.newDatabase();
    expect((await copy(`sqlite:${path.join(other.home, "sitesync.db")}`, url)).code).toBe(0);
    const before = await pgCounts(url);
    const result = await copy(`sqlite:${source.file}`, url, "--json");
    expect(result.code, result.stderr).toBe(0);
    const report = result.json() as CopyReport;
    const [mine, v2, model] = source.published as [Published, Published, Published];
    expect(report.conflicts).toEqual([
      {
        project: "Proj",
        folder: "/assets/characters/hero",
        product: "workfileModeling",
        version: 1,
        sourceVersionId: mine.versionId,
        targetVersionId: theirs.versionId,
      },
    ]);
    expect(report.counts.versions).toEqual({ copied: 2, present: 0, skipped: 1 });
    expect(report.counts.representations).toEqual({ copied: 2, present: 0, skipped: 1 });
    expect(report.counts.files).toEqual({ copied: 2, present: 0, skipped: 3 });
    expect(report.counts.siteStates).toEqual({ copied: 4, present: 0, skipped: 2 });
    // modelMain's reference link points at the left-out version.
    expect(report.counts.versionLinks).toEqual({ copied: 0, present: 0, skipped: 1 });
    const ids = await withClient(url, async (client) =>
      (await client.query("SELECT id FROM representations")).rows.map((r) => r.id as string),
    );
    expect(ids.sort()).toEqual([theirs.representationId, v2.representationId, model.representationId].sort());
    const after = await pgCounts(url);
    expect(after).toEqual({
      ...before,
      versions: 3,
      representations: 3,
      products: 2,
      files: (before?.files ?? 0) + 2,
      sync_state: (before?.sync_state ?? 0) + 4,
    });
    const text = await copy(`sqlite:${source.file}`, url);
    expect(text.stdout).toContain(
      `Proj /assets/characters/hero workfileModeling v001: this store's ${mine.versionId}, the target's ${theirs.versionId}`,
    );
  });

  it("exits 2 on bad arguments and writes nothing", async () => {
    const source = await makeSource();
    const url = await server.newDatabase();
    const cwd = tempDir();
    const sourceRows = rowCounts(source.studio.home);
    const malformed = `postgres://${server.user}:${server.password}@127.0.0.1:notaport/db`;
    const cases: Array<[string[], string]> = [
      [["--from", "sqlite:/missing.db", "--to", url], "/missing.db"],
      [["--from", `sqlite:${source.file}`, "--to", "sqlite:x"], "not sqlite to sqlite"],
      [["--from", url, "--to", `sqlite:${source.file}`], "not postgres to sqlite"],
      [["--from", `sqlite:${source.file}`, "--to", malformed], "notaport"],
      [["--from", `sqlite:${source.file}`, "--to", "mysql://x"], "neither sqlite:PATH nor postgres"],
      [["--from", `sqlite:${source.file}`], "give both --from"],
      [["--to", url], "give both --from"],
      [["--from", `sqlite:${path.join(cwd, "not-a-store.db")}`, "--to", url], "not-a-store.db"],
    ];
    writeFileSync(path.join(cwd, "not-a-store.db"), "this is not a database");
    for (const [args, says] of cases) {
      const result = await runCli(["store", "copy", ...args, "--json"], { cwd });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toContain(says);
      expect((result.json() as { error: { exitCode: number } }).error.exitCode).toBe(2);
      expectNoPassword(result, server.password);
    }
    expect(existsSync(path.join(cwd, "x"))).toBe(false);
    expect(await pgCounts(url)).toBeNull();
    expect(rowCounts(source.studio.home)).toEqual(sourceRows);
  });

  it("exits 2 naming host:port within seconds when the target does not answer, without the password", async () => {
    const source = await makeSource();
    const port = await closedPort();
    const password = "n0t-Shown-Secret";
    const started = Date.now();
    const result = await copy(
      `sqlite:${source.file}`,
      `postgres://someone:${password}@127.0.0.1:${port}/studio`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expectNoPassword(result, password);
  });
});

/** util-linux `script` (Debian's essential bsdutils): runs a command on a pseudo-terminal, so stderr is a TTY. */
const SCRIPT = "/usr/bin/script";

/** The built CLI on a terminal (stdout and stderr both the terminal's output). */
function inTerminal(args: string[]): Promise<{ code: number | null; output: string }> {
  const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(SCRIPT, ["-qec", command, "/dev/null"], {
      env: { ...process.env, COLUMNS: "120", TERM: "xterm" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** A port nobody listens on: bound, then closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
