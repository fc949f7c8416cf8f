import { TemplateError } from "../errors.js";
import { formatValue } from "./format.js";

/** Values a template can read: `{project[name]}` walks `data.project.name`. */
export type TemplateValue = string | number | TemplateData;
export interface TemplateData {
  // undefined is accepted so callers can pass optional values through; it reads as a missing key.
  [key: string]: TemplateValue | undefined;
}

export interface FormatOptions {
  /** Throw on missing keys (default). When false, they stay in the output as `{key}`. */
  strict?: boolean;
  /** Text of the template that `{@name}` stands for, or undefined when there is none. */
  resolveRef?: (name: string) => string | undefined;
}

type Node =
  | { kind: "text"; value: string }
  | { kind: "field"; key: string; path: readonly string[]; spec: readonly Node[] | null }
  | { kind: "ref"; name: string }
  | { kind: "optional"; children: readonly Node[] };

type Mode = "top" | "optional" | "spec";

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Node[] {
    return this.sequence("top");
  }

  private error(reason: string): TemplateError {
    return new TemplateError(`${reason} at position ${this.i} in template "${this.src}"`);
  }

  private sequence(mode: Mode): Node[] {
    const nodes: Node[] = [];
    let text = "";
    const flush = () => {
      if (text) nodes.push({ kind: "text", value: text });
      text = "";
    };
    const { src } = this;
    while (this.i < src.length) {
      const c = src[this.i] as string;
      const next = src[this.i + 1];
      if (c === "{" && next === "{" && mode !== "spec") {
        text += "{";
        this.i += 2;
      } else if (c === "}" && next === "}" && mode !== "spec") {
        text += "}";
        this.i += 2;
      } else if (c === "{") {
        flush();
        nodes.push(this.field());
      } else if (c === "}") {
        if (mode === "spec") break;
        throw this.error('single "}" (write "}}" for a literal brace)');
      } else if (c === "<" && mode !== "spec") {
        flush();
        this.i++;
        nodes.push({ kind: "optional", children: this.sequence("optional") });
      } else if (c === ">" && mode !== "spec") {
        if (mode !== "optional") throw this.error('">" without an opening "<"');
        flush();
        this.i++;
        return nodes;
      } else {
        text += c;
        this.i++;
      }
    }
    if (mode === "optional") throw this.error('optional section "<" is never closed by ">"');
    if (mode === "spec" && this.i >= src.length) throw this.error('"{" is never closed by "}"');
    flush();
    return nodes;
  }

  private field(): Node {
    const { src } = this;
    this.i++; // "{"
    if (src[this.i] === "@") {
      const end = src.indexOf("}", this.i);
      const name = end === -1 ? "" : src.slice(this.i + 1, end);
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw this.error("invalid reference {@...}");
      this.i = end + 1;
      return { kind: "ref", name };
    }
    const nameMatch = /^[^{}[\]:!<>]+/.exec(src.slice(this.i));
    if (!nameMatch) throw this.error("empty or invalid key name");
    const path = [nameMatch[0]];
    this.i += nameMatch[0].length;
    while (src[this.i] === "[") {
      const close = src.indexOf("]", this.i);
      const sub = close === -1 ? "" : src.slice(this.i + 1, close);
      if (!sub || /[{}[]/.test(sub)) throw this.error("invalid [sub-key]");
      path.push(sub);
      this.i = close + 1;
    }
    let spec: Node[] | null = null;
    if (src[this.i] === ":") {
      this.i++;
      spec = this.sequence("spec");
    }
    if (src[this.i] !== "}") throw this.error(`key "${path.join(".")}" is not closed by "}"`);
    this.i++;
    return { kind: "field", key: keyText(path), path, spec };
  }
}

function keyText(path: readonly string[]): string {
  return (
    path[0] +
    path
      .slice(1)
      .map((sub) => `[${sub}]`)
      .join("")
  );
}

// Anatomy templates are a handful of strings formatted over and over; parse each once.
const parsed = new Map<string, readonly Node[]>();
function parseTemplate(template: string): readonly Node[] {
  let nodes = parsed.get(template);
  if (!nodes) {
    nodes = new Parser(template).parse();
    if (parsed.size > 1000) parsed.clear();
    parsed.set(template, nodes);
  }
  return nodes;
}

interface Context {
  template: string;
  data: TemplateData;
  resolveRef: ((name: string) => string | undefined) | undefined;
  refStack: string[];
}

type Lookup = { found: true; value: string | number | boolean } | { found: false };

function lookup(data: TemplateData, path: readonly string[], key: string, template: string): Lookup {
  let current: unknown = data;
  for (const part of path) {
    // Own properties only: `{constructor}` must be a missing key, not Object's constructor.
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, part))
      return { found: false };
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined || current === null) return { found: false };
  if (typeof current === "string" || typeof current === "number" || typeof current === "boolean") {
    return { found: true, value: current };
  }
  const subKeys =
    typeof current === "object" ? Object.keys(current).map((sub) => `${key}[${sub}]`) : ([] as string[]);
  const hint = subKeys.length ? `; use one of ${subKeys.join(", ")}` : "";
  const what = Array.isArray(current) ? "a list" : typeof current === "object" ? "an object" : typeof current;
  throw new TemplateError(`key ${key} is ${what}, not a value, in template "${template}"${hint}`);
}

