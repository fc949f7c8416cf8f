/**
 * AYON's profile filtering, used by every "profiles" setting
 * (last_workfile_on_startup, workfile_template_profiles, ...). For each key:
 * an empty list or `*` scores 0, a list with a value whose regex full-matches
 * scores 1, and a list that does not match rejects the profile. The highest
 * total wins; ties go to the profile that matched the earlier keys, then to the
 * earlier profile.
 */

export type ProfileCriteria = Record<string, string | undefined>;

type Filterable = Record<string, unknown>;

export function filterProfiles<P extends Filterable>(
  profiles: readonly P[],
  criteria: ProfileCriteria,
): P | undefined {
  let best: { profile: P; total: number; matched: number[] } | undefined;
  for (const profile of profiles) {
    const matched = scoreProfile(profile, criteria);
    if (!matched) continue;
    const total = matched.reduce((a, b) => a + b, 0);
    if (!best || total > best.total || (total === best.total && earlierKeysWin(matched, best.matched))) {
      best = { profile, total, matched };
    }
  }
  return best?.profile;
}

function scoreProfile(profile: Filterable, criteria: ProfileCriteria): number[] | undefined {
  const scores: number[] = [];
  for (const [key, value] of Object.entries(criteria)) {
    const filters = filterList(profile, key);
    if (filters.length === 0 || filters.includes("*")) {
      scores.push(0);
      continue;
    }
    if (value === undefined || !filters.some((pattern) => fullMatch(pattern, value))) return undefined;
    scores.push(1);
  }
  return scores;
}

/**
 * The filter keys AYON's older settings spell differently: a profile written
 * as `hosts: [houdini]` or `tasks: [modelMain]` means `host_names` or
 * `task_names`.
 */
export const OLDER_FILTER_KEYS = { host_names: "hosts", task_names: "tasks" } as const;

/**
 * The list `profile` filters `key` by, under its older spelling too. The
 * newer list counts only when it has entries: the settings schema defaults it
 * to [], and an empty list there must not hide the older one (which would
 * make the profile match every host). When both have entries the newer one
 * wins and the older one is ignored, not merged: AYON's own code reads
 * `host_names` first and falls back to `hosts`.
 */
export function filterList(profile: Filterable, key: string): string[] {
  const newer = strings(profile[key]);
  const older = (OLDER_FILTER_KEYS as Readonly<Record<string, string>>)[key];
  return newer.length > 0 || older === undefined ? newer : strings(profile[older]);
}

function strings(list: unknown): string[] {
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === "string") : [];
}

function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    // A filter that is not a valid regex is compared as plain text, as a user would mean it.
    return pattern === value;
  }
}

function earlierKeysWin(candidate: number[], current: number[]): boolean {
  for (let i = 0; i < candidate.length; i++) {
    const a = candidate[i] ?? 0;
    const b = current[i] ?? 0;
    if (a !== b) return a > b;
  }
  return false;
}
