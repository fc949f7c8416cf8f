// The `fields` partial-response selector ("nextPageToken, files(id, name)", "id,size", "files/id", "*"):
// a provider that forgets to ask for a field must not get it, as on the real service.
import { invalid } from "./errors.js";

type Selector = Map<string, Selector | true>;

function parse(text: string): Selector {
  let pos = 0;
  const parseList = (): Selector => {
    const selector: Selector = new Map();
    for (;;) {
      const match = /^\s*([A-Za-z_*][A-Za-z0-9_/]*)\s*/.exec(text.slice(pos));
      if (match === null) throw invalid(`Invalid field selection ${text}`, "fields");
      pos += match[0].length;
      const path = (match[1] as string).split("/");
      let sub: Selector | true = true;
      if (text[pos] === "(") {
        pos += 1;
        sub = parseList();
        if (text[pos] !== ")") throw invalid(`Invalid field selection ${text}`, "fields");
        pos += 1;
        while (text[pos] === " ") pos += 1;
      }
      for (let i = path.length - 1; i > 0; i -= 1) sub = new Map([[path[i] as string, sub]]);
      selector.set(path[0] as string, sub);
      if (text[pos] !== ",") return selector;
      pos += 1;
    }
  };
  const selector = parseList();
  if (pos !== text.length) throw invalid(`Invalid field selection ${text}`, "fields");
  return selector;
}

function apply(value: unknown, selector: Selector | true): unknown {
  if (selector === true || selector.has("*")) return value;
  if (Array.isArray(value)) return value.map((item) => apply(item, selector));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of selector) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) out[key] = apply(field, sub);
  }
  return out;
}

/** `resource` cut down to `fields`, or `fallback(resource)` when no fields were asked for. */
export function project(
  resource: Record<string, unknown>,
  fields: string | null,
  fallback: (resource: Record<string, unknown>) => Record<string, unknown>,
): Record<string, unknown> {
  if (fields === null || fields === "") return fallback(resource);
  return apply(resource, parse(fields)) as Record<string, unknown>;
}

/** Drive v3's default file fields when `fields` is not given. */
export function defaultFileFields(file: Record<string, unknown>): Record<string, unknown> {
  const { kind, id, name, mimeType } = file;
  return { kind, id, name, mimeType };
}
