/**
 * The dropbox entry of the provider conformance suite (test/providers/harnesses.ts): a team token acting
 * as a member in a team folder on the Dropbox emulator, listings two entries a page, 1 MiB upload chunks so
 * that uploads of a few MiB go through sessions, and no pause after a rate limit.
 */
import path from "node:path";
import { createDropboxProvider } from "../../providers/dropbox/index.js";
import type { ProviderHarness } from "../providers/harnesses.js";
import { type DropboxWorld, dropboxWorld } from "./fixtures.js";

const MiB = 1024 * 1024;

export function dropboxHarness(site: string): ProviderHarness {
  let world: DropboxWorld | undefined;
  const root = "/Conformance/site";
  const create = () =>
    createDropboxProvider(
      {
        siteName: site,
        config: {
          token: world?.teamSetting ?? "",
          team_folder_name: "Studio Projects",
          acting_as_member: "Bob Builder",
          roots: root,
        },
        roots: { work: root },
      },
      { singleMax: MiB, chunk: MiB },
    );
  return {
    kind: "dropbox",
    async start() {
      world = await dropboxWorld({ pageSize: 2 });
      world.useEnv();
      await create().mkdirs(root);
    },
    async stop() {
      await world?.close();
    },
    create,
    root: () => root,
    join: (...parts) => path.posix.join(...parts),
  };
}
