/**
 * Schemas of the settings document (docs/contract.md "Settings document"), with
 * AYON's key names and defaults so an AYON admin recognises every field.
 * Settings are validated here, at the edge; the rest of the code trusts the
 * inferred types.
 */
import { z } from "zod";
import { SITE_NAME_PATTERN } from "../names.js";
import { filterList } from "./profiles.js";

const PLATFORMS = ["windows", "linux", "darwin"] as const;

/** `{windows: [...], linux: [...], darwin: [...]}`: candidate paths, the first existing wins. */
const PerPlatformPaths = z.strictObject({
  windows: z.array(z.string()).default([]),
  linux: z.array(z.string()).default([]),
  darwin: z.array(z.string()).default([]),
});

const PerPlatformPath = z.strictObject({
  windows: z.string().default(""),
  linux: z.string().default(""),
  darwin: z.string().default(""),
});

/** An anatomy root as AYON's settings list it: `{name, windows, linux, darwin}`. */
const RootEntry = z.strictObject({
  name: z.string().min(1),
  windows: z.string().default(""),
  linux: z.string().default(""),
  darwin: z.string().default(""),
});

const LocalDriveBlock = z.strictObject({ roots: z.array(RootEntry).default([]) });

const GdriveBlock = z.strictObject({
  credentials_url: PerPlatformPaths.prefault({}),
  roots: z.string().default(""),
  /**
   * Not in AYON's model: the size of one request of a resumable upload, in
   * MiB. Drive requires a multiple of 256 KiB (0.25 MiB); larger chunks mean
   * fewer requests, smaller ones less to send again after a dropped connection.
   */
  chunk_size_mib: z
    .number()
    .min(0.25)
    .max(1024)
    .refine((mib) => Number.isInteger(mib * 4), "a multiple of 0.25 MiB (256 KiB), as Drive requires")
    .default(8),
  /** Not in AYON's model: requests a second this site sends Google, all transfers together (bursts allowed). */
  requests_per_second: z.number().min(0.1).max(1000).default(10),
});
export type GdriveSettings = z.infer<typeof GdriveBlock>;

const SftpBlock = z.strictObject({
  sftp_host: z.string().default(""),
  sftp_port: z.number().int().min(1).max(65535).default(22),
  sftp_user: z.string().default(""),
  sftp_pass: z.string().default(""),
  sftp_key: PerPlatformPaths.prefault({}),
  sftp_key_pass: z.string().default(""),
  roots: z.string().default(""),
  /** Not in AYON's model (which never checks host keys): OpenSSH's StrictHostKeyChecking values. */
  host_key_checking: z.enum(["yes", "accept-new", "no"]).default("yes"),
  /** known_hosts file; empty means ~/.ssh/known_hosts. */
  known_hosts: z.string().default(""),
  /** Parallel SFTP connections per site. */
  connections: z.number().int().min(1).max(16).default(4),
  /** Seconds to wait for the server before a site counts as unreachable. */
  connect_timeout: z.number().min(1).max(120).default(10),
  /**
   * How a transfer is checked before it is put in place. "size" (the default):
   * the size, as for any transfer where one side cannot give a content hash
   * (an SFTP server cannot); SSH's integrity check covers the bytes in transit.
   * "sha256": also the content hash recorded at publish, computed here on the
   * bytes as they pass, which also catches a server copy changed since the
   * publish, at about 0.6 s of CPU per GiB.
   */
  verify: z.enum(["size", "sha256"]).default("size"),
});

const DropboxBlock = z.strictObject({
  token: z.string().default(""),
  team_folder_name: z.string().default(""),
  acting_as_member: z.string().default(""),
  roots: z.string().default(""),
});

const RcloneBlock = z.strictObject({
  rclone_executable_path: PerPlatformPath.prefault({}),
  config_type: z.enum(["config_file", "config_web"]).default("config_file"),
  config_file: z
    .strictObject({
      remote_name: z.string().default(""),
      rclone_config_path: PerPlatformPath.prefault({}),
    })
    .prefault({}),
  config_web: z
    .strictObject({
      type: z.string().default(""),
      config_params: z.array(z.strictObject({ key: z.string(), value: z.string() })).default([]),
    })
    .prefault({}),
  root: z.string().default(""),
  additional_args: z.array(z.string()).default([]),
});

export type SftpSettings = z.infer<typeof SftpBlock>;
export type DropboxSettings = z.infer<typeof DropboxBlock>;

