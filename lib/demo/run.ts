/**
 * `npm run demo`: a temporary studio built from templates/demo, driven through
 * the real `sitesync` command so every step shows the command a user types.
 * Today it initialises a home, imports the demo project, publishes a workfile
 * with its resources folder on `studio`, and shows the sync status.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { templatePath } from "../paths.js";

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "../cli/main.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "sitesync-demo-"));
const home = path.join(dir, "home");

function sitesync(...args: string[]): void {
  process.stdout.write(`\n$ sitesync ${args.join(" ")}\n`);
  const result = spawnSync(process.execPath, [cli, ...args, "--home", home], { stdio: "inherit" });
  if (result.status !== 0) {
    process.stderr.write(`demo step failed with exit code ${result.status}\n`);
    process.exit(result.status ?? 1);
  }
}

process.stdout.write(`sitesync demo in ${dir}\n`);
sitesync(
  "init",
  "--site-id",
  "artist-ws",
  "--studio-root",
  path.join(dir, "studio"),
  "--local-root",
  path.join(dir, "local"),
);
sitesync("project", "import", templatePath("demo", "project.yaml"));
sitesync(
  "publish",
  "--project",
  "demo_show",
  "--folder",
  "/assets/characters/hero",
  "--task",
  "modeling",
  "--product",
  "workfileModeling",
  "--product-type",
  "workfile",
  "--file",
  templatePath("demo", "workfile", "hero_modeling.ma"),
  "--resources",
  templatePath("demo", "workfile", "resources"),
  "--site",
  "studio",
);
sitesync("status", "--project", "demo_show", "--local-site", "studio", "--remote-site", "local");
process.stdout.write(
  `\nThe published files are under ${path.join(dir, "studio")}; remove ${dir} when done.\n`,
);
