/**
 * The sites a project syncs between, as a workstation sees them: the
 * configured sites plus the two AYON always has, `studio` (local_drive on the
 * project's anatomy roots) and this workstation's local site (named by its
 * site id, `local` in settings, rooted at `local_setting.local_roots`).
 */
import { type AnatomyRoots, type Platform, rootsForPlatform } from "../anatomy/roots.js";
import { SettingsError } from "../errors.js";
import { expandEnv } from "./env.js";
import type { ProjectSettings, SiteSettings } from "./schema.js";

export const STUDIO_SITE = "studio";
/** How settings refer to "this workstation's site". */
export const LOCAL_ALIAS = "local";

export interface ResolvedSite {
  name: string;
  provider: string;
  alternativeSites: readonly string[];
  /** The provider block from settings (e.g. `sites[].sftp`), or {} for the built-in sites. */
  config: unknown;
  /** Root name -> value on this platform; empty when the site has none configured. */
  roots: Readonly<Record<string, string>>;
  /**
   * Why the site cannot be used from this workstation (e.g. an unset {ENV} in
   * a credential path). Reported when the site is used, so a site nobody here
   * uses does not stop every command.
   */
  problems: readonly string[];
}

export interface ProjectSites {
  syncEnabled: boolean;
  localSiteId: string;
  activeSite: string;
  remoteSite: string;
  sites: ReadonlyMap<string, ResolvedSite>;
  alwaysAccessibleOn: readonly string[];
}

export function resolveProjectSites(
  settings: ProjectSettings,
  anatomyRoots: AnatomyRoots,
  localSiteId: string,
  platform: Platform,
): ProjectSites {
  const sitesync = settings.sitesync;
  const sites = new Map<string, ResolvedSite>();
  const anatomy = rootsForPlatform(anatomyRoots, platform);
  sites.set(STUDIO_SITE, builtinSite(STUDIO_SITE, anatomy));

  const localRoots = Object.fromEntries(
    sitesync.local_setting.local_roots.map((root) => [
      root.name,
      expandEnv(root.path, `site.sitesync.local_setting.local_roots[${root.name}]`),
    ]),
  );
  // With AYON_SITE_ID=studio (a studio service), the local site is studio itself.
  if (localSiteId !== STUDIO_SITE || Object.keys(localRoots).length > 0) {
    sites.set(localSiteId, builtinSite(localSiteId, localRoots));
  }

  for (const site of sitesync.sites) {
    const name = site.name === LOCAL_ALIAS ? localSiteId : site.name;
    const base = sites.get(name);
    sites.set(name, configuredSite({ ...site, name }, anatomy, platform, base));
  }

  if (!sitesync.enabled) {
    return {
      syncEnabled: false,
      localSiteId,
      activeSite: STUDIO_SITE,
      remoteSite: STUDIO_SITE,
      sites,
      alwaysAccessibleOn: [],
    };
  }
  const pick = (key: "active_site" | "remote_site"): string => {
    const fromLocal = sitesync.local_setting[key];
    const value = fromLocal || sitesync.config[key];
    const name = value === LOCAL_ALIAS ? localSiteId : value;
    if (!sites.has(name)) {
      const where = fromLocal ? `site.sitesync.local_setting.${key}` : `sitesync.config.${key}`;
      throw new SettingsError(
        `${where}: site "${value}" is not configured (sites: ${[...sites.keys()].join(", ")})`,
      );
    }
    return name;
  };
  const alwaysAccessibleOn = sitesync.config.always_accessible_on.map((name) => {
    const resolved = name === LOCAL_ALIAS ? localSiteId : name;
    if (!sites.has(resolved)) {
      throw new SettingsError(
        `sitesync.config.always_accessible_on: site "${name}" is not configured (sites: ${[...sites.keys()].join(", ")})`,
      );
    }
    return resolved;
  });
  return {
    syncEnabled: true,
    localSiteId,
    activeSite: pick("active_site"),
    remoteSite: pick("remote_site"),
    sites,
    alwaysAccessibleOn,
  };
}

