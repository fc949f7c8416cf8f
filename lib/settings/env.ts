import { SettingsError } from "../errors.js";

/**
 * AYON formats some settings values with the environment (`{AYON_ROOT}/keys/sa.json`):
 * credential and executable paths. Root placeholders such as `{root[work]}` are
 * not environment keys and are left alone.
 */
export function expandEnv(value: string, where: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_whole, name: string) => {
    const found = env[name];
    if (found === undefined) {
      throw new SettingsError(
        `${where}: environment variable {${name}} in "${value}" is not set; set it or write the path without it`,
      );
    }
    return found;
  });
}
