#!/usr/bin/env node
// A stand-in for a DCC (Maya, Nuke, ...) used by the demo and the tests: it
// prints the workfile it was asked to open and what sits in its resources
// folder, then exits, as a real DCC would open the scene.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

const file = process.argv.at(-1);
const host = process.env.AYON_HOST_NAME ?? "dcc";
if (!file || !existsSync(file)) {
  console.log(`stand-in ${host}: no workfile given, starting empty`);
  process.exit(0);
}
console.log(`stand-in ${host} opened ${file}`);
const resources = path.join(path.dirname(file), "resources");
if (existsSync(resources)) {
  for (const entry of readdirSync(resources, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const name = path.relative(resources, path.join(entry.parentPath, entry.name));
    console.log(`stand-in ${host}   resource ${name}`);
  }
}
