import { describe, expect, it } from "vitest";
import { SettingsError } from "../../lib/errors.js";
import { parseSettings } from "../../lib/settings/validate.js";

const kinds = { providerKinds: ["local_drive", "sftp", "gdrive", "dropbox", "rclone"] };
const load = (text: string) => parseSettings(text, "/home/settings.yaml", kinds);

describe("settings loading", () => {
  it("fills AYON's defaults when the document is empty", () => {
    const settings = load("{}").forProject("Any");
    expect(settings.sitesync.enabled).toBe(false);
    expect(settings.sitesync.config).toEqual({
      retry_cnt: 3,
      loop_delay: 60,
      always_accessible_on: [],
      active_site: "studio",
      remote_site: "studio",
    });
  });

  it("merges studio -> project -> site: objects merge, lists replace, sites merge by name", () => {
    const settings = load(`
studio:
  sitesync:
    enabled: true
    config: {retry_cnt: 5, always_accessible_on: [backup, sftp]}
    sites:
      - {name: sftp, provider: sftp, sftp: {sftp_host: files.studio, sftp_user: vendor, sftp_port: 2222}}
      - {name: backup, provider: local_drive}
projects:
  Proj:
    sitesync:
      config: {loop_delay: 10, always_accessible_on: [backup]}
      sites:
        - {name: sftp, alternative_sites: [studio]}
site:
  sitesync:
    sites:
      - {name: sftp, sftp: {sftp_pass: hunter2}}
`).forProject("Proj");
    expect(settings.sitesync.config).toMatchObject({
      retry_cnt: 5,
      loop_delay: 10,
      always_accessible_on: ["backup"],
    });
    expect(settings.sitesync.sites.map((s) => s.name)).toEqual(["sftp", "backup"]);
    expect(settings.sitesync.sites[0]).toMatchObject({
      provider: "sftp",
      alternative_sites: ["studio"],
      sftp: { sftp_host: "files.studio", sftp_port: 2222, sftp_pass: "hunter2" },
    });
  });

  it("uses studio and site scopes for a project without its own scope", () => {
    const settings = load(
      "studio: {sitesync: {enabled: true}}\nsite: {sitesync: {local_setting: {active_site: local}}}",
    );
    expect(settings.forProject("Other").sitesync.local_setting.active_site).toBe("local");
  });

  it("names the scope, key path and value of a bad value", () => {
    expect(() => load("projects:\n  Proj:\n    sitesync:\n      config: {loop_delay: soon}\n")).toThrow(
      /projects\.Proj\.sitesync\.config\.loop_delay: .*expected number.*\(got "soon"\)/,
    );
  });

  it("reports unknown keys as not settings keys", () => {
    expect(() => load("studio:\n  sitesync:\n    config: {retry_count: 3}\n")).toThrow(
      /studio\.sitesync\.config: unknown key\(s\) retry_count/,
    );
  });

  it("reports a site's bad value at its index in the scope that wrote it", () => {
    const text = `
studio:
  sitesync:
    sites:
      - {name: a, provider: local_drive}
      - {name: b, provider: sftp, sftp: {sftp_host: h, sftp_user: u}}
site:
  sitesync:
    sites:
      - {name: b, sftp: {sftp_port: "22"}}
`;
    expect(() => load(text)).toThrow(/site\.sitesync\.sites\[0\]\.sftp\.sftp_port/);
  });

  it("requires host and user for an sftp site", () => {
    expect(() => load("studio:\n  sitesync:\n    sites:\n      - {name: s, provider: sftp}\n")).toThrow(
      /studio\.sitesync\.sites\[0\]\.sftp\.sftp_host: required/,
    );
  });

  it("rejects malformed YAML naming the file", () => {
    expect(() => load("studio: [")).toThrow(SettingsError);
    expect(() => load("studio: [")).toThrow(/\/home\/settings\.yaml: not valid YAML/);
  });

  it("reads JSON settings from a .json file", () => {
    const settings = parseSettings('{"studio": {"sitesync": {"enabled": true}}}', "/h/settings.json", kinds);
    expect(settings.forProject("P").sitesync.enabled).toBe(true);
  });
});
