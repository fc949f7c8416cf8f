import { TemplateError } from "../errors.js";

/**
 * Python's format-spec mini-language (`[[fill]align][sign][z][#][0][width][grouping][.precision][type]`),
 * because AYON templates are Python `str.format` strings: `{version:0>3}`, `{frame:04d}`, `{x:^10}`.
 */
export interface FormatSpec {
  fill?: string;
  align?: "<" | ">" | "=" | "^";
  sign?: "+" | "-" | " ";
  negativeZero: boolean;
  alternate: boolean;
  zero: boolean;
  width: number;
  grouping?: "," | "_";
  precision?: number;
  type?: string;
}

const SPEC_RE = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/u;
const NUMERIC_STRING_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT_TYPES = new Set(["b", "c", "d", "o", "x", "X"]);
// A width from a settings file should not be able to allocate gigabytes.
const MAX_WIDTH = 1000;

export function parseFormatSpec(text: string, key: string): FormatSpec {
  const m = SPEC_RE.exec(text);
  if (!m) throw new TemplateError(`invalid format spec "${text}" for key ${key}`);
  const width = m[7] === undefined ? 0 : Number(m[7]);
  if (width > MAX_WIDTH) throw new TemplateError(`format width ${width} for key ${key} exceeds ${MAX_WIDTH}`);
  const spec: FormatSpec = { negativeZero: !!m[4], alternate: !!m[5], zero: !!m[6], width };
  if (m[1] !== undefined) spec.fill = m[1];
  if (m[2] !== undefined) spec.align = m[2] as FormatSpec["align"];
  if (m[3] !== undefined) spec.sign = m[3] as FormatSpec["sign"];
  if (m[8] !== undefined) spec.grouping = m[8] as FormatSpec["grouping"];
  if (m[9] !== undefined) spec.precision = Number(m[9]);
  if (m[10] !== undefined) spec.type = m[10];
  return spec;
}

/** Formats one template value the way Python's `format(value, spec)` does. */
export function formatValue(value: string | number | boolean, specText: string, key: string): string {
  if (typeof value === "boolean") value = value ? "True" : "False";
  if (specText === "") return typeof value === "number" ? numberToString(value) : value;
  const spec = parseFormatSpec(specText, key);
  // Frame and version numbers often arrive as strings (parsed from file names). Python would pad
  // "7" with `04` to "7000" (strings are left-aligned); a pipeline wants "0007", so a numeric
  // string meets a numeric spec as a number.
  if (typeof value === "string" && wantsNumber(spec) && NUMERIC_STRING_RE.test(value)) value = Number(value);
  if (typeof value === "string") return formatString(value, spec, key);
  // Python refuses 's' for numbers; accepting it costs nothing and reads as the plain number.
  return spec.type === "s" ? formatString(numberToString(value), spec, key) : formatNumber(value, spec, key);
}

function wantsNumber(spec: FormatSpec): boolean {
  return (
    (spec.type !== undefined && spec.type !== "s") ||
    spec.align === "=" ||
    (spec.zero && spec.align === undefined) ||
    spec.sign !== undefined ||
    spec.grouping !== undefined ||
    spec.alternate
  );
}

function formatString(value: string, spec: FormatSpec, key: string): string {
  const bad = (what: string) =>
    new TemplateError(`${what} not allowed for key ${key}: its value "${value}" is a string, not a number`);
  if (spec.type !== undefined && spec.type !== "s") throw bad(`format code '${spec.type}' is`);
  if (spec.sign !== undefined) throw bad("a sign is");
  if (spec.align === "=") throw bad("'=' alignment is");
  if (spec.alternate) throw bad("'#' is");
  if (spec.grouping !== undefined) throw bad(`'${spec.grouping}' grouping is`);
  let text = value;
  if (spec.precision !== undefined) text = Array.from(text).slice(0, spec.precision).join("");
  return pad("", text, spec.width, spec.fill ?? (spec.zero ? "0" : " "), spec.align ?? "<");
}

