/**
 * `isActive` within a time limit, for providers whose check is several calls
 * to a service (credentials, account, each root): the check names the part it
 * is at, and the answer says which part failed or did not answer in time
 * (providers/README.md, rule 6).
 */
import type { ActiveCheck } from "../provider.js";

export async function activeWithin(
  timeoutMs: number,
  firstPart: string,
  check: (at: (part: string) => void) => Promise<ActiveCheck>,
): Promise<ActiveCheck> {
  let part = firstPart;
  const checking = check((next) => {
    part = next;
  }).catch(
    (error: unknown): ActiveCheck => ({
      active: false,
      reason: `${part}: ${error instanceof Error ? error.message : String(error)}`,
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ActiveCheck>((resolve) => {
    timer = setTimeout(
      () => resolve({ active: false, reason: `checking ${part} timed out after ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([checking, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
