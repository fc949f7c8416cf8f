import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Context, openContext } from "../../lib/context.js";
import { SyncEngine } from "../../lib/engine/engine.js";
import type { EngineEvent } from "../../lib/engine/types.js";
import { publish } from "../../lib/publish/publish.js";
import { makeStudio, type Studio } from "./cli.js";

export interface EngineStudio extends Studio {
  siteId: string;
  open: () => Promise<Context>;
  /** Publishes `files` (name -> content) as the next version of a product; returns the representation id. */
  publishFiles: (
    files: Record<string, string | Buffer>,
    options?: { site?: string; product?: string; productType?: string; links?: string[] },
  ) => Promise<{ representationId: string; versionId: string; paths: string[] }>;
  engine: (options?: { ownSite?: string; retryBaseMs?: number }) => Promise<{
    engine: SyncEngine;
    events: EngineEvent[];
    context: Context;
  }>;
  closeAll: () => Promise<void>;
}

/**
 * A studio home in a temp dir (via the CLI's init and import), opened in
 * process. `settings` replaces settings.yaml; it gets the roots to point at.
 */
export async function engineStudio(
  options: {
    siteId?: string;
    settings?: (roots: { studio: string; local: string; dir: string }) => string;
  } = {},
): Promise<EngineStudio> {
  const siteId = options.siteId ?? "artist1";
  const studio = await makeStudio(siteId);
  if (options.settings) {
    writeFileSync(
      path.join(studio.home, "settings.yaml"),
      options.settings({ studio: studio.studioRoot, local: studio.localRoot, dir: studio.dir }),
    );
  }
  const opened: Context[] = [];
  const open = async () => {
    const context = await openContext({
      home: studio.home,
      env: { ...process.env, AYON_SITE_ID: "", SITESYNC_STORE_URL: "" },
    });
    opened.push(context);
    return context;
  };
  let counter = 0;
  const main = await open();
  return {
    ...studio,
    siteId,
    open,
    async publishFiles(files, publishOptions = {}) {
      counter += 1;
      const src = path.join(studio.dir, `src${counter}`);
      const names = Object.keys(files);
      for (const name of names) {
        mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
        writeFileSync(path.join(src, name), files[name] as string | Buffer);
      }
      const [first, ...rest] = names;
      const result = await publish(main, {
        project: "Proj",
        folderPath: "/assets/characters/hero",
        task: "modeling",
        product: publishOptions.product ?? "workfileModeling",
        productType: publishOptions.productType ?? "workfile",
        links: publishOptions.links ?? [],
        files: [path.join(src, first as string)],
        ...(rest.length ? { resources: path.join(src, "res") } : {}),
        site: publishOptions.site ?? "studio",
      });
      return {
        representationId: result.representationId,
        versionId: result.versionId,
        paths: result.files.map((f) => f.path),
      };
    },
    async engine(engineOptions = {}) {
      const context = await open();
      const engine = new SyncEngine({
        store: context.store,
        settings: context.settings,
        ownSite: engineOptions.ownSite ?? siteId,
        platform: context.platform,
        retryBaseMs: engineOptions.retryBaseMs ?? 5,
      });
      const events: EngineEvent[] = [];
      engine.on((event) => events.push(event));
      return { engine, events, context };
    },
    async closeAll() {
      for (const context of opened.splice(0)) await context.store.close();
    },
  };
}

/**
 * Settings with sync enabled and this workstation active against studio.
 * `config` is a YAML flow mapping for sitesync.config; `sites` are extra YAML
 * list items (each starting with "- ") for sitesync.sites.
 */
export function artistSettings(
  roots: { studio: string; local: string },
  extra: { config?: string; sites?: string[]; remote?: string; enabled?: boolean; studio?: string } = {},
): string {
  const root = (dir: string) =>
    `{roots: [{name: work, linux: "${dir}", windows: "${dir}", darwin: "${dir}"}]}`;
  return `
studio:
${extra.studio ?? ""}
  sitesync:
    enabled: ${extra.enabled ?? true}
    config: ${extra.config ?? "{}"}
    sites:
      - {name: studio, provider: local_drive, local_drive: ${root(roots.studio)}}
${(extra.sites ?? []).map((site) => `      ${site}`).join("\n")}
site:
  sitesync:
    local_setting:
      active_site: local
      remote_site: ${extra.remote ?? "studio"}
      local_roots: [{name: work, path: "${roots.local}"}]
`;
}
