// The files.list `q` subset a storage provider needs: `name = '...'` (with \' and \\ escapes),
// `'<id>' in parents`, `mimeType = '...'` / `mimeType != '...'`, `trashed = true|false`, joined by `and`.
// Anything else is a 400 in Google's format, so a provider that builds another query fails here, loudly,
// instead of passing against a lenient fake.
import { invalid } from "./errors.js";
import type { DriveFile } from "./state.js";

type Token =
  | { kind: "string"; value: string }
  | { kind: "word"; value: string }
  | { kind: "op"; value: string };

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < q.length) {
    const ch = q[pos] as string;
    if (/\s/.test(ch)) {
      pos += 1;
    } else if (ch === "'") {
      let value = "";
      pos += 1;
      for (;;) {
        const c = q[pos];
        if (c === undefined) throw invalidQuery();
        if (c === "\\") {
          const next = q[pos + 1];
          if (next !== "'" && next !== "\\") throw invalidQuery();
          value += next;
          pos += 2;
        } else if (c === "'") {
          pos += 1;
          break;
        } else {
          value += c;
          pos += 1;
        }
      }
      tokens.push({ kind: "string", value });
    } else if (q.startsWith("!=", pos)) {
      tokens.push({ kind: "op", value: "!=" });
      pos += 2;
    } else if (ch === "=") {
      tokens.push({ kind: "op", value: "=" });
      pos += 1;
    } else {
      const match = /^[A-Za-z]+/.exec(q.slice(pos));
      if (match === null) throw invalidQuery();
      tokens.push({ kind: "word", value: match[0] });
      pos += match[0].length;
    }
  }
  return tokens;
}

function invalidQuery(): Error {
  return invalid("Invalid Value", "q");
}

export type Predicate = (file: DriveFile) => boolean;

/** A predicate for `q`; also reports the parent ids the query names (for permission faults). */
export function parseQuery(q: string): { match: Predicate; parents: string[] } {
  const tokens = tokenize(q);
  const terms: Predicate[] = [];
  const parents: string[] = [];
  let i = 0;
  const next = (): Token => {
    const token = tokens[i];
    if (token === undefined) throw invalidQuery();
    i += 1;
    return token;
  };
  for (;;) {
    const first = next();
    if (first.kind === "string") {
      const op = next();
      const field = next();
      if (op.kind !== "word" || op.value !== "in" || field.kind !== "word" || field.value !== "parents") {
        throw invalidQuery();
      }
      const id = first.value;
      parents.push(id);
      terms.push((file) => file.parents.includes(id));
    } else if (first.kind === "word" && (first.value === "name" || first.value === "mimeType")) {
      const op = next();
      const value = next();
      if (op.kind !== "op" || value.kind !== "string") throw invalidQuery();
      if (first.value === "name" && op.value !== "=") throw invalidQuery();
      const key = first.value;
      const wanted = value.value;
      terms.push(op.value === "=" ? (file) => file[key] === wanted : (file) => file[key] !== wanted);
    } else if (first.kind === "word" && first.value === "trashed") {
      const op = next();
      const value = next();
      if (op.kind !== "op" || op.value !== "=" || value.kind !== "word") throw invalidQuery();
      if (value.value !== "true" && value.value !== "false") throw invalidQuery();
      const wanted = value.value === "true";
      terms.push((file) => file.trashed === wanted);
    } else {
      throw invalidQuery();
    }
    if (i === tokens.length) break;
    const joiner = next();
    if (joiner.kind !== "word" || joiner.value.toLowerCase() !== "and") throw invalidQuery();
  }
  return { match: (file) => terms.every((term) => term(file)), parents };
}
