/**
 * Image sequences and UDIM tiles for `sitesync publish` (AYON's integrator
 * publishes a collection of files as one representation, one file per frame or
 * tile). Turns `--file` values into sequences: frame patterns in the
 * conventions of Nuke (`r.####.exr`), ffmpeg (`r.%04d.exr`), Houdini
 * (`r.$F4.exr`) and Mari/Maya (`tex.<UDIM>.exr`), expanded against one listing
 * of their folder; and lists of files that differ only in one number, grouped.
 * Frame ranges are parsed here and written back compactly
 * ("1001-1050,1052-1100"). Everything works on maps and sets, so a 2,000-frame
 * sequence plans in linear time.
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { TemplateData } from "../anatomy/template.js";
import { InputError } from "../errors.js";

/** What a number in a sequence fills in the publish template: `{frame}` or `{udim}`. */
export type SequenceKind = "frame" | "udim";

/** One file of a sequence: its absolute path and its frame or tile number. */
export interface SequenceItem {
  source: string;
  number: number;
}

/** A `--file` value as the plan consumes it: one plain file, or a sequence of frames or tiles. */
export type SourceEntry =
  | { kind: "file"; source: string }
  | {
      kind: "sequence";
      /** The `--file` value(s) it came from, for messages. */
      label: string;
      fills: SequenceKind;
      /** Digits of the frame number in the source names (0: unpadded). */
      padding: number;
      /** Sorted by number, no number twice. */
      items: SequenceItem[];
    };

export type SequenceEntry = Extract<SourceEntry, { kind: "sequence" }>;

export interface SequenceOptions {
  /** `--frames`: the frames to publish, e.g. "1001-1100". */
  frames?: string | undefined;
  /** `--allow-missing-frames`: publish the frames of `--frames` that exist. */
  allowMissingFrames?: boolean | undefined;
  /** `--udim`: numbers are UDIM tiles, not frames. */
  udim?: boolean | undefined;
}

export const UDIM_FIRST = 1001;
export const UDIM_LAST = 1999;
/** A `--frames` range larger than this is a typo, not a render. */
const MAX_FRAMES = 1_000_000;
/** How many missing frames an error lists. */
const MISSING_LISTED = 10;

interface FramePattern {
  dir: string;
  prefix: string;
  suffix: string;
  /** 0 for `%d` and `$F` (unpadded). */
  padding: number;
  udim: boolean;
}

// Nuke `####`, ffmpeg `%04d` / `%d`, Houdini `$F4` / `$F`, Mari and Maya `<UDIM>`.
const TOKEN_RE = /#+|%(0?\d+)?d|\$F(\d*)|<UDIM>/g;

/** The frame or tile token of a `--file` value, or undefined for a plain file name. */
export function parsePattern(file: string): FramePattern | undefined {
  const dir = path.dirname(file);
  const base = path.basename(file);
  if (file.slice(0, file.length - base.length).match(TOKEN_RE)) {
    throw new InputError(`--file: "${file}": a frame or UDIM token belongs in the file name, not its folder`);
  }
  const tokens = [...base.matchAll(TOKEN_RE)];
  const [token] = tokens;
  if (!token) return undefined;
  if (tokens.length > 1) {
    throw new InputError(
      `--file: "${file}" has ${tokens.length} frame or UDIM tokens (${tokens.map((t) => t[0]).join(", ")}); a pattern has one`,
    );
  }
  const text = token[0];
  let padding: number;
  if (text.startsWith("#")) padding = text.length;
  else if (text.startsWith("%")) padding = token[1] === undefined ? 0 : Number(token[1]);
  else if (text.startsWith("$F")) padding = token[2] ? Number(token[2]) : 0;
  else padding = 4;
  if (padding > 32) throw new InputError(`--file: "${file}": padding ${padding} is not a frame padding`);
  return {
    dir: path.resolve(dir),
    prefix: base.slice(0, token.index),
    suffix: base.slice(token.index + text.length),
    padding,
    udim: text === "<UDIM>",
  };
}

/** `--frames`: "1001-1100", "1001", or a list of both, "1001-1050,1052-1100". Sorted, unique. */
export function parseFrameRange(text: string, option = "--frames"): number[] {
  const frames = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const start = Number(m?.[1]);
    const end = m?.[2] === undefined ? start : Number(m[2]);
    if (!m || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
      throw new InputError(
        `${option}: "${text}" is not a frame range (FIRST-LAST, e.g. 1001-1100, or a list: 1001-1050,1052-1100)`,
      );
    }
    if (end - start + 1 + frames.size > MAX_FRAMES) {
      throw new InputError(`${option}: "${text}" has more than ${MAX_FRAMES} frames`);
    }
    for (let frame = start; frame <= end; frame++) frames.add(frame);
  }
  return [...frames].sort((a, b) => a - b);
}

/** Sorted unique numbers as runs: [1001, 1002, 1003, 1005] -> "1001-1003,1005". */
export function formatRanges(sorted: readonly number[]): string {
  const runs: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i] as number;
    runs.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return runs.join(",");
}