function formatNumber(n: number, spec: FormatSpec, key: string): string {
  const isInt = Number.isInteger(n);
  const type = spec.type ?? (isInt ? "d" : "");
  const intFormat = INT_TYPES.has(type) || (type === "n" && isInt);
  if (intFormat && !isInt)
    throw new TemplateError(`format code '${type}' needs an integer but key ${key} is ${n}`);
  if (intFormat && spec.precision !== undefined) {
    throw new TemplateError(`precision is not allowed with an integer format for key ${key}`);
  }
  if (spec.grouping === "," && /^[bcoxX]$/.test(type)) {
    throw new TemplateError(`cannot use ',' with format code '${type}' for key ${key}`);
  }
  if (type === "c" && (n < 0 || n > 0x10ffff))
    throw new TemplateError(`key ${key}: ${n} is not a code point`);
  let negative = n < 0 || Object.is(n, -0);
  const abs = Math.abs(n);
  let prefix = "";
  let digits: string; // the integer digits, which grouping applies to
  let rest = ""; // the fraction, exponent or % after them
  if (!Number.isFinite(n)) {
    digits = Number.isNaN(n) ? "nan" : "inf";
    if (type === "E" || type === "F" || type === "G") digits = digits.toUpperCase();
    negative = n === Number.NEGATIVE_INFINITY;
  } else if (type === "c") {
    digits = String.fromCodePoint(abs);
    negative = false;
  } else if (intFormat) {
    const radix = { b: 2, o: 8, x: 16, X: 16 }[type] ?? 10;
    digits = BigInt(abs).toString(radix);
    if (type === "X") digits = digits.toUpperCase();
    if (spec.alternate && radix !== 10) prefix = `0${type}`;
  } else {
    const text = formatFloat(abs, type, spec);
    const end = text.search(/[.e%]/);
    digits = end === -1 ? text : text.slice(0, end);
    rest = text.slice(digits.length);
  }
  if (spec.negativeZero && negative && !/[1-9]/.test(digits + rest)) negative = false;
  const sign = negative ? "-" : spec.sign === "+" ? "+" : spec.sign === " " ? " " : "";
  const fill = spec.fill ?? (spec.zero ? "0" : " ");
  const align = spec.align ?? (spec.zero ? "=" : ">");
  const groupSize = /^[boxX]$/.test(type) ? 4 : 3;
  if (spec.grouping !== undefined && /^[0-9a-fA-F]+$/.test(digits)) {
    // Python groups zero padding too: format(1234, "010,") is "00,001,234".
    if (fill === "0" && align === "=") {
      const target = spec.width - sign.length - prefix.length - rest.length;
      while (group(digits, spec.grouping, groupSize).length < target) digits = `0${digits}`;
    }
    digits = group(digits, spec.grouping, groupSize);
  }
  return pad(sign + prefix, digits + rest, spec.width, fill, align);
}

function formatFloat(abs: number, type: string, spec: FormatSpec): string {
  const p = spec.precision;
  switch (type) {
    case "f":
    case "F":
      return withDot(toFixedExact(abs, p ?? 6), spec.alternate);
    case "%":
      return `${withDot(toFixedExact(abs * 100, p ?? 6), spec.alternate)}%`;
    case "e":
    case "E": {
      const text = withDot(toExponentialExact(abs, p ?? 6), spec.alternate);
      return type === "E" ? text.toUpperCase() : text;
    }
    case "g":
    case "G":
    case "n": {
      const text = general(abs, p ?? 6, spec.alternate);
      return type === "G" ? text.toUpperCase() : text;
    }
    default: {
      // No type on a float: like 'g' but always showing it is a float (Python prints 1.0, not 1).
      if (p === undefined) return numberToString(abs);
      const text = general(abs, p, spec.alternate, 1);
      return /[.e]/.test(text) ? text : `${text}.0`;
    }
  }
}

/** Python's 'g': fixed notation for moderate exponents, scientific otherwise, trailing zeros dropped. */
function general(abs: number, precision: number, alternate: boolean, earlier = 0): string {
  const p = precision === 0 ? 1 : precision;
  const scientific = toExponentialExact(abs, p - 1);
  const exp = Number(scientific.split("e")[1]);
  // With no type Python switches to scientific one exponent earlier (`earlier` = 1) than 'g'.
  const text = exp >= -4 && exp < p - earlier ? toFixedExact(abs, p - 1 - exp) : scientific;
  if (alternate) return withDot(text, true);
  const [mantissa = "", exponent] = text.split("e");
  const trimmed = mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}

