// A Dropbox emulator with one app, a team of members and a team folder, and the token settings the
// provider reads (`app_key:app_secret:refresh_token`), for the Dropbox tests.
import { type DropboxEmulator, type Member, type Namespace, startDropboxEmulator } from "./emulator.js";

export const APP_KEY = "sitesyncapp";
export const APP_SECRET = "app-secret-never-logged";

export interface DropboxWorld {
  emulator: DropboxEmulator;
  alice: Member;
  bob: Member;
  folder: Namespace;
  /** The token setting for Alice's own Dropbox. */
  userSetting: string;
  /** The token setting for the team (acts as a member). */
  teamSetting: string;
  /** Points SITESYNC_DROPBOX_API_URL and SITESYNC_DROPBOX_CONTENT_URL at the emulator. */
  useEnv(): void;
  close(): Promise<void>;
}

export async function dropboxWorld(options: { pageSize?: number } = {}): Promise<DropboxWorld> {
  const emulator = await startDropboxEmulator(options);
  emulator.addApp(APP_KEY, APP_SECRET);
  const alice = emulator.addMember("Alice Artist", "alice@studio.example");
  const bob = emulator.addMember("Bob Builder", "bob@studio.example");
  for (let i = 0; i < 3; i++) emulator.addMember(`Extra ${i}`, `extra${i}@studio.example`);
  emulator.addTeamFolder("Archive");
  const folder = emulator.addTeamFolder("Studio Projects");
  const saved = {
    api: process.env.SITESYNC_DROPBOX_API_URL,
    content: process.env.SITESYNC_DROPBOX_CONTENT_URL,
  };
  const restore = (name: string, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  return {
    emulator,
    alice,
    bob,
    folder,
    userSetting: `${APP_KEY}:${APP_SECRET}:${emulator.userToken(APP_KEY, alice)}`,
    teamSetting: `${APP_KEY}:${APP_SECRET}:${emulator.teamToken(APP_KEY)}`,
    useEnv() {
      process.env.SITESYNC_DROPBOX_API_URL = emulator.url;
      process.env.SITESYNC_DROPBOX_CONTENT_URL = emulator.url;
    },
    async close() {
      restore("SITESYNC_DROPBOX_API_URL", saved.api);
      restore("SITESYNC_DROPBOX_CONTENT_URL", saved.content);
      await emulator.close();
    },
  };
}