/** The padding a frame's digits show: their width when zero-padded, else any width up to theirs. */
function fitsPadding(digits: string, padding: number): boolean {
  if (digits.length > 1 && digits.startsWith("0")) return digits.length === padding;
  return digits.length >= padding;
}

/**
 * The `--file` values as plain files and sequences: patterns expanded against
 * their folder, lists of names differing only in one number grouped (with
 * `udim`, a lone numbered name is a tile too). `--frames` selects frames and
 * requires them on disk unless `allowMissingFrames`. Throws InputError (exit 2)
 * naming the value for a pattern matching nothing, missing frames, mixed
 * paddings and tiles outside 1001-1999.
 */
export function resolveSources(files: readonly string[], options: SequenceOptions = {}): SourceEntry[] {
  const wanted = options.frames === undefined ? undefined : parseFrameRange(options.frames);
  if (wanted && options.udim) {
    throw new InputError("--frames: selects frames of a sequence; it does not go with --udim (UDIM tiles)");
  }
  const entries: SourceEntry[] = [];
  const plain: string[] = [];
  for (const file of files) {
    const pattern = parsePattern(file);
    if (pattern) entries.push(expandPattern(file, pattern, options));
    else plain.push(file);
  }
  entries.push(...groupFiles(plain, options.udim ?? false));
  const sequences = entries.filter((e): e is SequenceEntry => e.kind === "sequence");
  if (wanted) {
    const frameSequences = sequences.filter((s) => s.fills === "frame");
    if (frameSequences.length === 0) {
      throw new InputError(
        `--frames: "${options.frames}" but no --file is a frame pattern (r.####.exr, r.%04d.exr, r.$F4.exr) or a list of frames`,
      );
    }
    for (const sequence of frameSequences) selectFrames(sequence, wanted, options);
  }
  for (const sequence of sequences) if (sequence.fills === "udim") checkTiles(sequence);
  return entries;
}

function expandPattern(file: string, pattern: FramePattern, options: SequenceOptions): SequenceEntry {
  const fills: SequenceKind = pattern.udim || options.udim ? "udim" : "frame";
  let names: string[];
  try {
    names = readdirSync(pattern.dir);
  } catch {
    throw new InputError(`--file: "${file}": folder ${pattern.dir} does not exist`);
  }
  const { prefix, suffix, padding } = pattern;
  const byNumber = new Map<number, SequenceItem>();
  for (const name of names) {
    if (name.length <= prefix.length + suffix.length || !name.startsWith(prefix) || !name.endsWith(suffix))
      continue;
    const digits = name.slice(prefix.length, name.length - suffix.length);
    if (!/^\d+$/.test(digits)) continue;
    const source = path.join(pattern.dir, name);
    if (!statSync(source).isFile()) continue;
    if (!fitsPadding(digits, padding)) {
      throw new InputError(
        `--file: "${file}" has ${paddingText(padding)}, but ${name} has ${digits.length} digits: mixed paddings; move the odd files away`,
      );
    }
    const number = Number(digits);
    const other = byNumber.get(number);
    if (other) {
      throw new InputError(
        `--file: "${file}": ${path.basename(other.source)} and ${name} are both frame ${number}: mixed paddings`,
      );
    }
    byNumber.set(number, { source, number });
  }
  if (byNumber.size === 0) throw new InputError(`--file: "${file}" matches no file in ${pattern.dir}`);
  const items = [...byNumber.values()].sort((a, b) => a.number - b.number);
  return { kind: "sequence", label: file, fills, padding, items };
}

function paddingText(padding: number): string {
  return padding === 0 ? "unpadded frame numbers" : `frame padding ${padding}`;
}

/** Shape of a name with its digit runs taken out, so names differing only in numbers meet. */
const DIGITS_RE = /\d+/g;

function groupFiles(files: readonly string[], udim: boolean): SourceEntry[] {
  const groups = new Map<string, Array<{ file: string; source: string; runs: string[] }>>();
  for (const file of files) {
    const source = path.resolve(file);
    const base = path.basename(source);
    const key = `${path.dirname(source)}/${base.replace(DIGITS_RE, "\0")}`;
    const member = { file, source, runs: base.match(DIGITS_RE) ?? [] };
    const group = groups.get(key);
    if (group) group.push(member);
    else groups.set(key, [member]);
  }
  const entries: SourceEntry[] = [];
  for (const members of groups.values()) {
    const first = members[0] as (typeof members)[number];
    const runCount = first.runs.length;
    // The run that varies is the frame; a lone name with --udim is a tile in its last number.
    const varying: number[] = [];
    for (let run = 0; run < runCount; run++) {
      const values = new Set(members.map((m) => m.runs[run]));
      if (values.size > 1) varying.push(run);
    }
    const run = varying.length === 1 ? varying[0] : udim && members.length === 1 ? runCount - 1 : undefined;
    if (run === undefined || run < 0) {
      for (const m of members) entries.push({ kind: "file", source: m.file });
      continue;
    }
    entries.push(listedSequence(members, run, udim ? "udim" : "frame"));
  }
  return entries;
}

