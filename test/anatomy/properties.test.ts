import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fillRootless, toRootless } from "../../lib/anatomy/roots.js";
import { formatTemplate, type TemplateData } from "../../lib/anatomy/template.js";
import { PathError } from "../../lib/errors.js";

// Names a file could have on any site: no separators, colons or NUL, not only dots and spaces.
const safeSegment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_. -]{0,11}$/),
  fc
    .string({ unit: "grapheme", minLength: 1, maxLength: 8 })
    .filter((s) => !/[\\/:\0{}]/.test(s) && !/^[. ]*$/.test(s)),
);
const segments = fc.array(safeSegment, { minLength: 0, maxLength: 6 });

describe("rootless round trips", () => {
  // Overlapping roots on purpose: `render` lives inside `work`.
  const siteRoots = {
    work: "/mnt/share/projects",
    render: "/mnt/share/projects/render",
    studio: "D:/Studio",
    unc: "//server/share",
  };

  it("fillRootless(toRootless(p)) is p for any path under a root", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(siteRoots)), segments, (root, segs) => {
        const abs = segs.length ? `${root}/${segs.join("/")}` : root;
        const rootless = toRootless(abs, siteRoots);
        expect(rootless).not.toBeNull();
        expect(fillRootless(rootless as string, siteRoots)).toBe(abs);
      }),
    );
  });

  it("toRootless(fillRootless(r)) is r for any rootless path", () => {
    const disjoint = { work: "/mnt/share/projects", studio: "D:/Studio", unc: "//server/share" };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(disjoint)), segments, (name, segs) => {
        const rootless = `{root[${name}]}${segs.map((s) => `/${s}`).join("")}`;
        expect(toRootless(fillRootless(rootless, disjoint), disjoint)).toBe(rootless);
      }),
    );
  });
});

describe("rootless paths that escape their root", () => {
  const siteRoots = { work: "/mnt/share/projects" };
  const separator = fc.constantFrom("/", "\\");
  const climb = fc.constantFrom("..", "...", ".. ", " ..", ". .");
  const drive = fc
    .tuple(fc.constantFrom(..."ACDZacz"), fc.constantFrom("", "x", "\\"))
    .map(([letter, rest]) => `${letter}:${rest}`);
  const withNul = safeSegment.chain((s) =>
    fc.nat({ max: s.length }).map((at) => `${s.slice(0, at)}\0${s.slice(at)}`),
  );
  const placeholder = fc.constantFrom("{root[work]}", "{root[other]}", "x{root[work]}");
  const badSegment = fc.oneof(climb, drive, withNul, placeholder);

  it("refuses a bad segment anywhere in an otherwise valid path", () => {
    fc.assert(
      fc.property(segments, badSegment, fc.nat(), separator, (segs, bad, at, sep) => {
        const parts = [...segs];
        parts.splice(at % (parts.length + 1), 0, bad);
        const rootless = `{root[work]}${parts.map((p) => `${sep}${p}`).join("")}`;
        expect(() => fillRootless(rootless, siteRoots)).toThrow(PathError);
      }),
    );
  });

  it("refuses an absolute, UNC or drive remainder after the placeholder", () => {
    const absolute = fc.constantFrom("//", "\\\\", "/\\", "\\/", "/C:/", "\\C:\\", "C:/", "//server/share/");
    fc.assert(
      fc.property(absolute, segments, (prefix, segs) => {
        const rootless = `{root[work]}${prefix}${segs.join("/")}`;
        expect(() => fillRootless(rootless, siteRoots)).toThrow(PathError);
      }),
    );
  });

  it("refuses a path that does not start with the placeholder", () => {
    const lead = fc.constantFrom("/", "C:", "\\\\server\\", "./", " ", "x");
    fc.assert(
      fc.property(lead, segments, (prefix, segs) => {
        const rootless = `${prefix}{root[work]}${segs.map((s) => `/${s}`).join("")}`;
        expect(() => fillRootless(rootless, siteRoots)).toThrow(PathError);
      }),
    );
  });
});

describe("zero padding", () => {
  it("{n:0>W} matches String(n).padStart(W, '0')", () => {
    const value = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.nat().map(String));
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 40 }), (n, width) => {
        expect(formatTemplate(`{n:0>${width}}`, { n })).toBe(String(n).padStart(width, "0"));
      }),
    );
  });
});

type Piece = { text: string } | { key: string } | { optional: Piece[] };

describe("optional sections", () => {
  const keyPool = ["a", "b", "c", "d", "e", "f"];
  const { piece } = fc.letrec<{ piece: Piece }>((tie) => ({
    piece: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.stringMatching(/^[a-z_. -]{0,3}$/).map((text) => ({ text })),
      fc.constantFrom(...keyPool).map((key) => ({ key })),
      fc.array(tie("piece"), { maxLength: 4 }).map((optional) => ({ optional })),
    ),
  }));

  function source(pieces: Piece[]): string {
    return pieces
      .map((p) => ("text" in p ? p.text : "key" in p ? `{${p.key}}` : `<${source(p.optional)}>`))
      .join("");
  }

  /** The expected output, or null when a key outside any optional section is missing. */
  function expected(pieces: Piece[], data: TemplateData): string | null {
    let out = "";
    for (const p of pieces) {
      if ("text" in p) out += p.text;
      else if ("key" in p) {
        const value = data[p.key];
        if (value === undefined) return null;
        out += String(value);
      } else out += expected(p.optional, data) ?? "";
    }
    return out;
  }

  it("drops exactly the sections that contain a missing key", () => {
    const sections = fc.array(
      piece.map((p) => ({ optional: [p] })),
      { maxLength: 5 },
    );
    const present = fc.subarray(keyPool);
    fc.assert(
      fc.property(sections, present, (pieces, keys) => {
        const data: TemplateData = Object.fromEntries(keys.map((k) => [k, `<${k.toUpperCase()}>`]));
        expect(formatTemplate(source(pieces), data)).toBe(expected(pieces, data));
      }),
    );
  });
});
