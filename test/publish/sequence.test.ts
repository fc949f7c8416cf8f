import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../lib/errors.js";
import {
  formatRanges,
  parseFrameRange,
  parsePattern,
  resolveSources,
  type SequenceEntry,
  type SourceEntry,
  sequenceContext,
  sequenceTemplateData,
} from "../../lib/publish/sequence.js";
import { tempDir } from "../helpers/tmp.js";

/** A folder holding `names`, each file containing its own name. */
function folderWith(...names: string[]): string {
  const dir = tempDir();
  for (const name of names) writeFileSync(path.join(dir, name), name);
  return dir;
}

function frameNames(prefix: string, first: number, last: number, suffix: string, padding = 4): string[] {
  const names: string[] = [];
  for (let frame = first; frame <= last; frame++)
    names.push(`${prefix}${String(frame).padStart(padding, "0")}${suffix}`);
  return names;
}

function only(entries: SourceEntry[]): SequenceEntry {
  expect(entries).toHaveLength(1);
  const [entry] = entries;
  if (entry?.kind !== "sequence") throw new Error(`expected a sequence, got ${JSON.stringify(entry)}`);
  return entry;
}

const numbers = (entry: SequenceEntry) => entry.items.map((i) => i.number);

function inputError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error("expected an InputError");
}

describe("parsePattern", () => {
  it("reads the padding of Nuke's ####, ffmpeg's %04d and Houdini's $F4", () => {
    expect(parsePattern("/r/r.####.exr")).toMatchObject({
      prefix: "r.",
      suffix: ".exr",
      padding: 4,
      udim: false,
    });
    expect(parsePattern("/r/r.%04d.exr")).toMatchObject({ prefix: "r.", suffix: ".exr", padding: 4 });
    expect(parsePattern("/r/r_%d.exr")).toMatchObject({ prefix: "r_", padding: 0 });
    expect(parsePattern("/r/r.$F4.exr")).toMatchObject({ prefix: "r.", suffix: ".exr", padding: 4 });
    expect(parsePattern("/r/r.$F.exr")).toMatchObject({ padding: 0 });
    expect(parsePattern("/r/r.######.exr")).toMatchObject({ padding: 6 });
  });

  it("reads Mari's and Maya's <UDIM> as a tile", () => {
    expect(parsePattern("/t/tex.<UDIM>.exr")).toMatchObject({ prefix: "tex.", suffix: ".exr", udim: true });
  });

  it("leaves a plain file name alone and refuses two tokens or a token in the folder", () => {
    expect(parsePattern("/r/r.1001.exr")).toBeUndefined();
    expect(inputError(() => parsePattern("/r/r.####.<UDIM>.exr"))).toContain("2 frame or UDIM tokens");
    expect(inputError(() => parsePattern("/r/####/r.exr"))).toContain("not its folder");
  });
});

describe("frame ranges", () => {
  it("parses A-B, a single frame and lists", () => {
    expect(parseFrameRange("1001-1004")).toEqual([1001, 1002, 1003, 1004]);
    expect(parseFrameRange("7")).toEqual([7]);
    expect(parseFrameRange("1-2,5,4-5")).toEqual([1, 2, 4, 5]);
  });

  it("refuses what is not a range, naming the value and the option", () => {
    for (const bad of ["", "a-b", "10-1", "-5", "1-2-3", "1.5"]) {
      expect(inputError(() => parseFrameRange(bad))).toContain(`--frames: "${bad}" is not a frame range`);
    }
    expect(inputError(() => parseFrameRange("0-99999999"))).toContain("more than");
  });

  it("writes numbers back as compact runs, gaps visible", () => {
    expect(formatRanges([1001, 1002, 1003, 1005, 1007, 1008])).toBe("1001-1003,1005,1007-1008");
    expect(formatRanges([5])).toBe("5");
    expect(formatRanges([])).toBe("");
    const frames = [...parseFrameRange("1001-1050"), ...parseFrameRange("1052-1100")];
    expect(formatRanges(frames)).toBe("1001-1050,1052-1100");
  });
});