function listedSequence(
  members: ReadonlyArray<{ file: string; source: string; runs: string[] }>,
  run: number,
  fills: SequenceKind,
): SequenceEntry {
  // Zero-padded numbers fix the padding; the others only bound it (1001 fits padding 4 or less).
  let padded: { digits: string; file: string } | undefined;
  let shortest: { digits: string; file: string } | undefined;
  for (const m of members) {
    const digits = m.runs[run] as string;
    if (digits.length > 1 && digits.startsWith("0")) {
      if (padded && padded.digits.length !== digits.length) throw mixed(padded, { digits, file: m.file });
      padded ??= { digits, file: m.file };
    }
    if (!shortest || digits.length < shortest.digits.length) shortest = { digits, file: m.file };
  }
  const padding = padded?.digits.length ?? (shortest?.digits.length as number);
  const byNumber = new Map<number, SequenceItem>();
  for (const m of members) {
    const digits = m.runs[run] as string;
    if (!fitsPadding(digits, padding))
      throw mixed(padded ?? { digits, file: m.file }, { digits, file: m.file });
    const number = Number(digits);
    const other = byNumber.get(number);
    if (other && other.source !== m.source)
      throw mixed({ digits, file: other.source }, { digits, file: m.file });
    byNumber.set(number, { source: m.source, number });
  }
  const items = [...byNumber.values()].sort((a, b) => a.number - b.number);
  const label = `${members[0]?.file} ... ${members[members.length - 1]?.file}`;
  return { kind: "sequence", label, fills, padding, items };
}

function mixed(a: { digits: string; file: string }, b: { digits: string; file: string }): InputError {
  return new InputError(
    `--file: mixed paddings in one sequence: "${a.file}" and "${b.file}" (${a.digits.length} and ${b.digits.length} digits); a sequence has one padding`,
  );
}

function selectFrames(sequence: SequenceEntry, wanted: readonly number[], options: SequenceOptions): void {
  const byNumber = new Map(sequence.items.map((item) => [item.number, item]));
  const items: SequenceItem[] = [];
  const missing: number[] = [];
  for (const frame of wanted) {
    const item = byNumber.get(frame);
    if (item) items.push(item);
    else missing.push(frame);
  }
  if (missing.length > 0 && !options.allowMissingFrames) {
    const listed = missing.slice(0, MISSING_LISTED).join(", ");
    const more = missing.length > MISSING_LISTED ? ` and ${missing.length - MISSING_LISTED} more` : "";
    throw new InputError(
      `--frames ${options.frames}: ${missing.length} of ${wanted.length} frames missing for "${sequence.label}": ${listed}${more}; publish what exists with --allow-missing-frames`,
    );
  }
  if (items.length === 0) {
    throw new InputError(`--frames ${options.frames}: no frame of "${sequence.label}" is in the range`);
  }
  sequence.items = items;
}

function checkTiles(sequence: SequenceEntry): void {
  for (const item of sequence.items) {
    if (item.number < UDIM_FIRST || item.number > UDIM_LAST) {
      throw new InputError(
        `--file: UDIM ${item.number} (${path.basename(item.source)}) is outside ${UDIM_FIRST}-${UDIM_LAST}`,
      );
    }
  }
}

/**
 * What a file of a sequence fills in the publish and hero templates. A frame is
 * given as text zero-padded to the source's padding: the template's
 * `{frame:0>{@frame_padding}}` pads it further to the anatomy's frame_padding,
 * and a wider source padding is kept (r.001001.exr stays .001001), never cut.
 */
export function sequenceTemplateData(file: {
  frame?: number | undefined;
  udim?: number | undefined;
  padding?: number | undefined;
}): TemplateData {
  return {
    ...(file.frame === undefined ? {} : { frame: String(file.frame).padStart(file.padding ?? 0, "0") }),
    ...(file.udim === undefined ? {} : { udim: file.udim }),
  };
}

/**
 * Fields a representation's context gets for its sequences, beside AYON's
 * `frame` (the first frame, as its integrator records) and `udim` (the first
 * tile): the range `frameStart`/`frameEnd`, the frames present (`frames`, gaps
 * visible: "1001-1050,1052-1100") and the tiles (`udims`, same form).
 */
export function sequenceContext(entries: readonly SourceEntry[]): TemplateData {
  const frames = new Set<number>();
  const tiles = new Set<number>();
  let firstFrame: string | undefined;
  for (const entry of entries) {
    if (entry.kind !== "sequence") continue;
    const into = entry.fills === "frame" ? frames : tiles;
    for (const item of entry.items) into.add(item.number);
    if (entry.fills === "frame" && firstFrame === undefined) {
      const first = entry.items[0];
      if (first) firstFrame = String(first.number).padStart(entry.padding, "0");
    }
  }
  const context: TemplateData = {};
  if (frames.size > 0) {
    const sorted = [...frames].sort((a, b) => a - b);
    context.frame = firstFrame;
    context.frameStart = sorted[0];
    context.frameEnd = sorted[sorted.length - 1];
    context.frames = formatRanges(sorted);
  }
  if (tiles.size > 0) {
    const sorted = [...tiles].sort((a, b) => a - b);
    context.udim = sorted[0];
    context.udims = formatRanges(sorted);
  }
  return context;
}