function builtinSite(name: string, roots: Record<string, string>): ResolvedSite {
  return { name, provider: "local_drive", alternativeSites: [], config: {}, roots, problems: [] };
}

function configuredSite(
  site: SiteSettings,
  anatomy: Record<string, string>,
  platform: Platform,
  base: ResolvedSite | undefined,
): ResolvedSite {
  const problems: string[] = [];
  const block = expandProviderPaths(site, platform, problems);
  let roots: Record<string, string> = { ...(base?.roots ?? {}) };
  if (site.provider === "local_drive" && site.local_drive) {
    for (const root of site.local_drive.roots) {
      const value = root[platform];
      if (value)
        roots[root.name] = expandEnv(value, `sitesync.sites[${site.name}].local_drive.roots[${root.name}]`);
    }
  } else if (site.provider !== "local_drive") {
    // Remote providers have one root folder; every anatomy root maps into it, as upstream.
    const folder = remoteRoot(site);
    roots =
      folder === undefined ? {} : Object.fromEntries(Object.keys(anatomy).map((name) => [name, folder]));
  }
  return {
    name: site.name,
    provider: site.provider,
    alternativeSites: site.alternative_sites,
    config: block,
    roots,
    problems,
  };
}

/**
 * AYON formats credential and executable paths with the environment
 * (`{AYON_KEYS}/sa.json`): gdrive `credentials_url`, sftp `sftp_key`, rclone
 * `rclone_executable_path` and `rclone_config_path`, for this platform.
 */
function expandProviderPaths(site: SiteSettings, platform: Platform, problems: string[]): unknown {
  const where = (key: string) => `sitesync.sites[${site.name}].${site.provider}.${key}`;
  const expand = (value: string, key: string): string => {
    try {
      return expandEnv(value, where(key));
    } catch (error) {
      problems.push((error as Error).message);
      return value;
    }
  };
  const expandList = (paths: { [P in Platform]: string[] }, key: string) => ({
    ...paths,
    [platform]: paths[platform].map((p) => expand(p, `${key}.${platform}`)),
  });
  switch (site.provider) {
    case "gdrive":
      return (
        site.gdrive && {
          ...site.gdrive,
          credentials_url: expandList(site.gdrive.credentials_url, "credentials_url"),
        }
      );
    case "sftp":
      return site.sftp && { ...site.sftp, sftp_key: expandList(site.sftp.sftp_key, "sftp_key") };
    case "rclone": {
      const rclone = site.rclone;
      if (!rclone) return undefined;
      const exe = rclone.rclone_executable_path;
      const config = rclone.config_file.rclone_config_path;
      return {
        ...rclone,
        rclone_executable_path: {
          ...exe,
          [platform]: expand(exe[platform], `rclone_executable_path.${platform}`),
        },
        config_file: {
          ...rclone.config_file,
          rclone_config_path: {
            ...config,
            [platform]: expand(config[platform], `config_file.rclone_config_path.${platform}`),
          },
        },
      };
    }
    default:
      return (site as Record<string, unknown>)[site.provider] ?? {};
  }
}

function remoteRoot(site: SiteSettings): string | undefined {
  switch (site.provider) {
    case "sftp":
      return site.sftp?.roots;
    case "gdrive":
      return site.gdrive?.roots;
    case "dropbox":
      return site.dropbox?.roots;
    case "rclone":
      return site.rclone?.root;
    default: {
      const block = (site as Record<string, unknown>)[site.provider];
      const roots = typeof block === "object" && block ? (block as { roots?: unknown }).roots : undefined;
      return typeof roots === "string" ? roots : undefined;
    }
  }
}

/** Sites that mirror `site`'s state: its alternatives and every site naming it as one (both ways, upstream). */
export function alternativesOf(sites: ProjectSites, site: string): string[] {
  const out = new Set<string>(sites.sites.get(site)?.alternativeSites ?? []);
  for (const other of sites.sites.values()) {
    if (other.alternativeSites.includes(site)) out.add(other.name);
  }
  out.delete(site);
  return [...out].filter((name) => sites.sites.has(name));
}
