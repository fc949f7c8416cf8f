/** `sitesync store copy --from sqlite:PATH --to postgres:URL`: being built (issue 13); see lib/store/copy.ts. */
import type { Command } from "commander";

export function registerStoreCopy(_store: Command): void {}
