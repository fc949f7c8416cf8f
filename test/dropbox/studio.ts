/**
 * The frame of a dropbox end-to-end test file: one Dropbox emulator (a team with a team folder) for the
 * file, and homes (workstations) whose `studio` site is the `dropbox` provider on a folder of that team
 * folder, acting as one member. Every command runs as the real `sitesync` CLI (dist/) pointed at the
 * emulator by SITESYNC_DROPBOX_API_URL and SITESYNC_DROPBOX_CONTENT_URL (set in this process too, for
 * the engine run in process).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type Context, openContext } from "../../lib/context.js";
import { SyncEngine } from "../../lib/engine/engine.js";
import type { EngineEvent } from "../../lib/engine/types.js";
import { API_URL_VARIABLE, CONTENT_URL_VARIABLE } from "../../providers/dropbox/http.js";
import { type CliResult, PROJECT_YAML, publishArgs, runCli } from "../helpers/cli.js";
import { launchSettings } from "../helpers/hook.js";
import { tempDir } from "../helpers/tmp.js";
import { type DropboxWorld, dropboxWorld } from "./fixtures.js";

/** Registers the file's hooks: the emulator for the whole file, faults cleared and stores closed after each test. */
export function dropboxForStudios(options: { pageSize?: number } = {}): () => DropboxWorld {
  let world: DropboxWorld | undefined;
  beforeAll(async () => {
    world = await dropboxWorld(options);
    world.useEnv();
  });
  afterEach(async () => {
    world?.emulator.faults.clear();
    for (const home of opened.splice(0)) await home.closeStores();
  });
  afterAll(async () => {
    await world?.close();
  });
  return () => {
    if (!world) throw new Error("the Dropbox emulator is not started");
    return world;
  };
}

const opened: DropboxHome[] = [];
let roots = 0;

/** A fresh site root per call, so tests of one file never share folders: `/Projects/sitesync-3`. */
export function freshRoot(): string {
  roots += 1;
  return `/Projects/sitesync-${roots}`;
}

export interface DropboxHome {
  dir: string;
  home: string;
  localRoot: string;
  siteId: string;
  root: string;
  /** `sitesync ARGS --home HOME`, against the emulator, engine retries 5 ms apart. */
  cli: (...args: string[]) => Promise<CliResult>;
  /** `sitesync publish` of `files` (name -> content; `res/...` names go to --resources) with `more` args. */
  publish: (files: Record<string, string | Buffer>, ...more: string[]) => Promise<PublishJson>;
  open: () => Promise<Context>;
  engine: () => Promise<{ engine: SyncEngine; events: EngineEvent[]; context: Context }>;
  closeStores: () => Promise<void>;
}

export interface PublishJson {
  representationId: string;
  files: Array<{ id: string; path: string }>;
  sites: Record<string, number>;
}

export interface SyncJson {
  projects: Array<{
    transferred: number;
    failed: Array<{ file: string; message: string; retries: number }>;
  }>;
}

/** The settings of a workstation whose local site syncs with a `studio` site in the team folder. */
function dropboxSettings(
  local: string,
  options: { root: string; config: string; token: string; launch: boolean },
): string {
  return `
studio:
${options.launch ? launchSettings({}) : ""}
  sitesync:
    enabled: true
    config: ${options.config}
    sites:
      - {name: studio, provider: dropbox, dropbox: {token: "${options.token}", team_folder_name: "Studio Projects", acting_as_member: "Bob Builder", roots: "${options.root}"}}
site:
  sitesync:
    local_setting:
      active_site: local
      remote_site: studio
      local_roots: [{name: work, path: "${local}"}]
`;
}

/**
 * A workstation's home: `sitesync init`, settings whose `studio` site is `root` in the team folder (made
 * there first), project "Proj" imported, or with `storeOf` that home's store copied in (the same catalog
 * and states another machine sharing the studio's store would see).
 */
export async function dropboxHome(
  world: DropboxWorld,
  options: {
    root: string;
    siteId?: string;
    config?: string;
    /** The token setting; the world's team token unless given. */
    token?: string;
    /** Adds the launcher's applications and workfile profile (test/helpers/hook.ts) for `hook run`. */
    launch?: boolean;
  },
  storeOf?: DropboxHome,
): Promise<DropboxHome> {
  const siteId = options.siteId ?? "artist1";
  const dir = tempDir("sitesync-dropbox-e2e-");
  const home = path.join(dir, "home");
  const localRoot = path.join(dir, "local");
  const env = {
    [API_URL_VARIABLE]: world.emulator.url,
    [CONTENT_URL_VARIABLE]: world.emulator.url,
    SITESYNC_RETRY_BASE_MS: "5",
  };
  const cli = (...args: string[]) => runCli([...args, "--home", home], { env });
  const init = await cli("init", "--site-id", siteId, "--local-root", localRoot);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  writeFileSync(
    path.join(home, "settings.yaml"),
    dropboxSettings(localRoot, {
      root: options.root,
      config: options.config ?? "{retry_cnt: 3}",
      token: options.token ?? world.teamSetting,
      launch: options.launch ?? false,
    }),
  );
  world.folder.makeFolders(options.root);
  if (storeOf) {
    await storeOf.closeStores();
    const target = path.join(home, "sitesync.db");
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${target}${suffix}`, { force: true });
    const source = new Database(path.join(storeOf.home, "sitesync.db"), { readonly: true });
    try {
      await source.backup(target);
    } finally {
      source.close();
    }
  } else {
    writeFileSync(path.join(dir, "project.yaml"), PROJECT_YAML);
    const imported = await cli("project", "import", path.join(dir, "project.yaml"));
    if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  }
  const contexts: Context[] = [];
  let sources = 0;
  const open = async () => {
    const context = await openContext({
      home,
      env: { ...process.env, AYON_SITE_ID: "", SITESYNC_STORE_URL: "" },
    });
    contexts.push(context);
    return context;
  };
  const value: DropboxHome = {
    dir,
    home,
    localRoot,
    siteId,
    root: options.root,
    cli,
    async publish(files, ...more) {
      sources += 1;
      const src = path.join(dir, `src${sources}`);
      const names = Object.keys(files);
      for (const name of names) {
        mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
        writeFileSync(path.join(src, name), files[name] as string | Buffer);
      }
      const args = publishArgs(path.join(src, names[0] as string), ...more, "--json");
      if (existsSync(path.join(src, "res"))) args.push("--resources", path.join(src, "res"));
      const result = await cli(...args);
      if (result.code !== 0) throw new Error(`publish failed (${result.code}): ${result.stderr}`);
      return result.json() as PublishJson;
    },
    open,
    async engine() {
      const context = await open();
      const engine = new SyncEngine({
        store: context.store,
        settings: context.settings,
        ownSite: siteId,
        platform: context.platform,
        retryBaseMs: 5,
      });
      const events: EngineEvent[] = [];
      engine.on((event) => events.push(event));
      return { engine, events, context };
    },
    async closeStores() {
      for (const context of contexts.splice(0)) await context.store.close();
    },
  };
  opened.push(value);
  return value;
}
