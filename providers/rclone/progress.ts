/**
 * Progress of one `rclone copyto` from its log: with `--use-json-log --stats
 * <interval> --stats-log-level NOTICE`, rclone writes a JSON line with a
 * `stats` object every interval while the file moves, and one at the end.
 */

/** Bytes moved so far, from one line of rclone's JSON log; undefined for any other line. */
export function bytesFromStatsLine(line: string): number | undefined {
  if (!line.includes('"stats"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { stats?: { bytes?: unknown } };
    const bytes = parsed.stats?.bytes;
    return typeof bytes === "number" && Number.isFinite(bytes) ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The flags that make rclone write those lines. */
export const STATS_FLAGS = ["--use-json-log", "--stats", "500ms", "--stats-log-level", "NOTICE"] as const;
