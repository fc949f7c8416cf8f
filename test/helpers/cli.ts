import { spawn } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./tmp.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(ROOT, "dist/lib/cli/main.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => unknown;
}

/** Runs the built `sitesync` command as a subprocess. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, AYON_SITE_ID: "", SITESYNC_HOME: "", SITESYNC_STORE_URL: "", ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}

export const PROJECT_YAML = `name: Proj
code: PR
folders:
  - path: /assets/characters/hero
    tasks:
      - {name: modeling, type: Modeling}
      - {name: rigging, type: Rigging}
`;

/** `sitesync publish` of `file` as workfileModeling of the hero's modeling task in "Proj", then `more`. */
export function publishArgs(file: string, ...more: string[]): string[] {
  return [
    ...["publish", "--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
    ...["--product", "workfileModeling", "--product-type", "workfile", "--file", file],
    ...more,
  ];
}

export interface Studio {
  dir: string;
  home: string;
  studioRoot: string;
  localRoot: string;
  run: (...args: string[]) => Promise<CliResult>;
}

/** An initialised home with project "Proj" imported, roots in a temp dir. */
export async function makeStudio(siteId = "artist1"): Promise<Studio> {
  const dir = tempDir();
  const home = path.join(dir, "home");
  const studioRoot = path.join(dir, "studio");
  const localRoot = path.join(dir, "local");
  const run = (...args: string[]) => runCli([...args, "--home", home]);
  const init = await run("init", "--site-id", siteId, "--studio-root", studioRoot, "--local-root", localRoot);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  writeFileSync(path.join(dir, "project.yaml"), PROJECT_YAML);
  const imported = await run("project", "import", path.join(dir, "project.yaml"));
  if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  return { dir, home, studioRoot, localRoot, run };
}

/**
 * Every file under a folder (relative paths with sizes), to prove nothing was
 * written. The store's files are left out: SQLite's WAL files come and go with
 * readers, so the store is compared by its rows instead.
 */
export function snapshot(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = path.join(d, name);
      const s = statSync(full);
      if (name.startsWith("sitesync.db") || name === ".settings-cache.json") continue;
      if (s.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = s.size;
    }
  };
  walk(dir);
  return out;
}
