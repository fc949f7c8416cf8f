/**
 * Drive's search language (`q`) quotes names in single quotes; a quote or a
 * backslash in a name must be escaped, or a folder named `it's` breaks the
 * query (or, worse, matches something else). Every `q` this provider sends
 * is built here.
 */

/** A string literal for `q`: backslashes first, then single quotes. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** The items named `name` directly in folder `parentId`, not in the trash. */
export function childNamed(parentId: string, name: string): string {
  return `${quote(parentId)} in parents and name = ${quote(name)} and trashed = false`;
}

/** Every item directly in folder `parentId`, not in the trash. */
export function childrenOf(parentId: string): string {
  return `${quote(parentId)} in parents and trashed = false`;
}

export const FOLDER_MIME = "application/vnd.google-apps.folder";