/** The provider blocks this package knows; a custom provider's block passes through unchecked. */
export const KNOWN_PROVIDER_BLOCKS = {
  local_drive: LocalDriveBlock,
  gdrive: GdriveBlock,
  sftp: SftpBlock,
  dropbox: DropboxBlock,
  rclone: RcloneBlock,
} as const;

type KnownProvider = keyof typeof KNOWN_PROVIDER_BLOCKS;
const KNOWN_PROVIDERS = Object.keys(KNOWN_PROVIDER_BLOCKS) as KnownProvider[];
const isKnownProvider = (kind: string): kind is KnownProvider => kind in KNOWN_PROVIDER_BLOCKS;

const SiteName = z
  .string()
  .regex(SITE_NAME_PATTERN, "a site name uses only letters, digits, '_', '.' and '-'");

/**
 * A site as written. An AYON server returns every site with all five
 * provider blocks, the unused ones at AYON's own defaults (an sftp block with
 * `sftp_port: 0` on a Google Drive site), so a block is only required to be an
 * object here; the site's own provider block is validated below.
 */
const AnyBlock = z.looseObject({}).optional();
const SiteInput = z.looseObject({
  name: SiteName,
  provider: z.string().min(1),
  alternative_sites: z.array(SiteName).default([]),
  local_drive: AnyBlock,
  gdrive: AnyBlock,
  sftp: AnyBlock,
  dropbox: AnyBlock,
  rclone: AnyBlock,
});

/** A validated site: the block of its own provider, if written, checked and with defaults filled. */
export type SiteSettings = {
  name: string;
  provider: string;
  alternative_sites: string[];
  /** A custom provider's block, unchecked (providers/README.md). */
  [key: string]: unknown;
} & { [K in KnownProvider]?: z.infer<(typeof KNOWN_PROVIDER_BLOCKS)[K]> };

/**
 * Only the block of the site's own provider is validated strictly (README
 * "Settings"): pasted AYON settings must load as they are. The other known
 * blocks are dropped rather than kept: nothing reads another provider's
 * block, and keeping it unchecked would put values of unknown shape behind a
 * typed field. A project or site scope that switches a site's provider is
 * merged first, so the block checked is the one of the provider in effect.
 */
export const SiteSchema = SiteInput.transform((site, ctx): SiteSettings => {
  const out: Record<string, unknown> = { ...site };
  for (const kind of KNOWN_PROVIDERS) if (kind !== site.provider) delete out[kind];
  const block = out[site.provider];
  if (!isKnownProvider(site.provider) || block === undefined) return out as SiteSettings;
  const parsed = KNOWN_PROVIDER_BLOCKS[site.provider].safeParse(block);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [site.provider, ...issue.path] });
    return z.NEVER;
  }
  out[site.provider] = parsed.data;
  return out as SiteSettings;
});

const LocalSetting = z.strictObject({
  active_site: z.string().default(""),
  remote_site: z.string().default(""),
  local_roots: z.array(z.strictObject({ name: z.string().min(1), path: z.string() })).default([]),
});

export const SitesyncSchema = z.strictObject({
  enabled: z.boolean().default(false),
  config: z
    .strictObject({
      retry_cnt: z.number().int().min(1).default(3),
      loop_delay: z.number().min(0).default(60),
      always_accessible_on: z.array(SiteName).default([]),
      active_site: z.string().default("studio"),
      remote_site: z.string().default("studio"),
    })
    .prefault({}),
  local_setting: LocalSetting.prefault({}),
  sites: z.array(SiteSchema).default([]),
});

/** Profile filter lists, with the older spellings AYON's older settings use (profiles.ts OLDER_FILTER_KEYS). */
const ProfileFilters = {
  host_names: z.array(z.string()).default([]),
  hosts: z.array(z.string()).optional(),
  task_types: z.array(z.string()).default([]),
  task_names: z.array(z.string()).default([]),
  tasks: z.array(z.string()).optional(),
};

/**
 * Folds the older spellings into `host_names` and `task_names`, by the rule
 * profile filtering reads them with, so the validated settings (and their
 * cache) say plainly what a profile filters by.
 */
function withNewerFilterKeys<P extends { host_names: string[]; task_names: string[] }>({
  hosts,
  tasks,
  ...profile
}: P & { hosts?: string[] | undefined; tasks?: string[] | undefined }) {
  return {
    ...profile,
    host_names: filterList({ host_names: profile.host_names, hosts }, "host_names"),
    task_names: filterList({ task_names: profile.task_names, tasks }, "task_names"),
  };
}

