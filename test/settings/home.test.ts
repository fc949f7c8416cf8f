import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { localSiteId, resolveHome } from "../../lib/home.js";
import { tempDir } from "../helpers/tmp.js";

describe("home and local site id", () => {
  it("resolves --home, then SITESYNC_HOME, then ~/.sitesync", () => {
    expect(resolveHome("/a/b", { SITESYNC_HOME: "/c" })).toBe("/a/b");
    expect(resolveHome(undefined, { SITESYNC_HOME: "/c" })).toBe("/c");
    expect(resolveHome(undefined, {})).toMatch(/\.sitesync$/);
  });

  it("creates a site id once and keeps it", () => {
    const home = tempDir();
    const id = localSiteId(home, { create: true, env: {} });
    expect(id).toMatch(/^[a-z]+-[a-z]+-[0-9a-f]{4}$/);
    expect(readFileSync(path.join(home, "site_id"), "utf8").trim()).toBe(id);
    expect(localSiteId(home, { create: true, env: {} })).toBe(id);
  });

  it("lets AYON_SITE_ID override the file, and never writes without create", () => {
    const home = tempDir();
    expect(localSiteId(home, { create: false, env: { AYON_SITE_ID: "studio" } })).toBe("studio");
    expect(() => localSiteId(home, { create: false, env: {} })).toThrow(/sitesync init/);
    expect(existsSync(path.join(home, "site_id"))).toBe(false);
  });

  it("rejects an invalid site id naming where it came from", () => {
    const home = tempDir();
    writeFileSync(path.join(home, "site_id"), "bad id!\n");
    expect(() => localSiteId(home, { create: false, env: {} })).toThrow(
      /site_id: "bad id!" is not a valid site id/,
    );
    expect(() => localSiteId(home, { create: false, env: { AYON_SITE_ID: "local" } })).toThrow(
      /AYON_SITE_ID/,
    );
  });
});
