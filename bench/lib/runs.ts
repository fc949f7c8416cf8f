/**
 * Repeated paired runs: every contender runs once per round, in an order that
 * rotates from round to round (no contender always runs first or right after
 * the same other one), so drifts of a shared machine hit all alike. Medians,
 * percentiles, ratios and a markdown table for the notes.
 */

export type Times = Record<string, number[]>;

export interface PairedOptions<C> {
  runs: number;
  /** Untimed rounds first (results dropped). */
  warmup?: number;
  /** Before each round (e.g. wait for an idle CPU); its result is logged. */
  beforeRound?: () => Promise<unknown> | unknown;
  /** Before each timed contender run (e.g. flush dirty pages). */
  beforeRun?: (name: string) => Promise<unknown> | unknown;
  /** Called with each result, for a progress line on stderr. */
  onResult?: (name: string, value: number, round: number) => void;
  /** Passed to each contender: the round (1-based; <= 0 for warm-up rounds). */
  context?: (round: number, name: string) => C;
}

/** Runs every contender `runs` times in rotating order; returns each one's values (seconds, ms: theirs). */
export async function pairedRuns<C = number>(
  contenders: Record<string, (context: C) => Promise<number> | number>,
  options: PairedOptions<C>,
): Promise<Times> {
  const names = Object.keys(contenders);
  const times: Times = Object.fromEntries(names.map((n) => [n, []]));
  const warmup = options.warmup ?? 0;
  for (let round = 1 - warmup; round <= options.runs; round++) {
    await options.beforeRound?.();
    const shift = (round + warmup - 1) % Math.max(1, names.length);
    const order = [...names.slice(shift), ...names.slice(0, shift)];
    for (const name of order) {
      await options.beforeRun?.(name);
      const context = options.context ? options.context(round, name) : (round as C);
      const value = await (contenders[name] as (c: C) => Promise<number> | number)(context);
      if (round < 1) continue;
      times[name]?.push(value);
      options.onResult?.(name, value, round);
    }
  }
  return times;
}

/** Only the contenders named by --only (all when absent); fails when none is left. */
export function pick<T>(contenders: Record<string, T>, only: string[] | undefined): Record<string, T> {
  if (!only) return contenders;
  const kept = Object.fromEntries(Object.entries(contenders).filter(([name]) => only.includes(name)));
  if (Object.keys(kept).length === 0)
    throw new Error(`--only ${only.join(",")}: none of ${Object.keys(contenders).join(", ")}`);
  return kept;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function stats(values: number[]) {
  return {
    n: values.length,
    median: median(values),
    p90: percentile(values, 90),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** Medians of every contender. */
export function medians(times: Times): Record<string, number> {
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
}

/** a / b as "0.87", or "-" when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  return a && b && Number.isFinite(a) && Number.isFinite(b) ? (a / b).toFixed(2) : "-";
}

/** A number with `digits` decimals, or "-" when missing. */
export function fixed(value: number | undefined, digits = 2): string {
  return value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** Seconds since `start` (a performance.now() value). */
export const secondsSince = (start: number) => (performance.now() - start) / 1000;

/** A markdown table, so results paste straight into docs/benchmarks/. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
