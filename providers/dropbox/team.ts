/**
 * A team site (AYON's `acting_as_member` and `team_folder_name`): a team
 * token acts on files only as one member, named by its team_member_id in
 * `Dropbox-API-Select-User`, and reaches a team folder through its namespace
 * in `Dropbox-API-Path-Root`. Both are looked up by name, as upstream does,
 * following every page of the lists (upstream reads only the first, so a
 * team of more than one page could not name its later members).
 */
import type { team } from "dropbox";
import { ProviderError } from "../../lib/errors.js";
import type { Acting, DropboxClient } from "./client.js";
import { faultOf } from "./errors.js";

export interface TeamSettings {
  acting_as_member?: string;
  team_folder_name?: string;
}

/** Every item of a paged team list. */
async function allPages<P extends { cursor: string; has_more: boolean }, T>(
  first: () => Promise<P>,
  next: (cursor: string) => Promise<P>,
  items: (page: P) => T[],
): Promise<T[]> {
  let page = await first();
  const all = items(page);
  while (page.has_more) {
    page = await next(page.cursor);
    all.push(...items(page));
  }
  return all;
}

/** Names for a message: the first twenty, then how many more (a team may have thousands). */
function some(names: string[]): string {
  if (names.length === 0) return "(none)";
  const shown = names.slice(0, 20).join(", ");
  return names.length > 20 ? `${shown} and ${names.length - 20} more` : shown;
}

/** The headers a site's file requests carry; none for a personal Dropbox. */
export async function resolveActing(client: DropboxClient, settings: TeamSettings): Promise<Acting> {
  const member = settings.acting_as_member?.trim() ?? "";
  const folder = settings.team_folder_name?.trim() ?? "";
  const site = `dropbox site "${client.site}"`;
  if (!member) {
    if (folder)
      throw new ProviderError(
        `${site}: team_folder_name is set but acting_as_member is not; a team token acts on a team folder as one member, so name the member`,
        false,
      );
    return {};
  }
  const asTeam = { team: true };
  let members: team.TeamMemberInfoV2[];
  try {
    members = await allPages(
      () => client.call((dbx) => dbx.teamMembersListV2({ limit: 1000 }), asTeam),
      (cursor) => client.call((dbx) => dbx.teamMembersListContinueV2({ cursor }), asTeam),
      (page) => page.members,
    );
  } catch (error) {
    if (faultOf(error).status === 400)
      throw new ProviderError(
        `${site}: acting_as_member needs a team token (an app with team member file access), and Dropbox refused to list the team's members with this one`,
        false,
        { cause: error },
      );
    throw client.fail(error, "listing the team's members to find acting_as_member");
  }
  const wanted = member.toLowerCase();
  const found = members.find(
    ({ profile }) =>
      profile.name.display_name.toLowerCase() === wanted ||
      profile.email.toLowerCase() === wanted ||
      profile.team_member_id === member,
  );
  if (!found)
    throw new ProviderError(
      `${site}: acting_as_member "${member}" is not a member of the team; members: ${some(members.map((m) => m.profile.name.display_name))}`,
      false,
    );
  const acting: Acting = { selectUser: found.profile.team_member_id };
  if (!folder) return acting;
  let folders: team.TeamFolderMetadata[];
  try {
    folders = await allPages(
      () => client.call((dbx) => dbx.teamTeamFolderList({ limit: 1000 }), asTeam),
      (cursor) => client.call((dbx) => dbx.teamTeamFolderListContinue({ cursor }), asTeam),
      (page) => page.team_folders,
    );
  } catch (error) {
    throw client.fail(error, "listing the team folders to find team_folder_name");
  }
  const active = folders.filter((f) => f.status[".tag"] === "active");
  const match =
    active.find((f) => f.name === folder) ??
    active.find((f) => f.name.toLowerCase() === folder.toLowerCase());
  if (!match)
    throw new ProviderError(
      `${site}: team_folder_name "${folder}" is not an active team folder; team folders: ${some(active.map((f) => f.name))}`,
      false,
    );
  return {
    ...acting,
    pathRoot: JSON.stringify({ ".tag": "namespace_id", namespace_id: match.team_folder_id }),
  };
}
