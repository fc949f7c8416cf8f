import { describe, expect, it } from "vitest";
import { type FormatOptions, formatTemplate, type TemplateData } from "../../lib/anatomy/template.js";
import { TemplateError } from "../../lib/errors.js";

const data: TemplateData = {
  project: { name: "Proj", code: "PR" },
  folder: { name: "hero", type: "Asset" },
  task: { name: "modeling" },
  version: 3,
  frame: 7,
  ext: "ma",
  label: "abc",
  deep: { a: { b: { c: "leaf" } } },
};

function fmt(template: string, values: TemplateData = data, options: FormatOptions = {}) {
  return formatTemplate(template, values, options);
}

function catchTemplateError(run: () => unknown): TemplateError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error("expected a TemplateError");
}

describe("keys", () => {
  it("fills a plain key", () => {
    expect(fmt("file.{ext}")).toBe("file.ma");
  });

  it("fills a nested key with [sub]", () => {
    expect(fmt("{project[name]}/{folder[name]}")).toBe("Proj/hero");
  });

  it("walks several levels of [sub]", () => {
    expect(fmt("{deep[a][b][c]}")).toBe("leaf");
  });

  it("formats numbers without a spec as Python's str does", () => {
    expect(fmt("{a}-{b}-{c}", { a: 3, b: 1.5, c: 0.00001 })).toBe("3-1.5-1e-05");
  });

  it("refuses a key that resolves to an object and names its sub-keys", () => {
    const error = catchTemplateError(() => fmt("{folder}"));
    expect(error.message).toContain("key folder is an object");
    expect(error.message).toContain("folder[name], folder[type]");
  });

  it("refuses a key that resolves to a list", () => {
    const values = { items: ["a"] } as unknown as TemplateData;
    expect(catchTemplateError(() => fmt("{items}", values)).message).toContain("key items is a list");
  });

  it("does not read inherited properties such as constructor", () => {
    expect(catchTemplateError(() => fmt("{constructor}")).missingKeys).toEqual(["constructor"]);
  });

  it("treats an undefined value as missing", () => {
    expect(catchTemplateError(() => fmt("{comment}", { comment: undefined })).missingKeys).toEqual([
      "comment",
    ]);
  });
});

describe("format specs", () => {
  it.each([
    ["{version:0>3}", "003"],
    ["{version:03d}", "003"],
    ["{version:03}", "003"],
    ["{frame:0>4}", "0007"],
    ["{version:<4}|", "3   |"],
    ["{version:*^5}", "**3**"],
    ["{version:+d}", "+3"],
    ["{version: d}", " 3"],
    ["{version:x>4}", "xxx3"],
    ["{label:>5}", "  abc"],
    ["{label:5}|", "abc  |"],
    ["{label:.2}", "ab"],
    ["{label:-^7.1}", "---a---"],
  ])("formats %s as %s", (template, expected) => {
    expect(fmt(template)).toBe(expected);
  });

  it.each([
    [-5, "{n:05}", "-0005"],
    [-5, "{n:0>5}", "000-5"],
    [-5, "{n:=+6}", "-    5"],
    [1234567, "{n:,}", "1,234,567"],
    [1234567, "{n:_}", "1_234_567"],
    [255, "{n:x}", "ff"],
    [255, "{n:#X}", "0XFF"],
    [5, "{n:#010b}", "0b00000101"],
    [8, "{n:o}", "10"],
    [65, "{n:c}", "A"],
    [Math.PI, "{n:.2f}", "3.14"],
    [3, "{n:.2f}", "3.00"],
    [2.5, "{n:08.3f}", "0002.500"],
    [12345.678, "{n:,.1f}", "12,345.7"],
    [1234.5, "{n:.3e}", "1.234e+03"],
    [0.000123, "{n:g}", "0.000123"],
    [1234567, "{n:g}", "1.23457e+06"],
    [100, "{n:.3g}", "100"],
    [0.5, "{n:.1%}", "50.0%"],
    [1.5, "{n:.3}", "1.5"],
    [2, "{n:.3f}", "2.000"],
  ])("formats %s with %s as %s", (n, template, expected) => {
    expect(fmt(template, { n })).toBe(expected);
  });

  it("pads a numeric string like a number for a numeric spec", () => {
    expect(fmt("{frame:04}", { frame: "7" })).toBe("0007");
    expect(fmt("{frame:04d}", { frame: "12" })).toBe("0012");
  });

  it("takes a format spec that is itself a reference", () => {
    const resolveRef = (name: string) => (name === "version_padding" ? "4" : undefined);
    expect(fmt("v{version:0>{@version_padding}}", data, { resolveRef })).toBe("v0003");
  });

  it("takes a format spec that reads a key", () => {
    expect(fmt("{version:0>{width}}", { version: 3, width: 5 })).toBe("00003");
  });

  it("refuses a numeric format code for a non-numeric string", () => {
    expect(catchTemplateError(() => fmt("{label:d}")).message).toContain("format code 'd'");
  });

  it("refuses precision with an integer format", () => {
    expect(catchTemplateError(() => fmt("{version:.2d}")).message).toContain("precision");
  });

  it("refuses an invalid format spec", () => {
    expect(catchTemplateError(() => fmt("{version:0>3q}")).message).toContain('invalid format spec "0>3q"');
  });

  it("refuses an absurd width instead of allocating it", () => {
    expect(catchTemplateError(() => fmt("{version:0>99999999}")).message).toContain("exceeds");
  });
});