// JS's toFixed/toExponential round ties away from zero (2.5 -> "3"); Python rounds the exact
// binary value half-to-even (2.5 -> "2", 1234.5 -> "1.234e+03"). These work on the exact decimal
// expansion of the double so the output matches Python digit for digit.

/** The exact decimal digits of a finite positive double and how many of them precede the point. */
function exactDecimal(x: number): { digits: string; point: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exp2 = (biased === 0 ? 1 : biased) - 1075;
  if (exp2 >= 0) {
    const digits = (mantissa << BigInt(exp2)).toString();
    return { digits, point: digits.length };
  }
  const digits = (mantissa * 5n ** BigInt(-exp2)).toString();
  return { digits, point: digits.length + exp2 };
}

/** The first `keep` digits rounded half-to-even by the rest; one digit longer on a carry. */
function roundHalfEven(digits: string, keep: number): string {
  const head = BigInt(digits.slice(0, keep).padEnd(keep, "0") || "0");
  const tail = digits.slice(keep);
  const first = tail[0] ?? "0";
  const tie = first === "5" && !/[1-9]/.test(tail.slice(1));
  const up = first > "5" || (first === "5" && !tie) || (tie && head % 2n === 1n);
  return (up ? head + 1n : head).toString().padStart(keep, "0");
}

function toFixedExact(x: number, places: number): string {
  if (x === 0) return places ? `0.${"0".repeat(places)}` : "0";
  let { digits, point } = exactDecimal(x);
  if (point < 1) {
    digits = "0".repeat(1 - point) + digits;
    point = 1;
  }
  const rounded = roundHalfEven(digits, point + places);
  const intLength = rounded.length - places;
  return places ? `${rounded.slice(0, intLength)}.${rounded.slice(intLength)}` : rounded;
}

function toExponentialExact(x: number, places: number): string {
  let mantissa = "0".repeat(places + 1);
  let exp = 0;
  if (x !== 0) {
    const { digits, point } = exactDecimal(x);
    exp = point - 1;
    mantissa = roundHalfEven(digits, places + 1);
    if (mantissa.length > places + 1) {
      mantissa = mantissa.slice(0, places + 1);
      exp++;
    }
  }
  const text = places ? `${mantissa[0]}.${mantissa.slice(1)}` : mantissa;
  return `${text}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** '#' keeps the decimal point even with no digits after it. */
function withDot(text: string, alternate: boolean): string {
  if (!alternate || text.includes(".")) return text;
  const e = text.indexOf("e");
  return e === -1 ? `${text}.` : `${text.slice(0, e)}.${text.slice(e)}`;
}

/** Python writes exponents with at least two digits: 1e-07, not 1e-7. */
function pythonExponent(text: string): string {
  return text.replace(/e([+-])(\d)$/, "e$10$2");
}

/** Python's `str(number)` for the numbers a template sees. */
function numberToString(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (Number.isInteger(n)) return BigInt(n).toString();
  const abs = Math.abs(n);
  if (abs < 1e-4) return pythonExponent(n.toExponential());
  return String(n);
}

function group(digits: string, separator: "," | "_" | undefined, size: number): string {
  if (separator === undefined) return digits;
  const parts: string[] = [];
  for (let end = digits.length; end > 0; end -= size)
    parts.unshift(digits.slice(Math.max(0, end - size), end));
  return parts.join(separator);
}

function pad(signAndPrefix: string, body: string, width: number, fill: string, align: string): string {
  const text = signAndPrefix + body;
  const missing = width - Array.from(text).length;
  if (missing <= 0) return text;
  const fillText = (count: number) => fill.repeat(count);
  switch (align) {
    case "<":
      return text + fillText(missing);
    case "^":
      return fillText(Math.floor(missing / 2)) + text + fillText(Math.ceil(missing / 2));
    case "=":
      return signAndPrefix + fillText(missing) + body;
    default:
      return fillText(missing) + text;
  }
}
