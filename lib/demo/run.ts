/**
 * `npm run demo`: a temporary studio built from templates/, driven through the
 * real `sitesync` command so every step shows what a user would type. The
 * studio publishes a Maya workfile with a resources folder on `studio`; then
 * an artist whose local site has nothing launches Maya (a stand-in DCC that
 * prints what it opens): the prelaunch hook brings the workfile and its
 * resources through the sync engine and saves them as v002 in the work area.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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
// Maya is the stand-in DCC shipped in templates/demo.
const settingsFile = path.join(home, "settings.yaml");
const standin = templatePath("demo", "standin-dcc.mjs");
const applications = `  applications:
    maya:
      host_name: maya
      variants:
        "2024":
          executables: {linux: [${JSON.stringify(standin)}], darwin: [${JSON.stringify(standin)}], windows: [${JSON.stringify(standin)}]}`;
writeFileSync(settingsFile, readFileSync(settingsFile, "utf8").replace("  applications: {}", applications));

sitesync("project", "import", templatePath("demo", "project.yaml"));
const folder = ["--project", "demo_show", "--folder", "/assets/characters/hero", "--task", "modeling"];
sitesync(
  "publish",
  ...folder,
  ...["--product", "workfileModeling", "--product-type", "workfile"],
  ...["--file", templatePath("demo", "workfile", "hero_modeling.ma")],
  ...["--resources", templatePath("demo", "workfile", "resources"), "--site", "studio"],
);
sitesync("status", "--project", "demo_show");
process.stdout.write(
  `\nThe artist's local site (${path.join(dir, "local")}) has nothing yet. Launching Maya:\n`,
);
sitesync("launch", ...folder, "--app", "maya/2024");
sitesync("status", "--project", "demo_show");
const workdir = path.join(dir, "local", "demo_show", "assets", "characters", "hero", "work", "modeling");
process.stdout.write(`\nNew workfile: ${path.join(workdir, "DS_hero_modeling_v002.ma")}\n`);
process.stdout.write(`Restored resources: ${path.join(workdir, "resources")}\n`);
process.stdout.write(`Remove ${dir} when done.\n`);
