import { describe, expect, it } from "vitest";
import { initialSiteStatuses } from "../../lib/publish/site-states.js";
import { resolveProjectSites } from "../../lib/settings/sites.js";
import { parseSettings } from "../../lib/settings/validate.js";
import { SyncStatus } from "../../lib/store/status.js";

const kinds = { providerKinds: ["local_drive", "sftp"] };
const sitesFrom = (text: string) =>
  resolveProjectSites(
    parseSettings(text, "s.yaml", kinds).forProject("Proj"),
    { work: { linux: "/mnt/projects" } },
    "ws-1",
    "linux",
  );

const SFTP_ALTERNATIVE = `
studio:
  sitesync:
    enabled: true
    config: {always_accessible_on: [backup]}
    sites:
      - {name: sftp, provider: sftp, alternative_sites: [studio], sftp: {sftp_host: h, sftp_user: u, roots: /up}}
      - {name: backup, provider: local_drive, local_drive: {roots: [{name: work, linux: /backup}]}}
site:
  sitesync: {local_setting: {active_site: local, remote_site: studio, local_roots: [{name: work, path: /w}]}}
`;

describe("initial sync state of a publish", () => {
  it("marks the publishing site OK and the other site of the pair QUEUED", () => {
    const statuses = initialSiteStatuses(sitesFrom(SFTP_ALTERNATIVE), "ws-1");
    expect(statuses.get("ws-1")).toBe(SyncStatus.OK);
    expect(statuses.get("studio")).toBe(SyncStatus.QUEUED);
  });

  it("gives alternative sites the state of the site they mirror", () => {
    const fromStudio = initialSiteStatuses(sitesFrom(SFTP_ALTERNATIVE), "studio");
    expect(fromStudio.get("sftp")).toBe(SyncStatus.OK);
    const fromLocal = initialSiteStatuses(sitesFrom(SFTP_ALTERNATIVE), "ws-1");
    expect(fromLocal.get("sftp")).toBe(SyncStatus.QUEUED);
  });

  it("queues always_accessible_on sites", () => {
    expect(initialSiteStatuses(sitesFrom(SFTP_ALTERNATIVE), "studio").get("backup")).toBe(SyncStatus.QUEUED);
  });

  it("resets sites that held a hero version before", () => {
    const statuses = initialSiteStatuses(sitesFrom(SFTP_ALTERNATIVE), "studio", ["ws-9"]);
    expect(statuses.get("ws-9")).toBe(SyncStatus.QUEUED);
  });

  it("records only studio, as OK, when sync is disabled", () => {
    const statuses = initialSiteStatuses(sitesFrom("studio: {sitesync: {enabled: false}}"), "studio");
    expect([...statuses]).toEqual([["studio", SyncStatus.OK]]);
  });
});