describe("resolveSources: patterns", () => {
  it("expands ####, %04d and $F4 to every frame on disk, gaps kept", () => {
    const dir = folderWith(...frameNames("r.", 1001, 1003, ".exr"), "r.1005.exr", "r.1001.jpg", "other.exr");
    for (const pattern of ["r.####.exr", "r.%04d.exr", "r.$F4.exr"]) {
      const entry = only(resolveSources([path.join(dir, pattern)]));
      expect(entry, pattern).toMatchObject({ fills: "frame", padding: 4 });
      expect(numbers(entry)).toEqual([1001, 1002, 1003, 1005]);
      expect(entry.items[0]?.source).toBe(path.join(dir, "r.1001.exr"));
    }
  });

  it("takes unpadded frames with %d and $F", () => {
    const dir = folderWith("r.9.exr", "r.10.exr", "r.11.exr");
    expect(numbers(only(resolveSources([path.join(dir, "r.%d.exr")])))).toEqual([9, 10, 11]);
    expect(numbers(only(resolveSources([path.join(dir, "r.$F.exr")])))).toEqual([9, 10, 11]);
  });

  it("takes frames past the padding's width (10000 in a #### sequence)", () => {
    const dir = folderWith("r.9999.exr", "r.10000.exr");
    expect(numbers(only(resolveSources([path.join(dir, "r.####.exr")])))).toEqual([9999, 10000]);
  });

  it("refuses a pattern matching no file, naming it", () => {
    const dir = folderWith("r.1001.exr");
    const pattern = path.join(dir, "s.####.exr");
    expect(inputError(() => resolveSources([pattern]))).toBe(
      `--file: "${pattern}" matches no file in ${dir}`,
    );
    expect(inputError(() => resolveSources([path.join(dir, "nope/r.####.exr")]))).toContain("does not exist");
  });

  it("refuses mixed paddings on disk", () => {
    const dir = folderWith("r.1001.exr", "r.01002.exr");
    const message = inputError(() => resolveSources([path.join(dir, "r.####.exr")]));
    expect(message).toContain("r.01002.exr has 5 digits: mixed paddings");
    const unpadded = folderWith("r.1.exr", "r.01.exr");
    expect(inputError(() => resolveSources([path.join(unpadded, "r.%d.exr")]))).toContain("mixed paddings");
  });
});

describe("resolveSources: --frames", () => {
  it("selects the frames of the range", () => {
    const dir = folderWith(...frameNames("r.", 1001, 1010, ".exr"));
    const entry = only(resolveSources([path.join(dir, "r.####.exr")], { frames: "1003-1005" }));
    expect(numbers(entry)).toEqual([1003, 1004, 1005]);
  });

  it("refuses frames missing on disk, listing the first ten", () => {
    const dir = folderWith(...frameNames("r.", 1001, 1003, ".exr"));
    const message = inputError(() => resolveSources([path.join(dir, "r.####.exr")], { frames: "1001-1020" }));
    expect(message).toContain("--frames 1001-1020: 17 of 20 frames missing");
    expect(message).toContain(": 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013 and 7 more;");
    expect(message).toContain("--allow-missing-frames");
  });

  it("with allowMissingFrames publishes the frames that exist", () => {
    const dir = folderWith("r.1001.exr", "r.1003.exr");
    const entry = only(
      resolveSources([path.join(dir, "r.####.exr")], { frames: "1001-1005", allowMissingFrames: true }),
    );
    expect(numbers(entry)).toEqual([1001, 1003]);
    const none = () =>
      resolveSources([path.join(dir, "r.####.exr")], { frames: "2001-2005", allowMissingFrames: true });
    expect(inputError(none)).toContain("no frame of");
  });

  it("refuses --frames without a sequence and with --udim", () => {
    const dir = folderWith("scene.ma", "tex.1001.exr");
    expect(inputError(() => resolveSources([path.join(dir, "scene.ma")], { frames: "1-2" }))).toContain(
      "no --file is a frame pattern",
    );
    const withUdim = () => resolveSources([path.join(dir, "tex.<UDIM>.exr")], { frames: "1-2", udim: true });
    expect(inputError(withUdim)).toContain("--udim");
  });
});

