/**
 * The host table (templates/hosts.json): workfile extensions per DCC host, as
 * AYON's host integrations report them. JSON, not YAML: the launcher reads it
 * on every launch and JSON needs no parser to load.
 */
import { readFileSync } from "node:fs";
import { templatePath } from "./paths.js";

let table: Record<string, unknown> | undefined;

export function workfileExtensions(hostName: string): string[] {
  table ??= JSON.parse(readFileSync(templatePath("hosts.json"), "utf8")) as Record<string, unknown>;
  const extensions = table[hostName];
  return Array.isArray(extensions) ? extensions.filter((e): e is string => typeof e === "string") : [];
}
