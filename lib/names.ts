/** AYON's naming rules, shared by every place that accepts an entity name from a user. */

/** Products, representations, folders, tasks: `^[a-zA-Z0-9_]([a-zA-Z0-9_.-]*[a-zA-Z0-9_])?$` in AYON. */
export const ENTITY_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/** A folder path: `/` then entity names joined by `/`, e.g. `/assets/characters/hero`. */
export const FOLDER_PATH = /^(\/[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?)+$/;

/** A site name (and a local site id). */
export const SITE_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Project names are stricter: they become database schema names on an AYON server. */
export const PROJECT_NAME = /^[A-Za-z0-9_]+$/;
