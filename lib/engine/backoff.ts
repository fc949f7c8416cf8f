/**
 * Exponential backoff between retries of one file: base, 2x base, 4x base...
 * capped. The base is 1 s; SITESYNC_RETRY_BASE_MS changes it (tests use a few ms).
 */
const CAP_MS = 60_000;

export function retryBaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.SITESYNC_RETRY_BASE_MS);
  return Number.isFinite(value) && value >= 0 && env.SITESYNC_RETRY_BASE_MS !== "" ? value : 1000;
}

export function backoffMs(retries: number, baseMs: number): number {
  return Math.min(CAP_MS, baseMs * 2 ** Math.max(0, retries - 1));
}

/** Waits, or rejects with the signal's reason as soon as it is aborted. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