const LastWorkfileOnStartupProfile = z
  .strictObject({
    ...ProfileFilters,
    enabled: z.boolean().default(true),
    use_last_published_workfile: z.boolean().default(false),
  })
  .transform(withNewerFilterKeys);

const WorkfileTemplateProfile = z
  .strictObject({
    ...ProfileFilters,
    workfile_template: z.string().default("default"),
  })
  .transform(withNewerFilterKeys);

export const CoreSchema = z.looseObject({
  tools: z
    .looseObject({
      Workfiles: z
        .looseObject({
          last_workfile_on_startup: z.array(LastWorkfileOnStartupProfile).default([]),
          workfile_template_profiles: z.array(WorkfileTemplateProfile).default([]),
        })
        .prefault({}),
    })
    .prefault({}),
});

const ApplicationVariant = z.strictObject({
  label: z.string().optional(),
  executables: PerPlatformPaths.prefault({}),
  arguments: PerPlatformPaths.prefault({}),
  environment: z.record(z.string(), z.string()).default({}),
});

const ApplicationGroup = z.strictObject({
  label: z.string().optional(),
  host_name: z.string().min(1),
  variants: z.record(z.string(), ApplicationVariant).default({}),
});

export const ApplicationsSchema = z.record(z.string(), ApplicationGroup);

const LauncherSchema = z.strictObject({
  /** Extra folders of prelaunch hooks a studio adds. */
  hook_dirs: z.array(z.string()).default([]),
});

/**
 * Not in AYON's model: the status page (README "Status page"), read from the
 * studio scope with the site scope merged over it (a project scope's value is
 * not used: one page serves every project).
 */
const DashboardSchema = z.strictObject({
  /** Whether `sitesync syncservice` serves the page too. */
  enabled: z.boolean().default(true),
  /** The 127.0.0.1 port; 0 picks a free one (printed, and recorded in the home). */
  port: z.int().min(0).max(65535).default(0),
});

/** The effective settings of one project (studio -> project -> site merged). */
export const ProjectSettingsSchema = z.strictObject({
  sitesync: SitesyncSchema.prefault({}),
  core: CoreSchema.prefault({}),
  applications: ApplicationsSchema.default({}),
  launcher: LauncherSchema.prefault({}),
  dashboard: DashboardSchema.prefault({}),
});

/**
 * Where the catalog and sync state live (docs/adding-a-store.md): the home's
 * embedded SQLite file, or a PostgreSQL database a studio's machines share.
 * Top-level (the studio's), with `site.store` merged over it for this
 * workstation (a VPN address, its own CA file); SITESYNC_STORE_URL wins over both.
 */
export const StoreSchema = z
  .strictObject({
    kind: z.enum(["sqlite", "postgres"]).default("sqlite"),
    /** postgres://user@host:port/database; the password is better kept in PGPASSWORD or ~/.pgpass. */
    url: z.string().min(1).optional(),
    sslmode: z.enum(["disable", "require", "verify-ca", "verify-full"]).optional(),
    /** PEM file of the CA the server's certificate must chain to. */
    ca_file: z.string().min(1).optional(),
    connect_timeout_s: z.number().positive().max(600).optional(),
    pool_size: z.int().min(1).max(100).optional(),
  })
  .refine((store) => store.kind !== "postgres" || store.url !== undefined, {
    message: 'kind "postgres" needs url (postgres://user@host:port/database)',
    path: ["url"],
  });

/** The document's shape before merging; each scope is validated after the merge. */
const Scope = z.record(z.string(), z.unknown());
export const DocumentSchema = z.strictObject({
  store: StoreSchema.optional(),
  studio: Scope.default({}),
  projects: z.record(z.string(), Scope).default({}),
  site: Scope.default({}),
});

export type ProjectSettings = z.infer<typeof ProjectSettingsSchema>;
export type SitesyncSettings = z.infer<typeof SitesyncSchema>;
export type StoreSettings = z.infer<typeof StoreSchema>;
export type DashboardSettings = z.infer<typeof DashboardSchema>;
export type SettingsDocument = z.infer<typeof DocumentSchema>;
export type Profile = z.infer<typeof LastWorkfileOnStartupProfile> | z.infer<typeof WorkfileTemplateProfile>;
export type Platform = (typeof PLATFORMS)[number];
