/**
 * The frame of a gdrive end-to-end test file: one Drive emulator and one
 * service account for the file, homes (workstations) whose `studio` site is
 * the `gdrive` provider on a folder of the emulated Drive, and the few reads
 * of the emulator's state the tests assert on. Every command runs as the
 * real `sitesync` CLI (dist/) pointed at the emulator by
 * SITESYNC_GDRIVE_API_URL; the same variable is set in this process for the
 * tests that drive the engine in process.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type Context, openContext } from "../../lib/context.js";
import { SyncEngine } from "../../lib/engine/engine.js";
import type { EngineEvent } from "../../lib/engine/types.js";
import { API_URL_VARIABLE } from "../../providers/gdrive/client.js";
import { type CliResult, PROJECT_YAML, publishArgs, runCli } from "../helpers/cli.js";
import { launchSettings } from "../helpers/hook.js";
import { tempDir } from "../helpers/tmp.js";
import { newId } from "./emulator/state.js";
import { type DriveEmulator, type DriveFile, FOLDER_MIME, startDriveEmulator } from "./emulator.js";
import { makeServiceAccount, type ServiceAccountFixture } from "./fixtures.js";

export interface DriveWorld {
  emulator: DriveEmulator;
  account: ServiceAccountFixture;
  /** Shared drive name -> id. */
  sharedDrives: Map<string, string>;
}

/**
 * Registers the file's hooks: the emulator (with a shared drive "Studio Share") and the account for the
 * whole file, faults cleared and homes' stores closed after each test. Returns the world's getter.
 */
export function driveForStudios(): () => DriveWorld {
  let world: DriveWorld | undefined;
  const before = process.env[API_URL_VARIABLE];
  beforeAll(async () => {
    const account = makeServiceAccount();
    const emulator = await startDriveEmulator({
      accounts: [{ email: account.clientEmail, publicKeyPem: account.publicKeyPem }],
    });
    const sharedDrives = new Map([["Studio Share", emulator.addSharedDrive("Studio Share")]]);
    process.env[API_URL_VARIABLE] = emulator.url;
    world = { emulator, account, sharedDrives };
  });
  afterEach(async () => {
    world?.emulator.faults.clear();
    world?.emulator.grant(world.account.clientEmail, world.account.publicKeyPem);
    for (const home of opened.splice(0)) await home.closeStores();
  });
  afterAll(async () => {
    await world?.emulator.close();
    world?.account.remove();
    if (before === undefined) delete process.env[API_URL_VARIABLE];
    else process.env[API_URL_VARIABLE] = before;
  });
  return () => {
    if (!world) throw new Error("the Drive emulator is not started");
    return world;
  };
}

const opened: DriveHome[] = [];
let roots = 0;

/** A fresh site root per call, so tests of one file never share Drive folders: `/My Drive/sitesync-3`. */
export function freshRoot(drive = "My Drive", name = "sitesync"): string {
  roots += 1;
  return `/${drive}/${name}-${roots}`;
}

function splitDrivePath(drivePath: string): { drive: string; names: string[] } {
  const [drive, ...names] = drivePath.replace(/^\/+/, "").split("/");
  return { drive: drive as string, names };
}

function driveRoot(world: DriveWorld, drive: string): { id: string; driveId: string | undefined } {
  if (drive === "My Drive") return { id: world.emulator.myDriveRootId, driveId: undefined };
  const id = world.sharedDrives.get(drive);
  if (id === undefined) throw new Error(`no shared drive "${drive}" in the emulator`);
  return { id, driveId: id };
}

/** The items named `name` directly in folder `parentId`, not trashed. */
export function childrenNamed(world: DriveWorld, parentId: string, name: string): DriveFile[] {
  return [...world.emulator.state.values()].filter(
    (item) => !item.trashed && item.parents.includes(parentId) && item.name === name,
  );
}

/**
 * Makes the folders of `drivePath` that are missing, directly in the emulator's state (as a person in
 * Drive would, before the site is used: no request is counted), and returns the last one's id.
 */
export function driveFolder(world: DriveWorld, drivePath: string): string {
  const { drive, names } = splitDrivePath(drivePath);
  const root = driveRoot(world, drive);
  let parent = root.id;
  for (const name of names) {
    const [found] = childrenNamed(world, parent, name);
    parent = found?.id ?? addItem(world, parent, name, root.driveId, null).id;
  }
  return parent;
}

/** A file or folder put into Drive by someone else (null content: a folder). */
export function addItem(
  world: DriveWorld,
  parentId: string,
  name: string,
  driveId: string | undefined,
  content: Buffer | null,
): DriveFile {
  const now = new Date().toISOString();
  const item: DriveFile = {
    id: newId("file"),
    name,
    mimeType: content === null ? FOLDER_MIME : "application/octet-stream",
    parents: [parentId],
    driveId,
    size: content?.length ?? 0,
    md5Checksum: "",
    content: content ?? Buffer.alloc(0),
    trashed: false,
    createdTime: now,
    modifiedTime: now,
  };
  world.emulator.state.set(item.id, item);
  return item;
}

/** The item at `drivePath`, or undefined; two items of one name on the way fail the test. */
export function driveItem(world: DriveWorld, drivePath: string): DriveFile | undefined {
  const { drive, names } = splitDrivePath(drivePath);
  let item: DriveFile | undefined;
  let parent = driveRoot(world, drive).id;
  for (const name of names) {
    const found = childrenNamed(world, parent, name);
    if (found.length > 1) throw new Error(`${drivePath}: ${found.length} items named ${name}`);
    item = found[0];
    if (!item) return undefined;
    parent = item.id;
  }
  return item;
}

