/**
 * A studio on one PostgreSQL database for the multi-process tests (issue 13): homes (machines) whose
 * settings choose the shared database by a URL without its password (PGPASSWORD carries it), a
 * `studio` site on a shared folder and a `vendor` site (the slow_drive test provider, which logs
 * "pid<TAB>target" per copy), with `studio` active and `vendor` remote, so a `syncservice
 * --active-site studio` on any home uploads studio's files to vendor. Representations are seeded
 * in process (files written under the studio root, then `registerPublish`), not by CLI publishes.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { parseTempName } from "../../lib/fs/temp-names.js";
import { op3Hash } from "../../lib/publish/hash.js";
import { newId } from "../../lib/store/ids.js";
import { openPostgresStore } from "../../lib/store/postgres/index.js";
import { SyncStatus } from "../../lib/store/status.js";
import type { PublishRecord, Store } from "../../lib/store/types.js";
import { type CliResult, PROJECT_YAML, runCli } from "./cli.js";
import type { PostgresServer } from "./postgres.js";
import { type RunningService, startService } from "./service.js";
import { tempDir } from "./tmp.js";

export const SLOW_MODULE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/providers/slow-drive.mjs",
);

export interface VendorOptions {
  /** Pause after each chunk the vendor's provider copies (default 0). */
  delayMs?: number;
  /** Bytes a chunk (default 64 KiB). */
  chunk?: number;
  /** sitesync.config.loop_delay in seconds (default 0.2). */
  loopDelay?: number;
}

export interface SeededFile {
  representationId: string;
  fileId: string;
  /** Where the file is on the studio site and where it goes on the vendor site. */
  studioPath: string;
  vendorPath: string;
  sha256: string;
  size: number;
}

export interface PgStudio {
  server: PostgresServer;
  /** The database URL, password included (never passed to a command). */
  url: string;
  dir: string;
  studioRoot: string;
  vendorRoot: string;
  /** The vendor provider's transfer log ("pid<TAB>target" per copy). */
  transferLog: string;
  /** The environment every command and service of these homes gets. */
  env: NodeJS.ProcessEnv;
  /** A new home (another machine) on the database, `init`ed with this site id. */
  home: (siteId: string) => Promise<string>;
  cli: (home: string, ...args: string[]) => Promise<CliResult>;
  /** `sitesync syncservice --active-site studio` on a home. */
  service: (home: string, extraEnv?: NodeJS.ProcessEnv) => RunningService;
  /** The store of the database, opened in this process (closed by `close`). */
  store: () => Promise<Store>;
  /**
   * `count` representations of one file each (`bytes` long), published in process on the studio
   * site: studio OK and, unless `vendor` is false, vendor QUEUED.
   */
  seed: (count: number, options?: { bytes?: number; vendor?: boolean }) => Promise<SeededFile[]>;
  close: () => Promise<void>;
}