describe("escapes", () => {
  it("turns {{ and }} into literal braces", () => {
    expect(fmt("{{literal}} {ext} {{{ext}}}")).toBe("{literal} ma {ma}");
  });

  it("refuses a single closing brace", () => {
    expect(catchTemplateError(() => fmt("a}b")).message).toContain('single "}"');
  });

  it("refuses an unclosed key", () => {
    expect(catchTemplateError(() => fmt("{ext")).message).toContain("not closed");
  });

  it("refuses an empty key", () => {
    expect(catchTemplateError(() => fmt("{}")).message).toContain("empty or invalid key");
  });
});

describe("optional sections", () => {
  it("keeps an optional section when all its keys are present", () => {
    expect(fmt("a<_{ext}>b")).toBe("a_mab");
  });

  it("drops an optional section when a key inside it is missing", () => {
    expect(fmt("a<_{comment}>b")).toBe("ab");
  });

  it("drops the whole section even when only one of its keys is missing", () => {
    expect(fmt("x<_{ext}_{comment}>")).toBe("x");
  });

  it("drops a nested section on its own and keeps the outer one", () => {
    expect(fmt("x<_{ext}<_{comment}>>")).toBe("x_ma");
  });

  it("drops the outer section when a key directly inside it is missing", () => {
    expect(fmt("x<_{comment}<_{ext}>>")).toBe("x");
  });

  it("drops a section whose reference has a missing key", () => {
    expect(fmt("f<.{@frame}>", {}, { resolveRef: () => "{frame:0>4}" })).toBe("f");
  });

  it("does not count keys of dropped sections as missing in strict mode", () => {
    expect(fmt("{ext}<{a}><{b}>")).toBe("ma");
  });

  it("keeps > inside a format spec as alignment, not a section end", () => {
    expect(fmt("<v{version:0>3}>")).toBe("v003");
  });

  it("refuses an unclosed optional section", () => {
    expect(catchTemplateError(() => fmt("a<{ext}")).message).toContain("never closed");
  });

  it("refuses a stray >", () => {
    expect(catchTemplateError(() => fmt("a>b")).message).toContain('">" without an opening "<"');
  });
});