/** Every item below folder `id` (not the folder itself). */
export function itemsUnder(world: DriveWorld, id: string): DriveFile[] {
  const out: DriveFile[] = [];
  const walk = (parent: string) => {
    for (const item of world.emulator.state.values()) {
      if (!item.parents.includes(parent)) continue;
      out.push(item);
      if (item.mimeType === FOLDER_MIME) walk(item.id);
    }
  };
  walk(id);
  return out;
}

/** Folder creations the emulator answered (files.create without media: this provider makes only folders so). */
export function folderCreates(world: DriveWorld, since = 0): number {
  return world.emulator.calls
    .slice(since)
    .filter((call) => call.method === "POST" && call.path === "/drive/v3/files" && call.status === 200)
    .length;
}

export interface DriveHomeOptions {
  siteId?: string;
  /** The `studio` site's folder on the drive; made in Drive unless `makeRoot` is false. */
  root: string;
  makeRoot?: boolean;
  /** sitesync.config as a YAML flow mapping. */
  config?: string;
  /** Extra entries of the gdrive block, each ending in a comma. */
  gdrive?: string;
  /** Adds the launcher's applications and workfile profile (test/helpers/hook.ts) for `hook run`. */
  launch?: boolean;
}

export interface DriveHome {
  dir: string;
  home: string;
  localRoot: string;
  siteId: string;
  root: string;
  /** `sitesync ARGS --home HOME`, against the emulator, engine retries 5 ms apart. */
  cli: (...args: string[]) => Promise<CliResult>;
  /** `sitesync publish` of `files` (name -> content; `res/...` names go to --resources) with `more` args. */
  publish: (files: Record<string, string | Buffer>, ...more: string[]) => Promise<PublishJson>;
  /** The home's context, opened in this process (closed after the test). */
  open: () => Promise<Context>;
  /** An engine of this home's own site in this process, with its events. */
  engine: () => Promise<{ engine: SyncEngine; events: EngineEvent[]; context: Context }>;
  closeStores: () => Promise<void>;
}

export interface PublishJson {
  versionId: string;
  version: number;
  representationId: string;
  site: string;
  files: Array<{ id: string; path: string }>;
  sites: Record<string, number>;
}

/** The settings of a workstation whose local site syncs with a `studio` site on Google Drive. */
export function driveSettings(
  world: DriveWorld,
  local: string,
  options: Omit<DriveHomeOptions, "siteId" | "makeRoot">,
): string {
  const credentials = JSON.stringify([world.account.credentialsPath]);
  // Single-quoted YAML keeps a root's backslashes as they are; a quote is written twice.
  const root = `'${options.root.replaceAll("'", "''")}'`;
  return `
studio:
${options.launch ? launchSettings({}) : ""}
  sitesync:
    enabled: true
    config: ${options.config ?? "{retry_cnt: 3}"}
    sites:
      - {name: studio, provider: gdrive, gdrive: {${options.gdrive ?? ""} credentials_url: {linux: ${credentials}, darwin: ${credentials}, windows: ${credentials}}, roots: ${root}, chunk_size_mib: 0.25, requests_per_second: 1000}}
site:
  sitesync:
    local_setting:
      active_site: local
      remote_site: studio
      local_roots: [{name: work, path: "${local}"}]
`;
}

/**
 * A workstation's home: `sitesync init`, then settings whose `studio` site is the gdrive folder
 * `options.root`, then project "Proj" imported (or, with `storeOf`, that home's store copied in: the
 * same catalog and states as another machine sharing the studio's store would see).
 */
export async function driveHome(
  world: DriveWorld,
  options: DriveHomeOptions,
  storeOf?: DriveHome,
): Promise<DriveHome> {
  const siteId = options.siteId ?? "artist1";
  const dir = tempDir("sitesync-gdrive-e2e-");
  const home = path.join(dir, "home");
  const localRoot = path.join(dir, "local");
  const env = { [API_URL_VARIABLE]: world.emulator.url, SITESYNC_RETRY_BASE_MS: "5" };
  const cli = (...args: string[]) => runCli([...args, "--home", home], { env });
  const init = await cli("init", "--site-id", siteId, "--local-root", localRoot);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  writeFileSync(path.join(home, "settings.yaml"), driveSettings(world, localRoot, options));
  if (options.makeRoot ?? true) driveFolder(world, options.root);
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
  const driveHomeValue: DriveHome = {
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
      const [first] = names;
      const resources = path.join(src, "res");
      const args = publishArgs(path.join(src, first as string), ...more, "--json");
      if (existsSync(resources)) args.push("--resources", resources);
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
  opened.push(driveHomeValue);
  return driveHomeValue;
}

// Types of `sitesync status --json` and `sitesync sync --once --json` the tests read.
export interface SiteStatusJson {
  status: number;
  retries: number;
  message: string | null;
}

export interface StatusJson {
  representations: Array<{
    representationId: string;
    localStatus: SiteStatusJson;
    remoteStatus: SiteStatusJson;
    files: unknown[];
  }>;
}

export interface SyncJson {
  projects: Array<{
    transferred: number;
    failed: Array<{ file: string; message: string; retries: number }>;
  }>;
}
