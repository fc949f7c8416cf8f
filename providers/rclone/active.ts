/**
 * Whether an rclone site can be used now (providers/README.md, rule 6),
 * asked of the provider's own `rclone rcd` (rcd.ts), which the transfers need
 * anyway: its version, then the root on the remote. Two rclone processes per
 * check (`version`, `lsjson`) cost a third of a second before every pass. When
 * the daemon cannot start, `rclone version` says why in rclone's words (not
 * found, not executable). A check that does not answer in time is inactive.
 */

import type { ActiveCheck } from "../provider.js";
import { activeWithin } from "../shared/active-check.js";
import { RcloneFailure } from "./errors.js";
import { execRclone } from "./exec.js";
import type { SitePaths } from "./paths.js";
import { executableOf, type RcloneConfig, settingsProblem } from "./settings.js";

/** isActive's limit; a remote that does not answer within it is inactive. */
const ACTIVE_TIMEOUT_MS = 15_000;

export interface ActiveSite {
  siteName: string;
  config: RcloneConfig;
  root: string;
  paths: SitePaths;
  /** A call to the site's daemon, started on first use. */
  rc<T>(method: string, params: Record<string, unknown>): Promise<T>;
}

const reasonOf = (error: unknown) =>
  error instanceof RcloneFailure ? error.reason : error instanceof Error ? error.message : String(error);

export async function checkActive(site: ActiveSite): Promise<ActiveCheck> {
  const problem = settingsProblem(site.config);
  if (problem) return { active: false, reason: problem };
  if (site.root.trim() === "")
    return {
      active: false,
      reason: "rclone.root is empty: set the folder on the remote the site's files live under",
    };
  const executable = executableOf(site.config);
  const where = `rclone site "${site.siteName}" (${site.paths.spec(site.root)})`;
  const inactive = (reason: string): ActiveCheck => ({ active: false, reason: `${where}: ${reason}` });
  const check = await activeWithin(ACTIVE_TIMEOUT_MS, "rclone", async (at) => {
    let version: string | undefined;
    try {
      ({ version } = await site.rc<{ version?: string }>("core/version", {}));
    } catch (error) {
      // The daemon did not start: rclone's own words for why, when it has some.
      const own = await execRclone(executable, ["version"], { timeoutMs: ACTIVE_TIMEOUT_MS }).then(
        (out) =>
          /^rclone v\d+\.\d+/m.test(out) ? null : `"${executable} version" did not answer as rclone does`,
        reasonOf,
      );
      return inactive(own ?? reasonOf(error));
    }
    if (!/^v\d+\.\d+/.test(version ?? ""))
      return inactive(`"${executable}" did not answer as rclone does (version "${version ?? ""}")`);
    at("the remote");
    try {
      // Only whether the remote answers: a root not made yet is made by the first upload.
      await site.rc("operations/stat", site.paths.rc(site.root));
    } catch (error) {
      if (!(error instanceof RcloneFailure && error.failure === "missing")) return inactive(reasonOf(error));
    }
    return { active: true };
  });
  return check.active || check.reason.startsWith(where) ? check : inactive(check.reason);
}
