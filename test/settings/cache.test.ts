import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSettings, SETTINGS_CACHE } from "../../lib/settings/load.js";
import { tempDir } from "../helpers/tmp.js";

const options = { providerKinds: ["local_drive", "sftp"] };

describe("settings cache", () => {
  it("serves the validated settings from an owner-only cache until the file changes", async () => {
    const home = tempDir();
    const file = path.join(home, "settings.yaml");
    writeFileSync(file, "studio: {sitesync: {enabled: true, config: {retry_cnt: 5}}}\n");
    const first = await loadSettings(file, home, options);
    const cacheFile = path.join(home, SETTINGS_CACHE);
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600);
    const cached = await loadSettings(file, home, options);
    expect(cached.forProject("Any")).toEqual(first.forProject("Any"));
    expect(cached.forProject("Any").sitesync.config.retry_cnt).toBe(5);

    // A tampered cache entry is served as long as the key matches: proof the second load read the cache.
    const record = JSON.parse(readFileSync(cacheFile, "utf8"));
    record.projects[""].sitesync.config.retry_cnt = 9;
    writeFileSync(cacheFile, JSON.stringify(record));
    expect((await loadSettings(file, home, options)).forProject("Any").sitesync.config.retry_cnt).toBe(9);

    writeFileSync(file, "studio: {sitesync: {enabled: true, config: {retry_cnt: 7}}}\n");
    expect((await loadSettings(file, home, options)).forProject("Any").sitesync.config.retry_cnt).toBe(7);
    writeFileSync(file, "studio: {sitesync: {config: {retry_cnt: seven}}}\n");
    await expect(loadSettings(file, home, options)).rejects.toThrow(/retry_cnt/);
  });

  it("validates again when the known provider kinds change", async () => {
    const home = tempDir();
    const file = path.join(home, "settings.yaml");
    writeFileSync(
      file,
      "studio: {sitesync: {sites: [{name: s, provider: sftp, sftp: {sftp_host: h, sftp_user: u}}]}}\n",
    );
    await loadSettings(file, home, options);
    await expect(loadSettings(file, home, { providerKinds: ["local_drive"] })).rejects.toThrow(
      /unknown provider "sftp"/,
    );
  });
});
