/**
 * Text for people: sizes, widths and tables. Results under --json never pass
 * through here, so what a script reads keeps exact bytes and full messages.
 */

const UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"];

/** `512 B`, `1.5 KiB`, `2.0 GiB`: binary units, the ones file managers and `du -h` use. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = "B";
  for (const next of UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/**
 * Columns to fit text into: $COLUMNS first (as most tools honour it, and so a
 * pipe can ask for a width), then the terminal's, else 80.
 */
export function terminalWidth(): number {
  const fromEnv = Number(process.env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (process.stdout.isTTY && process.stdout.columns > 0) return process.stdout.columns;
  return 80;
}

/** The text cut to `width` characters, the cut marked with an ellipsis. */
export function truncate(text: string, width: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, " ");
  if (oneLine.length <= width) return oneLine;
  return `${oneLine.slice(0, Math.max(width - 1, 0))}…`;
}

/** Left-aligned columns two spaces apart; `right` columns (numbers) are aligned right. */
export function renderTable(
  header: string[],
  rows: string[][],
  right: ReadonlySet<number> = new Set(),
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