/** Renders nodes, appending the keys it could not find to `missing`. */
function render(nodes: readonly Node[], ctx: Context, missing: string[]): string {
  let out = "";
  for (const node of nodes) {
    switch (node.kind) {
      case "text":
        out += node.value;
        break;
      case "optional": {
        // AYON drops the whole `<...>` section as soon as one key inside it is missing.
        const inner: string[] = [];
        const text = render(node.children, ctx, inner);
        if (inner.length === 0) out += text;
        break;
      }
      case "ref":
        out += renderRef(node.name, ctx, missing);
        break;
      case "field": {
        const fieldMissing: string[] = [];
        const spec = node.spec ? render(node.spec, ctx, fieldMissing) : "";
        const found = lookup(ctx.data, node.path, node.key, ctx.template);
        if (!found.found) fieldMissing.unshift(node.key);
        if (fieldMissing.length > 0) {
          missing.push(...fieldMissing);
          out += `{${node.key}${node.spec ? `:${spec}` : ""}}`;
        } else if (found.found) {
          out += formatValue(found.value, spec, node.key);
        }
        break;
      }
    }
  }
  return out;
}

function renderRef(name: string, ctx: Context, missing: string[]): string {
  if (ctx.refStack.includes(name)) {
    const cycle = [...ctx.refStack.slice(ctx.refStack.indexOf(name)), name].map((n) => `{@${n}}`);
    throw new TemplateError(`reference cycle ${cycle.join(" -> ")} in template "${ctx.template}"`);
  }
  const text = ctx.resolveRef?.(name);
  if (text === undefined)
    throw new TemplateError(`unknown reference {@${name}} in template "${ctx.template}"`);
  ctx.refStack.push(name);
  try {
    return render(parseTemplate(text), ctx, missing);
  } finally {
    ctx.refStack.pop();
  }
}

/**
 * Fills an AYON template: `{key}`, `{key[sub]}`, Python format specs, `{{`/`}}`, `{@ref}` and
 * `<optional>` sections. Strict mode (default) throws a TemplateError naming every missing key.
 */
export function formatTemplate(template: string, data: TemplateData, options: FormatOptions = {}): string {
  const ctx: Context = { template, data, resolveRef: options.resolveRef, refStack: [] };
  const missing: string[] = [];
  const out = render(parseTemplate(template), ctx, missing);
  if (missing.length > 0 && options.strict !== false) {
    const keys = [...new Set(missing)];
    const available = Object.keys(data).filter((k) => data[k] !== undefined);
    throw new TemplateError(
      `missing keys: ${keys.join(", ")} in template "${template}" (data has: ${available.join(", ") || "nothing"})`,
      keys,
    );
  }
  return out;
}

export type AnatomyTemplateEntry = Record<string, string>;

/**
 * AYON's `anatomy.templates`: `common` holds shared pieces (`version`, `version_padding`, `frame`,
 * `frame_padding`); every other group (`work`, `publish`, `hero`, ...) maps a template name to
 * its `directory`, `file` and optional `path` templates.
 */
export interface AnatomyTemplates {
  common: Record<string, string | number>;
  [group: string]: Record<string, string | number> | Record<string, AnatomyTemplateEntry>;
}

export type AnatomyTemplateKey = "directory" | "file" | "path";

/** AYON's default when a template entry has no `path` of its own. */
export const DEFAULT_PATH_TEMPLATE = "{@directory}/{@file}";

/**
 * Fills `templates[group][name][key]`. `{@x}` refers first to a sibling key of the same entry
 * (`{@directory}`, `{@file}`), then to `common` (`{@version}`, `{@frame}`), as in AYON.
 */
export function resolveAnatomyTemplate(
  templates: AnatomyTemplates,
  group: string,
  name: string,
  key: AnatomyTemplateKey,
  data: TemplateData,
  options: { strict?: boolean } = {},
): string {
  const groups = Object.keys(templates).filter((g) => g !== "common");
  const entries = group !== "common" && Object.hasOwn(templates, group) ? templates[group] : undefined;
  if (typeof entries !== "object" || entries === null) {
    throw new TemplateError(`unknown anatomy template group "${group}"; known groups: ${groups.join(", ")}`);
  }
  const entry = Object.hasOwn(entries, name) ? entries[name] : undefined;
  if (typeof entry !== "object" || entry === null) {
    throw new TemplateError(
      `unknown template "${name}" in anatomy group "${group}"; known templates: ${Object.keys(entries).join(", ")}`,
    );
  }
  const own = (ref: string): string | undefined => {
    const value = Object.hasOwn(entry, ref) ? entry[ref] : undefined;
    if (value === undefined && ref === "path") return DEFAULT_PATH_TEMPLATE;
    return typeof value === "string" ? value : undefined;
  };
  const text = own(key);
  if (text === undefined) throw new TemplateError(`anatomy template ${group}.${name} has no "${key}"`);
  const resolveRef = (ref: string): string | undefined => {
    const value = own(ref) ?? (Object.hasOwn(templates.common, ref) ? templates.common[ref] : undefined);
    return value === undefined ? undefined : String(value);
  };
  try {
    const filled = formatTemplate(text, data, { strict: options.strict ?? true, resolveRef });
    // An empty `{hierarchy}` (a folder right under the project) must not leave "Proj//hero";
    // a leading "//" is a UNC root and stays.
    return key === "file" ? filled : filled.replace(/(?<=.)\/{2,}/g, "/");
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    throw new TemplateError(`${group}.${name}.${key}: ${error.message}`, error.missingKeys, { cause: error });
  }
}
