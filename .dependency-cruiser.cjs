/**
 * The layers of sitesync, checked by `npm run deps` (part of `npm test` and
 * CI). Layers only point down:
 *
 *   hooks/      the package's own prelaunch hook, built on lib/ like a studio's
 *   lib/        the launcher, the engine, the store, settings, the CLI...
 *   providers/  where files live (local drive, SFTP, a studio's own)
 *   lib/fs      atomic copies and hashing, which know no provider
 *
 * lib/cli and lib/index.ts are where the package is assembled: they, and only
 * they, register the built-in hook from hooks/ with the launcher.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "lib-not-to-hooks",
      severity: "error",
      comment:
        "lib/ never imports hooks/: the launcher's types live in lib/launcher, and the built-in hook is " +
        "registered where the package is assembled (lib/cli, lib/index.ts), like a studio hook.",
      from: { path: "^lib/", pathNot: "^lib/(cli/|index\\.ts$)" },
      to: { path: "^hooks/" },
    },
    {
      name: "fs-not-to-providers",
      severity: "error",
      comment: "lib/fs (copying, hashing) knows no provider: providers build on it, not the reverse.",
      from: { path: "^lib/fs/" },
      to: { path: "^providers/" },
    },
    {
      name: "providers-not-to-upper-layers",
      severity: "error",
      comment:
        "A provider moves files; it knows nothing of the store, the engine or hooks (providers/README.md).",
      from: { path: "^providers/" },
      to: { path: "^(lib/store|lib/engine|hooks)/" },
    },
    {
      name: "no-circular",
      severity: "error",
      comment:
        "No cycle between modules, inside a folder too. A cycle closed by a lazy import() (settings " +
        "load.ts loads validate.ts only on a cache miss) is allowed: it cannot bite at load time.",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["dynamic-import"] } },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: a layer that needs another's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".cjs", ".json"] },
  },
};
