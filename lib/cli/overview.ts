/** What `status` and `project list` both tell: pauses and counts per status. */
import { SyncStatus as Codes, type SyncStatus, statusName } from "../store/status.js";
import type { PauseTarget, StateCount } from "../store/types.js";

/** Every status by name, in AYON's code order, so counts under --json always have the same keys. */
export const STATUS_NAMES = Object.keys(Codes) as Array<keyof typeof Codes>;

export type CountsByStatus = Record<keyof typeof Codes, number>;

export function countsBySide(counts: readonly StateCount[]): {
  local: CountsByStatus;
  remote: CountsByStatus;
} {
  const zero = () => Object.fromEntries(STATUS_NAMES.map((name) => [name, 0])) as CountsByStatus;
  const local = zero();
  const remote = zero();
  const add = (into: CountsByStatus, status: SyncStatus, n: number) => {
    const name = statusName(status) as keyof typeof Codes;
    into[name] = (into[name] ?? 0) + n;
  };
  for (const c of counts) {
    add(local, c.localStatus, c.count);
    add(remote, c.remoteStatus, c.count);
  }
  return { local, remote };
}

/** `OK 3, QUEUED 2`: the statuses present, in code order. */
export function countsText(counts: CountsByStatus): string {
  return (
    STATUS_NAMES.filter((name) => counts[name] > 0)
      .map((name) => `${name} ${counts[name]}`)
      .join(", ") || "none"
  );
}

export interface ProjectPauses {
  service: boolean;
  project: boolean;
  representations: Set<string>;
}

/** The pauses that hold a project's sync (the engine skips all of them: docs/domain.md "Pauses"). */
export function pausesOf(pauses: readonly PauseTarget[], project: string): ProjectPauses {
  const representations = new Set<string>();
  let service = false;
  let paused = false;
  for (const p of pauses) {
    if (p.kind === "service") service = true;
    else if (p.project !== project) continue;
    else if (p.kind === "project") paused = true;
    else representations.add(p.representationId);
  }
  return { service, project: paused, representations };
}