/** A fresh database on `server` with project "Proj" imported through the first home. */
export async function pgStudio(server: PostgresServer, vendor: VendorOptions = {}): Promise<PgStudio> {
  const url = await server.newDatabase();
  const dir = tempDir();
  const studioRoot = path.join(dir, "studio");
  const vendorRoot = path.join(dir, "vendor");
  const transferLog = path.join(dir, "transfers.log");
  mkdirSync(studioRoot, { recursive: true });
  mkdirSync(vendorRoot, { recursive: true });
  const env = {
    PGPASSWORD: server.password,
    SITESYNC_PROVIDER_MODULES: SLOW_MODULE,
    SITESYNC_RETRY_BASE_MS: "5",
  };
  const withoutPassword = url.replace(/:[^:@/]*@/, "@");
  const root = (folder: string) =>
    `{roots: [{name: work, linux: "${folder}", windows: "${folder}", darwin: "${folder}"}]}`;
  const settings = `store: {kind: postgres, url: "${withoutPassword}"}
studio:
  sitesync:
    enabled: true
    config: {loop_delay: ${vendor.loopDelay ?? 0.2}}
    sites:
      - {name: studio, provider: local_drive, local_drive: ${root(studioRoot)}}
      - {name: vendor, provider: slow_drive, slow_drive: {roots: "${vendorRoot}", delay_ms: ${vendor.delayMs ?? 0}, chunk: ${vendor.chunk ?? 65536}, log: "${transferLog}"}}
site:
  sitesync:
    local_setting:
      active_site: studio
      remote_site: vendor
`;
  const cli = (home: string, ...args: string[]) => runCli([...args, "--home", home], { env });
  const makeHome = async (siteId: string): Promise<string> => {
    const home = path.join(dir, `home-${siteId}`);
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, "settings.yaml"), settings);
    const init = await cli(home, "init", "--site-id", siteId);
    expect(init.code, init.stderr).toBe(0);
    return home;
  };
  const first = await makeHome("farm0");
  writeFileSync(path.join(dir, "project.yaml"), PROJECT_YAML);
  const imported = await cli(first, "project", "import", path.join(dir, "project.yaml"));
  expect(imported.code, imported.stderr).toBe(0);

  const opened: Store[] = [];
  const store = async () => {
    const s = await openPostgresStore({ url, source: "test" });
    opened.push(s);
    return s;
  };
  const services: RunningService[] = [];
  let seeded = 0;
  return {
    server,
    url,
    dir,
    studioRoot,
    vendorRoot,
    transferLog,
    env,
    home: makeHome,
    cli,
    service(home, extraEnv = {}) {
      const running = startService(home, "studio", { ...env, ...extraEnv });
      services.push(running);
      return running;
    },
    store,
    async seed(count, options = {}) {
      const s = await store();
      const folder = await s.getFolderByPath("Proj", "/assets/characters/hero");
      const task = folder && (await s.getTask("Proj", folder.id, "modeling"));
      if (!folder || !task) throw new Error("project Proj was not imported");
      const bytes = options.bytes ?? 64;
      const records: Array<{ record: PublishRecord; file: SeededFile }> = [];
      for (let i = 0; i < count; i++) {
        const n = ++seeded;
        const name = `bulk_v${String(n).padStart(4, "0")}.bin`;
        const rootless = `{root[work]}/Proj/bulk/v${String(n).padStart(4, "0")}/${name}`;
        const studioPath = fillRootless(rootless, { work: studioRoot });
        const content = Buffer.alloc(bytes, n % 251);
        content.write(`file ${n}\n`);
        mkdirSync(path.dirname(studioPath), { recursive: true });
        writeFileSync(studioPath, content);
        const stat = statSync(studioPath);
        const sha256 = createHash("sha256").update(content).digest("hex");
        const fileId = newId();
        const representationId = newId();
        const siteStates: PublishRecord["siteStates"] = [
          { site: "studio", files: [{ fileId, status: SyncStatus.OK, size: bytes }] },
        ];
        if (options.vendor ?? true)
          siteStates.push({ site: "vendor", files: [{ fileId, status: SyncStatus.QUEUED, size: 0 }] });
        records.push({
          record: {
            product: { folderId: folder.id, name: "bulk", productType: "render", productBaseType: "render" },
            version: { id: newId(), version: n, taskId: task.id, author: "test" },
            representation: {
              id: representationId,
              name: "bin",
              context: { project: { name: "Proj", code: "PR" }, version: n, ext: "bin" },
              files: [
                {
                  id: fileId,
                  name,
                  path: rootless,
                  size: bytes,
                  hash: op3Hash(studioPath, stat.mtimeMs, bytes),
                  hashType: "op3",
                  sha256,
                },
              ],
            },
            links: [],
            siteStates,
          },
          file: {
            representationId,
            fileId,
            studioPath,
            vendorPath: fillRootless(rootless, { work: vendorRoot }),
            sha256,
            size: bytes,
          },
        });
      }
      // The first publish makes the product; then a few at a time (the pool has 10 connections).
      const [head, ...rest] = records;
      if (head) await s.registerPublish("Proj", head.record);
      for (let i = 0; i < rest.length; i += 8) {
        await Promise.all(rest.slice(i, i + 8).map((r) => s.registerPublish("Proj", r.record)));
      }
      return records.map((r) => r.file);
    },
    async close() {
      await Promise.all(services.splice(0).map((s) => s.stop("SIGKILL")));
      for (const s of opened.splice(0)) await s.close();
    },
  };
}

/** The provider's transfer log: per final path (temporary names mapped back), the pids that copied to it. */
export function transfersByTarget(log: string): Map<string, number[]> {
  const byTarget = new Map<string, number[]>();
  if (!existsSync(log)) return byTarget;
  for (const line of readFileSync(log, "utf8").split("\n")) {
    if (!line) continue;
    const [pid, target] = line.split("\t") as [string, string];
    const parsed = parseTempName(path.basename(target));
    const final = parsed?.finalName ? path.join(path.dirname(target), parsed.finalName) : target;
    const pids = byTarget.get(final) ?? [];
    pids.push(Number(pid));
    byTarget.set(final, pids);
  }
  return byTarget;
}

/** Temporary names (lib/fs/temp-names.ts) anywhere under `dir`. */
export function tempFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && parseTempName(entry.name) !== null)
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every seeded file's vendor record, read through the store in pages of 200. */
export async function vendorStates(
  store: Store,
  files: SeededFile[],
  site = "vendor",
): Promise<Map<string, { status: SyncStatus; size: number }>> {
  const out = new Map<string, { status: SyncStatus; size: number }>();
  for (let i = 0; i < files.length; i += 200) {
    const chunk = files.slice(i, i + 200);
    const states = await store.getSiteStates(
      "Proj",
      chunk.map((f) => f.representationId),
      [site],
    );
    for (const state of states) {
      for (const file of state.files) out.set(file.fileId, { status: file.status, size: file.size });
    }
  }
  return out;
}

/** Resolves once `check` resolves true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs: number,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
