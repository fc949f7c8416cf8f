/**
 * `sitesync publish --site vendor` to an SFTP site served by a real OpenSSH
 * sshd (issue 14, "Publishing at VFX scale"): the built command writes every
 * file under a temporary name and renames them into place only when all are
 * verified (lib/publish/copy.ts). Killed half way (SIGKILL, nothing of it runs
 * again) it leaves no file at any final name on the server and registers no
 * version; stopped with SIGTERM it also removes its temporary files; left
 * alone it puts every file in place with the sources' bytes and no temporary
 * file. The sshd serves a folder on this machine, so the test watches the
 * server's side on disk.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fillRootless } from "../../lib/anatomy/roots.js";
import { SyncStatus } from "../../lib/store/status.js";
import { CLI, publishArgs, runCli } from "../helpers/cli.js";
import { artistSettings, type EngineStudio, engineStudio } from "../helpers/engine.js";
import { sshdForStudios, vendorSite } from "../helpers/sftp-studio.js";
import type { SshdServer } from "../helpers/sshd.js";

let server: SshdServer;
let studio: EngineStudio | undefined;
let child: ChildProcess | undefined;

sshdForStudios({
  started: (started) => {
    server = started;
  },
  studio: () => studio,
  reset: () => {
    studio = undefined;
  },
});

afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

const TEMP = ".sitesync-";
const SMALL = 400;
const LARGE = 12;
const LARGE_BYTES = 8 << 20;
/** The files of the publish (scene.ma and the resources), half of them. */
const HALF = Math.ceil((1 + SMALL + LARGE) / 2);

/** Every file under `dir` (relative paths), none when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

const isTemp = (name: string) => path.basename(name).includes(TEMP);

/** The project's folder on the server: everything a publish of "Proj" writes is under it. */
const onServer = () => path.join(server.root, "Proj");

/**
 * A studio whose `vendor` site is the sshd's folder, and sources for a
 * publish: scene.ma plus a resources folder of SMALL small files and LARGE
 * files of LARGE_BYTES, enough that the publish takes a few seconds over SFTP.
 */
async function vendorStudio(): Promise<{ s: EngineStudio; scene: string; res: string }> {
  const s = await engineStudio({
    settings: (roots) => artistSettings(roots, { remote: "vendor", sites: [vendorSite(server)] }),
  });
  studio = s;
  const src = path.join(s.dir, "src");
  const res = path.join(src, "res");
  for (let i = 0; i < SMALL; i++) {
    const dir = path.join(res, `d${i % 10}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `t${i}.png`), `texture ${i}`);
  }
  mkdirSync(path.join(res, "big"), { recursive: true });
  for (let i = 0; i < LARGE; i++) {
    writeFileSync(path.join(res, "big", `cache${i}.bgeo`), Buffer.alloc(LARGE_BYTES, i + 1));
  }
  const scene = path.join(src, "scene.ma");
  writeFileSync(scene, "the scene");
  return { s, scene, res };
}

const vendorPublish = (s: EngineStudio, scene: string, res: string, ...more: string[]) => [
  ...publishArgs(scene, "--resources", res, "--site", "vendor", "--home", s.home),
  ...more,
];

/** Resolves once `check` holds, looking every few milliseconds. */
function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 5);
  });
}

/**
 * Starts the built CLI with `args`, waits until half the files are on the
 * server under temporary names (the copies are under way; none is renamed
 * before every one is verified), sends `signal`, and resolves with the exit
 * code (null when killed), the signal, stderr and the server's files seen
 * at that moment.
 */
async function publishStopped(args: string[], signal: NodeJS.Signals) {
  const started = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, AYON_SITE_ID: "", SITESYNC_HOME: "", SITESYNC_STORE_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = started;
  let stderr = "";
  started.stderr?.on("data", (d) => {
    stderr += d;
  });
  started.stdout?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    started.on("exit", (code, how) => resolve({ code, signal: how })),
  );
  let seen: string[] = [];
  await Promise.race([
    until(() => {
      seen = filesUnder(onServer());
      return seen.filter(isTemp).length >= HALF;
    }, "half the files under temporary names on the server"),
    exited.then(({ code }) => {
      throw new Error(`publish exited with ${code} before it could be stopped: ${stderr}`);
    }),
  ]);
  started.kill(signal);
  const end = await exited;
  child = undefined;
  return { ...end, stderr, seen };
}

/** `status --json` of Proj: how many representations are registered. */
async function registered(s: EngineStudio): Promise<number> {
  const status = await runCli(["status", "--project", "Proj", "--json", "--home", s.home]);
  expect(status.code, status.stderr).toBe(0);
  return (status.json() as { total: number }).total;
}

describe("publish to an SFTP site (real sshd)", () => {
  it("killed half way (SIGKILL) leaves no file at any final name on the server and registers nothing", async () => {
    const { s, scene, res } = await vendorStudio();
    const stopped = await publishStopped(vendorPublish(s, scene, res), "SIGKILL");
    expect(stopped.signal).toBe("SIGKILL");
    // It was stopped while copying: temporary files only, then and now.
    expect(stopped.seen.filter((name) => !isTemp(name))).toEqual([]);
    const left = filesUnder(onServer());
    expect(left.filter((name) => !isTemp(name))).toEqual([]);
    // Nothing of a SIGKILLed process runs again: its temporary files stay until the next publish.
    expect(left.length).toBeGreaterThan(0);
    expect(await registered(s)).toBe(0);

    // Nothing it left blocks the next publish of the same version, which sweeps it away.
    const again = await runCli([...vendorPublish(s, scene, res), "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect((again.json() as { version: number }).version).toBe(1);
    expect(await registered(s)).toBe(1);
    expect(filesUnder(onServer()).filter(isTemp)).toEqual([]);
  });

  it("stopped half way with SIGTERM removes its temporary files too and registers nothing", async () => {
    const { s, scene, res } = await vendorStudio();
    const stopped = await publishStopped(vendorPublish(s, scene, res), "SIGTERM");
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.seen.filter((name) => !isTemp(name))).toEqual([]);
    expect(filesUnder(onServer())).toEqual([]);
    expect(await registered(s)).toBe(0);
  });

  it("run to the end puts every file at its final name with the sources' bytes and no temporary file", async () => {
    const { s, scene, res } = await vendorStudio();
    const result = await runCli([...vendorPublish(s, scene, res), "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const published = result.json() as {
      version: number;
      site: string;
      files: Array<{ path: string }>;
      sites: Record<string, number>;
    };
    expect(published).toMatchObject({ version: 1, site: "vendor" });
    expect(published.sites.vendor).toBe(SyncStatus.OK);
    expect(published.files).toHaveLength(1 + SMALL + LARGE);

    const onDisk = filesUnder(onServer());
    expect(onDisk.filter(isTemp)).toEqual([]);
    const targets = published.files.map((f) => fillRootless(f.path, { work: server.root }));
    expect(onDisk).toEqual(targets.map((t) => path.relative(onServer(), t)).sort());
    const publishDir = path.dirname(targets[0] as string);
    expect(readFileSync(targets[0] as string, "utf8")).toBe("the scene");
    for (const file of filesUnder(res)) {
      expect(
        readFileSync(path.join(publishDir, "resources", file)).equals(readFileSync(path.join(res, file))),
        file,
      ).toBe(true);
    }
    expect(await registered(s)).toBe(1);
  });
});
