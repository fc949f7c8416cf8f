import { describe, expect, it } from "vitest";
import { alternativesOf, resolveProjectSites } from "../../lib/settings/sites.js";
import { parseSettings } from "../../lib/settings/validate.js";

const kinds = { providerKinds: ["local_drive", "sftp"] };
const anatomyRoots = {
  work: { linux: "/mnt/projects", windows: "P:/projects", darwin: "/Volumes/projects" },
};
const resolve = (text: string, siteId = "ws-1") =>
  resolveProjectSites(parseSettings(text, "s.yaml", kinds).forProject("Proj"), anatomyRoots, siteId, "linux");

describe("project sites", () => {
  it("always has studio on the anatomy roots and the local site on local_roots", () => {
    const sites = resolve(`
studio: {sitesync: {enabled: true}}
site: {sitesync: {local_setting: {active_site: local, remote_site: studio, local_roots: [{name: work, path: /home/me/work}]}}}
`);
    expect(sites.sites.get("studio")?.roots).toEqual({ work: "/mnt/projects" });
    expect(sites.sites.get("ws-1")?.roots).toEqual({ work: "/home/me/work" });
    expect([sites.activeSite, sites.remoteSite]).toEqual(["ws-1", "studio"]);
  });

  it("uses studio for both sides when sync is disabled", () => {
    const sites = resolve("site: {sitesync: {local_setting: {active_site: local}}}");
    expect(sites.syncEnabled).toBe(false);
    expect([sites.activeSite, sites.remoteSite]).toEqual(["studio", "studio"]);
  });

  it("falls back from local_setting to config for the active and remote site", () => {
    const sites = resolve(
      "studio: {sitesync: {enabled: true, config: {active_site: local, remote_site: studio}}}",
    );
    expect(sites.activeSite).toBe("ws-1");
  });

  it("rejects an active site that is not configured, naming the key", () => {
    expect(() => resolve("studio: {sitesync: {enabled: true, config: {remote_site: gdrive}}}")).toThrow(
      /sitesync\.config\.remote_site: site "gdrive" is not configured/,
    );
  });

  it("maps every anatomy root of a remote provider into its root folder and overrides studio roots", () => {
    const sites = resolve(`
studio:
  sitesync:
    enabled: true
    sites:
      - {name: sftp, provider: sftp, alternative_sites: [studio], sftp: {sftp_host: h, sftp_user: u, roots: /upload}}
      - {name: studio, provider: local_drive, local_drive: {roots: [{name: work, linux: /srv/studio}]}}
`);
    expect(sites.sites.get("sftp")?.roots).toEqual({ work: "/upload" });
    expect(sites.sites.get("studio")?.roots).toEqual({ work: "/srv/studio" });
    expect(alternativesOf(sites, "studio")).toEqual(["sftp"]);
    expect(alternativesOf(sites, "sftp")).toEqual(["studio"]);
  });

  it("treats AYON_SITE_ID=studio as the studio site itself", () => {
    const sites = resolve("studio: {sitesync: {enabled: true, config: {active_site: local}}}", "studio");
    expect(sites.activeSite).toBe("studio");
    expect(sites.sites.get("studio")?.roots).toEqual({ work: "/mnt/projects" });
  });

  it("expands {ENV} in credential paths for this platform and reports an unset one on the site only", () => {
    process.env.SITESYNC_TEST_KEYS = "/etc/studio-keys";
    try {
      const sites = resolve(`
studio:
  sitesync:
    enabled: true
    sites:
      - {name: sftp, provider: sftp, sftp: {sftp_host: h, sftp_user: u, sftp_key: {linux: ["{SITESYNC_TEST_KEYS}/id_ed25519"]}}}
      - {name: drive, provider: local_drive, local_drive: {roots: [{name: work, linux: /d}]}}
      - {name: other, provider: sftp, sftp: {sftp_host: h, sftp_user: u, sftp_key: {linux: ["{SITESYNC_UNSET_VAR}/k"]}}}
`);
      expect(sites.sites.get("sftp")?.config).toMatchObject({
        sftp_key: { linux: ["/etc/studio-keys/id_ed25519"] },
      });
      expect(sites.sites.get("sftp")?.problems).toEqual([]);
      expect(sites.sites.get("other")?.problems[0]).toMatch(
        /sites\[other\]\.sftp\.sftp_key\.linux: environment variable \{SITESYNC_UNSET_VAR\}/,
      );
    } finally {
      delete process.env.SITESYNC_TEST_KEYS;
    }
  });
});
