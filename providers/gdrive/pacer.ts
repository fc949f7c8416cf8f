/**
 * Google Drive counts requests per user per 100 s and answers 403
 * `userRateLimitExceeded` or 429 beyond it. One pacer per site (every
 * transfer of the site shares it, as rclone's drive backend paces its
 * requests) lets `requests_per_second` through with bursts, and a rate-limited
 * request is retried after an exponential pause with jitter, or after
 * Google's `Retry-After` when it gives one.
 */

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    signal?.throwIfAborted();
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

/** A token bucket: `rate` requests a second, up to `burst` at once after a quiet spell. */
export class Pacer {
  private tokens: number;
  private last = Date.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly rate: number,
    readonly burst: number = Math.max(1, Math.ceil(rate)),
  ) {
    this.tokens = burst;
  }

  /** Waits for a turn; turns are taken in order. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const turn = this.queue.then(async () => {
      this.refill();
      if (this.tokens < 1) {
        await sleep(((1 - this.tokens) / this.rate) * 1000);
        this.refill();
      }
      this.tokens -= 1;
    });
    this.queue = turn.catch(() => undefined);
    if (!signal) return turn;
    // A stopped transfer leaves the queue at once; its turn, when it comes, is spent on nothing.
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    return Promise.race([turn, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}

const pacers = new Map<string, Pacer>();

/** The site's pacer: every provider made for the site shares one. */
export function pacerFor(site: string, rate: number): Pacer {
  const known = pacers.get(site);
  if (known && known.rate === rate) return known;
  const pacer = new Pacer(rate);
  pacers.set(site, pacer);
  return pacer;
}

export interface BackoffOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The first pause, doubled after each rate-limited attempt. */
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { attempts: 8, baseMs: 1000, maxMs: 64_000 };

/** Pause before attempt `attempt + 1` (0-based): Google's `Retry-After` wins; otherwise 2^n s plus up to 1 s of jitter. */
export function backoffDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxMs);
  const jitter = (options.random ?? Math.random)() * options.baseMs;
  return Math.min(options.baseMs * 2 ** attempt + jitter, options.maxMs);
}

/**
 * Runs `request` after a turn of the pacer; while `limited(error)` gives a
 * wait (the request was rate-limited), pauses and tries again, up to
 * `options.attempts` in all. Any other failure is thrown at once.
 */
export async function paced<T>(
  pacer: Pacer,
  request: () => Promise<T>,
  limited: (error: unknown) => { retryAfterMs?: number } | undefined,
  options: BackoffOptions = DEFAULT_BACKOFF,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    await pacer.take(signal);
    try {
      return await request();
    } catch (error) {
      const limit = limited(error);
      if (!limit || attempt + 1 >= options.attempts) throw error;
      await sleep(backoffDelay(attempt, limit.retryAfterMs, options), signal);
    }
  }
}
