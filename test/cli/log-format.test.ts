/**
 * `--log-format` through the built command: JSON lines or pino-pretty lines
 * on stderr whatever stderr is, a bad value refused as bad usage, and the
 * settings a studio hook logs redacted however deep their secrets sit.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import type { EngineStudio } from "../helpers/engine.js";
import { hookStudio } from "../helpers/hook.js";
import { tempDir } from "../helpers/tmp.js";

let studio: EngineStudio | undefined;
afterEach(async () => {
  await studio?.closeAll();
  studio = undefined;
});

const jsonLines = (stderr: string) =>
  stderr
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("sitesync --log-format", () => {
  it("writes parseable JSON lines on stderr with --log-format json", async () => {
    const s = await hookStudio();
    studio = s;
    // An explicit workfile makes the hook skip, which it logs.
    const result = await s.hook("--workfile", "/somewhere/explicit.ma", "--json", "--log-format", "json");
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stderr)).toContainEqual(
      expect.objectContaining({
        level: 30,
        msg: "skipped",
        hook: "copy-last-published-workfile",
        reason: "an explicit workfile_path was given",
      }),
    );
  });

  it("writes lines for people with --log-format pretty, even into a pipe", async () => {
    const s = await hookStudio();
    studio = s;
    const result = await s.hook("--workfile", "/somewhere/explicit.ma", "--json", "--log-format", "pretty");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: skipped$/m);
    expect(result.stderr).toContain("an explicit workfile_path was given");
    expect(result.stderr).not.toContain('{"');
    // No colour escapes: stderr is not a terminal.
    expect(result.stderr).not.toContain("\u001b[");
  });

  it("refuses an unknown format with exit 2, naming it and the known ones", async () => {
    const result = await runCli(["sync", "--project", "Proj", "--once", "--log-format", "xml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"xml"');
    expect(result.stderr).toContain("json, pretty");
  });

  it("redacts the sftp password in the project settings a studio hook logs", async () => {
    const dir = tempDir();
    const hooks = path.join(dir, "hooks");
    mkdirSync(hooks);
    writeFileSync(
      path.join(hooks, "log-settings.mjs"),
      // dryRun: true, since a dry run calls only hooks that say they change nothing.
      `export default { name: "log-settings", order: -1, dryRun: true,
         execute(ctx) { ctx.services.logger.info({ project_settings: ctx.data.project_settings }, "studio settings"); } };`,
    );
    const s = await hookStudio({
      hookDirs: [hooks],
      sites: () => [
        `- {name: vendor, provider: sftp, sftp: {sftp_host: vendor.example, sftp_user: studio, sftp_pass: "hunter2", roots: /srv}}`,
      ],
    });
    studio = s;
    const result = await runCli([
      ...["launch", "--project", "Proj", "--folder", "/assets/characters/hero", "--task", "modeling"],
      ...["--app", "maya/2024", "--dry-run", "--json", "--log-format", "json", "--home", s.home],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("hunter2");
    const logged = jsonLines(result.stderr).find((line) => line.msg === "studio settings") as {
      project_settings: { sitesync: { sites: Array<{ name: string; sftp?: Record<string, unknown> }> } };
    };
    const vendor = logged.project_settings.sitesync.sites.find((site) => site.name === "vendor");
    expect(vendor?.sftp).toMatchObject({ sftp_host: "vendor.example", sftp_pass: "[redacted]" });
  });
});