describe("strict and lenient", () => {
  it("names every missing key in strict mode", () => {
    const error = catchTemplateError(() => fmt("{folder[name]}/{asset[name]}/{task[type]}/{user}"));
    expect(error.missingKeys).toEqual(["asset[name]", "task[type]", "user"]);
    expect(error.message).toContain('missing keys: asset[name], task[type], user in template "');
  });

  it("names each missing key once", () => {
    expect(catchTemplateError(() => fmt("{a}{b}{a}")).missingKeys).toEqual(["a", "b"]);
  });

  it("reports a missing key used in a format spec", () => {
    expect(catchTemplateError(() => fmt("{version:0>{width}}")).missingKeys).toEqual(["width"]);
  });

  it("reports a missing sub-key when the parent is a plain value", () => {
    expect(catchTemplateError(() => fmt("{ext[name]}")).missingKeys).toEqual(["ext[name]"]);
  });

  it("leaves missing keys as literal text in lenient mode", () => {
    expect(fmt("{project[name]}/{user}/{task[type]}", data, { strict: false })).toBe(
      "Proj/{user}/{task[type]}",
    );
  });

  it("keeps the resolved format spec of a missing key in lenient mode", () => {
    const resolveRef = () => "{frame:0>{@frame_padding}}";
    const nested = (name: string) => (name === "frame_padding" ? "4" : resolveRef());
    expect(fmt("{@frame}", {}, { strict: false, resolveRef: nested })).toBe("{frame:0>4}");
  });

  it("still drops optional sections in lenient mode", () => {
    expect(fmt("{ext}<_{comment}>{user}", data, { strict: false })).toBe("ma{user}");
  });

  it("still refuses an object value in lenient mode", () => {
    expect(() => fmt("{folder}", data, { strict: false })).toThrow(TemplateError);
  });
});

describe("references", () => {
  const refs: Record<string, string> = {
    version: "v{version:0>{@version_padding}}",
    version_padding: "3",
    a: "<{@b}>",
    b: "[{ext}]",
  };
  const resolveRef = (name: string) => refs[name];

  it("expands a reference to another template", () => {
    expect(fmt("{@version}", data, { resolveRef })).toBe("v003");
  });

  it("expands references inside references", () => {
    expect(fmt("x{@a}", data, { resolveRef })).toBe("x[ma]");
  });

  it("keeps an escaped reference literal", () => {
    expect(fmt("{{@version}}", data, { resolveRef })).toBe("{@version}");
  });

  it("names an unknown reference", () => {
    const error = catchTemplateError(() => fmt("{@nope}", data, { resolveRef }));
    expect(error.message).toContain("unknown reference {@nope}");
  });

  it("refuses a reference when no resolver is given", () => {
    expect(catchTemplateError(() => fmt("{@version}")).message).toContain("unknown reference {@version}");
  });

  it("detects a reference cycle and names its members", () => {
    const cyclic: Record<string, string> = { a: "x{@b}", b: "y{@c}", c: "{@a}" };
    const error = catchTemplateError(() => fmt("{@a}", data, { resolveRef: (n) => cyclic[n] }));
    expect(error.message).toContain("reference cycle {@a} -> {@b} -> {@c} -> {@a}");
  });

  it("detects a template that refers to itself", () => {
    const error = catchTemplateError(() => fmt("{@self}", data, { resolveRef: () => "{@self}" }));
    expect(error.message).toContain("reference cycle {@self} -> {@self}");
  });

  it("allows the same reference twice when it is not a cycle", () => {
    expect(fmt("{@b}{@b}", data, { resolveRef })).toBe("[ma][ma]");
  });
});

describe("float rounding", () => {
  it.each([
    [2.5, "{n:.0f}", "2"],
    [3.5, "{n:.0f}", "4"],
    [0.125, "{n:.2f}", "0.12"],
    [0.375, "{n:.2f}", "0.38"],
    [2.675, "{n:.2f}", "2.67"],
    [9.9999, "{n:.2f}", "10.00"],
    [9.9999, "{n:.2e}", "1.00e+01"],
    [1e22, "{n:.1f}", "10000000000000000000000.0"],
    [0.0001, "{n:g}", "0.0001"],
    [0.00001, "{n:g}", "1e-05"],
    [123456789, "{n:.4g}", "1.235e+08"],
    [0, "{n:.2e}", "0.00e+00"],
    [-0.0001, "{n:z.2f}", "0.00"],
    [-1.5, "{n:+.1f}", "-1.5"],
    [1234, "{n:010,}", "00,001,234"],
    [1234, "{n:x=10,}", "xxxxx1,234"],
    [1234, "{n:010_x}", "0_0000_04d2"],
    [123456.789, "{n:#g}", "123457."],
    [99.995, "{n:10.3}", "     1e+02"],
    [527.8563, "{n:.3}", "5.28e+02"],
  ])("rounds %s with %s to %s like Python", (n, template, expected) => {
    expect(fmt(template, { n })).toBe(expected);
  });
});
