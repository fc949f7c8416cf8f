/**
 * Cycles between folders (`npm run deps`, after .dependency-cruiser.cjs): a
 * folder that needs another must not be needed by it, even when no module
 * cycle exists (lib/engine/a.ts -> lib/store/b.ts, lib/store/c.ts ->
 * lib/engine/d.ts). The files directly in lib/ are left out of this run: that
 * folder holds both what everything uses (errors.ts, paths.ts) and where the
 * package is assembled (index.ts, context.ts), so every folder would cycle
 * through it. Their module cycles are still caught by the main run.
 */
const layers = require("./.dependency-cruiser.cjs");

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular-folders",
      severity: "error",
      comment: "No cycle between folders (hooks, providers, providers/sftp, lib/engine, lib/store...).",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    ...layers.options,
    exclude: { path: "^lib/[^/]+\\.ts$" },
  },
};
