/**
 * Two homes on one PostgreSQL database (issue 13): the studio's machine publishes, an artist's
 * machine (another home, another local site) finds the publish through the shared catalog, brings it
 * with the hook and writes v+1, and the studio's machine then sees the artist's site OK. The password
 * reaches sitesync only through PGPASSWORD and never appears in any output.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../lib/store/postgres/index.js";
import { SyncStatus } from "../../lib/store/status.js";
import { type CliResult, PROJECT_YAML, publishArgs, runCli } from "../helpers/cli.js";
import { artistSettings } from "../helpers/engine.js";
import { type HookJson, launchSettings } from "../helpers/hook.js";
import { type PostgresServer, startPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/tmp.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

interface Home {
  home: string;
  localRoot: string;
  run: (...args: string[]) => Promise<CliResult>;
}

/** A home whose settings choose the shared database by a URL without its password. */
async function homeOn(url: string, siteId: string, dir: string, studioRoot: string): Promise<Home> {
  const home = path.join(dir, `home-${siteId}`);
  const localRoot = path.join(dir, `local-${siteId}`);
  mkdirSync(home, { recursive: true });
  const withoutPassword = url.replace(/:[^:@/]*@/, "@");
  writeFileSync(
    path.join(home, "settings.yaml"),
    `store: {kind: postgres, url: "${withoutPassword}"}\n${artistSettings(
      { studio: studioRoot, local: localRoot },
      { studio: launchSettings({}) },
    )}`,
  );
  const run = (...args: string[]) =>
    runCli([...args, "--home", home], { env: { PGPASSWORD: server.password, SITESYNC_RETRY_BASE_MS: "5" } });
  const init = await run("init", "--site-id", siteId);
  expect(init.code, init.stderr).toBe(0);
  return { home, localRoot, run };
}

describe("two homes on one PostgreSQL database", () => {
  it("an artist's hook brings the studio's publish and writes v+1; the studio then sees the artist's site OK", async () => {
    const url = await server.newDatabase();
    const dir = tempDir();
    const studioRoot = path.join(dir, "studio");
    const studioHome = await homeOn(url, "studiows", dir, studioRoot);
    const artistHome = await homeOn(url, "artist7", dir, studioRoot);
    writeFileSync(path.join(dir, "project.yaml"), PROJECT_YAML);
    const imported = await studioHome.run("project", "import", path.join(dir, "project.yaml"));
    expect(imported.code, imported.stderr).toBe(0);
    const source = path.join(dir, "scene.ma");
    writeFileSync(source, "//Maya scene from the studio");
    const published = await studioHome.run(...publishArgs(source, "--site", "studio", "--json"));
    expect(published.code, published.stderr).toBe(0);
    const { representationId } = published.json() as { representationId: string };

    const hook = await artistHome.run(
      ...["hook", "run", "copy-last-published-workfile", "--project", "Proj"],
      ...["--folder", "/assets/characters/hero", "--task", "modeling", "--app", "maya/2024", "--json"],
    );
    expect(hook.code, hook.stderr).toBe(0);
    const json = hook.json() as HookJson;
    expect(json.status, JSON.stringify(json)).toBe("copied");
    expect(json.last_workfile_path).toBe(
      path.join(artistHome.localRoot, "Proj/assets/characters/hero/work/modeling/PR_hero_modeling_v002.ma"),
    );
    expect(readFileSync(json.last_workfile_path, "utf8")).toBe("//Maya scene from the studio");

    // The studio's view of the shared state: the artist's site holds every file, OK.
    const store = await openPostgresStore({ url, source: "test" });
    try {
      const [artist] = await store.getSiteStates("Proj", [representationId], ["artist7"]);
      expect(artist?.status).toBe(SyncStatus.OK);
      expect(artist?.files.every((f) => f.status === SyncStatus.OK)).toBe(true);
    } finally {
      await store.close();
    }
    const status = await studioHome.run("status", "--project", "Proj", "--local-site", "studio", "--json");
    expect(status.code, status.stderr).toBe(0);
    for (const output of [imported, published, hook, status]) {
      expect(output.stdout + output.stderr).not.toContain(server.password);
    }
  });
});
