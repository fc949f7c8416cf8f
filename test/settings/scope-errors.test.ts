/**
 * Issue 11 item 12: a settings error names the scope that wrote the bad key,
 * even when a more specific scope also holds the object the key sits in.
 */
import { describe, expect, it } from "vitest";
import { parseSettings } from "../../lib/settings/validate.js";

const kinds = { providerKinds: ["local_drive", "sftp", "gdrive", "dropbox", "rclone"] };
const load = (text: string) => parseSettings(text, "/home/settings.yaml", kinds);
const errorOf = (text: string): string => {
  try {
    load(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the settings were accepted");
};

const SITE_SCOPE = `
site:
  sitesync:
    local_setting: {active_site: local, remote_site: studio}
`;

describe("settings errors name the scope that wrote the key", () => {
  it("reports a studio typo at studio although the site scope also sets sitesync", () => {
    const message = errorOf(`studio:\n  sitesync:\n    enabeld: true\n${SITE_SCOPE}`);
    expect(message).toContain("/home/settings.yaml");
    expect(message).toMatch(/studio\.sitesync: unknown key\(s\) enabeld/);
    expect(message).not.toMatch(/site\.sitesync: unknown/);
  });

  it("reports a project scope's typo at that project scope although the site scope also sets config", () => {
    const message = errorOf(
      "studio: {sitesync: {enabled: true}}\nprojects:\n  Proj:\n    sitesync:\n      config: {retry_count: 2}\nsite:\n  sitesync: {config: {loop_delay: 5}}\n",
    );
    expect(message).toMatch(/projects\.Proj\.sitesync\.config: unknown key\(s\) retry_count/);
  });

  it("reports a typo at the top of a scope at that scope, not the document", () => {
    expect(errorOf(`studio:\n  sitesynk: {enabled: true}\n${SITE_SCOPE}`)).toMatch(
      /studio: unknown key\(s\) sitesynk/,
    );
  });

  it("reports a typo in a site merged by name at its index in the scope that wrote it", () => {
    const message = errorOf(`
studio:
  sitesync:
    sites:
      - {name: a, provider: local_drive}
      - {name: vendor, provider: sftp, sftp: {sftp_host: h, sftp_user: u, sftp_hots: x}}
site:
  sitesync:
    sites:
      - {name: vendor, sftp: {sftp_pass: secret}}
`);
    expect(message).toMatch(/studio\.sitesync\.sites\[1\]\.sftp: unknown key\(s\) sftp_hots/);
  });

  it("names every scope that wrote the same unknown key", () => {
    const message = errorOf(
      "studio:\n  sitesync: {enabeld: true}\nsite:\n  sitesync: {enabeld: false, local_setting: {active_site: local}}\n",
    );
    expect(message).toMatch(/studio\.sitesync: unknown key\(s\) enabeld/);
    expect(message).toMatch(/site\.sitesync: unknown key\(s\) enabeld/);
  });
});