describe("resolveSources: lists of files", () => {
  it("groups names that differ only in a frame number into one sequence", () => {
    const dir = folderWith("r.1001.exr", "r.1002.exr", "r.1004.exr", "scene.ma");
    const files = ["r.1004.exr", "r.1001.exr", "scene.ma", "r.1002.exr"].map((n) => path.join(dir, n));
    const entries = resolveSources(files);
    expect(entries.filter((e) => e.kind === "file")).toEqual([{ kind: "file", source: files[2] }]);
    const [sequence] = entries.filter((e): e is SequenceEntry => e.kind === "sequence");
    expect(sequence).toMatchObject({ fills: "frame", padding: 4 });
    expect(sequence && numbers(sequence)).toEqual([1001, 1002, 1004]);
  });

  it("finds the varying number among several (shot010_v002.1001.exr)", () => {
    const dir = folderWith("shot010_v002.1001.exr", "shot010_v002.1002.exr");
    const entry = only(resolveSources(["1001", "1002"].map((f) => path.join(dir, `shot010_v002.${f}.exr`))));
    expect(numbers(entry)).toEqual([1001, 1002]);
  });

  it("leaves one numbered file a plain file", () => {
    const dir = folderWith("r.1001.exr");
    expect(resolveSources([path.join(dir, "r.1001.exr")])).toEqual([
      { kind: "file", source: path.join(dir, "r.1001.exr") },
    ]);
  });

  it("refuses mixed paddings in a list, naming both files", () => {
    const dir = folderWith("r.1001.exr", "r.01002.exr");
    const files = [path.join(dir, "r.1001.exr"), path.join(dir, "r.01002.exr")];
    const message = inputError(() => resolveSources(files));
    expect(message).toContain("mixed paddings");
    expect(message).toContain("r.01002.exr");
    expect(message).toContain("r.1001.exr");
    const zeros = [path.join(dir, "r.0001.exr"), path.join(dir, "r.00002.exr")];
    expect(inputError(() => resolveSources(zeros))).toContain("(4 and 5 digits)");
  });

  it("--frames over a list refuses frames it does not hold", () => {
    const dir = folderWith("r.1001.exr", "r.1002.exr");
    const files = ["r.1001.exr", "r.1002.exr"].map((n) => path.join(dir, n));
    expect(inputError(() => resolveSources(files, { frames: "1001-1003" }))).toContain(": 1003;");
  });
});

describe("resolveSources: UDIM tiles", () => {
  it("expands <UDIM> to the tiles on disk", () => {
    const dir = folderWith("tex.1001.exr", "tex.1002.exr", "tex.1011.exr");
    const entry = only(resolveSources([path.join(dir, "tex.<UDIM>.exr")]));
    expect(entry.fills).toBe("udim");
    expect(numbers(entry)).toEqual([1001, 1002, 1011]);
  });

  it("with --udim reads a list of numbered files (one file too) as tiles", () => {
    const dir = folderWith("tex.1001.exr", "tex.1002.exr");
    const files = ["tex.1001.exr", "tex.1002.exr"].map((n) => path.join(dir, n));
    expect(only(resolveSources(files, { udim: true }))).toMatchObject({ fills: "udim" });
    expect(only(resolveSources(files.slice(0, 1), { udim: true }))).toMatchObject({ fills: "udim" });
    expect(only(resolveSources([path.join(dir, "tex.####.exr")], { udim: true })).fills).toBe("udim");
  });

  it("refuses a tile outside 1001-1999, naming it", () => {
    const dir = folderWith("tex.1001.exr", "tex.2001.exr");
    expect(inputError(() => resolveSources([path.join(dir, "tex.<UDIM>.exr")]))).toBe(
      "--file: UDIM 2001 (tex.2001.exr) is outside 1001-1999",
    );
    const listed = ["tex.1001.exr", "tex.2001.exr"].map((n) => path.join(dir, n));
    expect(inputError(() => resolveSources(listed, { udim: true }))).toContain("UDIM 2001");
  });
});

describe("template data and context", () => {
  it("gives the frame zero-padded to the source's padding and the tile as a number", () => {
    expect(sequenceTemplateData({ frame: 1001, padding: 4 })).toEqual({ frame: "1001" });
    expect(sequenceTemplateData({ frame: 5, padding: 6 })).toEqual({ frame: "000005" });
    expect(sequenceTemplateData({ frame: 5, padding: 0 })).toEqual({ frame: "5" });
    expect(sequenceTemplateData({ udim: 1002 })).toEqual({ udim: 1002 });
    expect(sequenceTemplateData({})).toEqual({});
  });

  it("records the range, the frames present and the tiles", () => {
    const dir = folderWith("r.1001.exr", "r.1002.exr", "r.1004.exr", "t.1001.tx", "t.1003.tx");
    const frames = resolveSources([path.join(dir, "r.####.exr")]);
    expect(sequenceContext(frames)).toEqual({
      frame: "1001",
      frameStart: 1001,
      frameEnd: 1004,
      frames: "1001-1002,1004",
    });
    expect(sequenceContext(resolveSources([path.join(dir, "t.<UDIM>.tx")]))).toEqual({
      udim: 1001,
      udims: "1001,1003",
    });
    expect(sequenceContext([{ kind: "file", source: "/x/scene.ma" }])).toEqual({});
  });

  it("plans 2,000 frames in linear time", () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    for (const name of frameNames("r.", 1001, 3000, ".exr")) writeFileSync(path.join(dir, name), "");
    const files = frameNames("r.", 1001, 3000, ".exr").map((n) => path.join(dir, n));
    const started = performance.now();
    expect(numbers(only(resolveSources(files)))).toHaveLength(2000);
    expect(only(resolveSources([path.join(dir, "r.####.exr")], { frames: "1001-3000" })).items).toHaveLength(
      2000,
    );
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
