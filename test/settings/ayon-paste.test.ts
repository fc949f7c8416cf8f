/**
 * Issue 11 item 13: AYON's settings paste as they are. An AYON server returns
 * every site with all five provider blocks, the unused ones at AYON's
 * defaults (an sftp block with `sftp_port: 0` on a Google Drive site); those
 * are accepted, and only the block of the site's own provider is validated
 * strictly. The fixture is described in test/fixtures/settings/README.md.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadHomeSettings } from "../../lib/context.js";
import { resolveProjectSites } from "../../lib/settings/sites.js";
import { tempDir } from "../helpers/tmp.js";

const FIXTURE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/settings/ayon-sitesync.json",
);

interface Site extends Record<string, unknown> {
  name: string;
  provider: string;
}
interface Document {
  studio: { sitesync: { sites: Site[] } };
  projects: { Proj: { sitesync: { sites: Site[] } } };
  site: { sitesync: { sites: Site[] } };
}

const fixture = (): Document => JSON.parse(readFileSync(FIXTURE, "utf8"));

/** A home holding `document` as settings.json or as settings.yaml, loaded by the commands' own loader. */
function homeWith(document: Document, format: "json" | "yaml") {
  const home = tempDir();
  const file = path.join(home, `settings.${format}`);
  writeFileSync(file, format === "json" ? JSON.stringify(document, null, 2) : stringify(document));
  return { file, load: () => loadHomeSettings(home) };
}

const PROVIDER_BLOCKS = ["local_drive", "gdrive", "dropbox", "sftp", "rclone"];

describe.each(["json", "yaml"] as const)("AYON's sitesync settings pasted as settings.%s", (format) => {
  it("are accepted, AYON's defaults in the unused provider blocks included", async () => {
    const document = fixture();
    // The premise: every scope has a site of another provider carrying AYON's sftp_port 0.
    for (const sites of [document.studio, document.projects.Proj, document.site].map(
      (s) => s.sitesync.sites,
    )) {
      const gdrive = sites.find((site) => site.name === "gdrive");
      expect(gdrive?.provider).toBe("gdrive");
      expect(gdrive?.sftp).toMatchObject({ sftp_port: 0 });
      for (const site of sites) expect(Object.keys(site)).toEqual(expect.arrayContaining(PROVIDER_BLOCKS));
    }

    const settings = (await homeWith(document, format).load()).forProject("Proj");
    expect(settings.sitesync.config).toMatchObject({ loop_delay: 30, always_accessible_on: ["backup"] });
    expect(settings.sitesync.sites.map((site) => [site.name, site.provider])).toEqual([
      ["backup", "local_drive"],
      ["gdrive", "gdrive"],
      ["vendor", "sftp"],
      ["dropbox", "dropbox"],
      ["s3", "rclone"],
    ]);
    // The unused blocks are dropped from the validated settings (schema.ts SiteSchema): only the
    // site's own block is left, validated and with this package's defaults filled in.
    for (const site of settings.sitesync.sites) {
      expect(PROVIDER_BLOCKS.filter((block) => block in site)).toEqual([site.provider]);
    }
    const vendor = settings.sitesync.sites.find((site) => site.name === "vendor");
    expect(vendor?.sftp).toMatchObject({
      sftp_host: "files.studio.example",
      sftp_port: 22,
      sftp_pass: "vendor-secret",
      host_key_checking: "yes",
    });

    // And the settings work: every site resolves with its provider's root.
    const sites = resolveProjectSites(settings, { work: { linux: "/mnt/share/projects" } }, "ws-1", "linux");
    expect(sites.activeSite).toBe("ws-1");
    expect(sites.remoteSite).toBe("vendor");
    expect(sites.sites.get("gdrive")?.roots).toEqual({ work: "/My Drive/ayon_projects" });
    expect(sites.sites.get("s3")?.roots).toEqual({ work: "studio-bucket/projects" });
    expect(sites.sites.get("backup")?.roots).toEqual({ work: "/mnt/backup/projects" });
    expect(sites.sites.get("ws-1")?.roots).toEqual({ work: "/home/artist/projects" });
  });

  it("still validate the block of the site's own provider strictly, naming it and only it", async () => {
    const document = fixture();
    const vendor = document.site.sitesync.sites.findIndex((site) => site.name === "vendor");
    const block = document.site.sitesync.sites[vendor]?.sftp as Record<string, unknown>;
    block.sftp_port = 0;
    const { file, load } = homeWith(document, format);
    expect(await problemsOf(load)).toEqual([
      `${file}: invalid settings:`,
      expect.stringMatching(
        new RegExp(`^site\\.sitesync\\.sites\\[${vendor}\\]\\.sftp\\.sftp_port: Too small.*\\(got 0\\)$`),
      ),
    ]);
  });

  it("still refuse an unknown key in the site's own provider block, and only there", async () => {
    const document = fixture();
    const s3 = document.site.sitesync.sites.findIndex((site) => site.name === "s3");
    const block = document.site.sitesync.sites[s3]?.rclone as Record<string, unknown>;
    block.rclone_exe = "rclone";
    const { file, load } = homeWith(document, format);
    expect(await problemsOf(load)).toEqual([
      `${file}: invalid settings:`,
      `site.sitesync.sites[${s3}].rclone: unknown key(s) rclone_exe: not a settings key`,
    ]);
  });
});

/** The lines of the settings error `load` fails with. */
async function problemsOf(load: () => Promise<unknown>): Promise<string[]> {
  try {
    await load();
  } catch (error) {
    return (error as Error).message.split("\n").map((line) => line.trim());
  }
  throw new Error("the settings were accepted");
}
