/**
 * Issue 11 item 12: a local root whose name is no anatomy root of any project
 * is a settings error naming the root, the anatomy roots, the file and the
 * scope that wrote it, whether the settings came from the YAML or the cache.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SettingsError } from "../../lib/errors.js";
import { loadSettings, SETTINGS_CACHE, type Settings } from "../../lib/settings/load.js";
import { checkLocalRoots } from "../../lib/settings/local-roots.js";
import { tempDir } from "../helpers/tmp.js";

const options = { providerKinds: ["local_drive", "sftp"] };
const project = (name: string, ...roots: string[]) => ({
  name,
  anatomy: { roots: Object.fromEntries(roots.map((root) => [root, { linux: `/${root}` }])) },
});

function homeWith(text: string) {
  const home = tempDir();
  const file = path.join(home, "settings.yaml");
  writeFileSync(file, text);
  return { file, home, load: () => loadSettings(file, home, options) };
}

function messageOf(settings: Settings, projects: ReturnType<typeof project>[]): string {
  try {
    checkLocalRoots(settings, projects);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message;
  }
  throw new Error("the local roots were accepted");
}

describe("local roots against anatomy roots", () => {
  it("accepts local roots each named after an anatomy root of some project", async () => {
    const settings = await homeWith(
      "site: {sitesync: {local_setting: {local_roots: [{name: work, path: /w}, {name: render, path: /r}]}}}\n",
    ).load();
    expect(() =>
      checkLocalRoots(settings, [project("A", "work"), project("B", "work", "render")]),
    ).not.toThrow();
  });

  it("names the root, the anatomy roots, the file and the scope, also when served from the cache", async () => {
    const { file, home, load } = homeWith(`
studio:
  sitesync:
    local_setting:
      local_roots: [{name: work, path: /w}]
site:
  sitesync:
    local_setting: {active_site: local}
projects:
  Proj:
    sitesync:
      local_setting:
        local_roots: [{name: work, path: /w}, {name: wrk, path: /x}]
`);
    const expected = `${file}: projects.Proj.sitesync.local_setting.local_roots[1].name: local root "wrk" matches no anatomy root of any project (anatomy roots: publish, work)`;
    const projects = [project("Proj", "work", "publish")];
    expect(messageOf(await load(), projects)).toContain(expected);

    // A tampered value in the cache shows the second load read it rather than the YAML.
    const cacheFile = path.join(home, SETTINGS_CACHE);
    const record = JSON.parse(readFileSync(cacheFile, "utf8"));
    record.projects.Proj.sitesync.config.retry_cnt = 9;
    writeFileSync(cacheFile, JSON.stringify(record));
    const cached = await load();
    expect(cached.forProject("Proj").sitesync.config.retry_cnt).toBe(9);
    expect(messageOf(cached, projects)).toContain(expected);
  });

  it("checks nothing while the store has no project", async () => {
    const settings = await homeWith(
      "site: {sitesync: {local_setting: {local_roots: [{name: wrk, path: /x}]}}}\n",
    ).load();
    expect(() => checkLocalRoots(settings, [])).not.toThrow();
    expect(messageOf(settings, [project("P", "work")])).toContain(
      'site.sitesync.local_setting.local_roots[0].name: local root "wrk"',
    );
  });
});
