import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { SettingsError } from "../errors.js";
import { templatePath } from "../paths.js";
import type { AnatomyRoots } from "./roots.js";
import type { AnatomyTemplates } from "./template.js";

/** A project's anatomy: where its roots are on each platform and how its paths are built. */
export interface Anatomy {
  roots: AnatomyRoots;
  templates: AnatomyTemplates;
}

const PlatformValues = z.strictObject({
  windows: z.string().min(1).optional(),
  linux: z.string().min(1).optional(),
  darwin: z.string().min(1).optional(),
});

const TemplateEntry = z.record(z.string(), z.string());

export const AnatomySchema = z.strictObject({
  roots: z.record(
    z.string().regex(/^[A-Za-z0-9_-]+$/, "root names are letters, digits, _ and -"),
    PlatformValues,
  ),
  templates: z
    .object({ common: z.record(z.string(), z.union([z.string(), z.number()])) })
    .catchall(z.record(z.string(), TemplateEntry)),
});

/** Validates an anatomy read from a file; the error names the source and the key path. */
export function parseAnatomy(value: unknown, source: string): Anatomy {
  const result = AnatomySchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
    throw new SettingsError(`${source}: invalid anatomy: ${problems.join("; ")}`);
  }
  return result.data as Anatomy;
}

let cached: Anatomy | undefined;

/** AYON's default anatomy shipped in templates/anatomy.yaml, read once; each call gets a copy. */
export function loadDefaultAnatomy(): Anatomy {
  if (!cached) {
    const file = templatePath("anatomy.yaml");
    cached = parseAnatomy(parseYaml(readFileSync(file, "utf8")), file);
  }
  return structuredClone(cached);
}
