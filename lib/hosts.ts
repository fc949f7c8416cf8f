/**
 * The host table (templates/hosts.yaml): workfile extensions per DCC host, as
 * AYON's host integrations report them.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { templatePath } from "./paths.js";

let table: Record<string, string[]> | undefined;

export function workfileExtensions(hostName: string): string[] {
  table ??= parse(readFileSync(templatePath("hosts.yaml"), "utf8")) as Record<string, string[]>;
  return table[hostName] ?? [];
}
