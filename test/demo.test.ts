import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("npm run demo", () => {
  it("publishes on studio, launches the stand-in DCC for an empty artist site, and prints the v002 workfile and resources", () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, "dist/lib/demo/run.js")], {
      encoding: "utf8",
      env: { ...process.env, AYON_SITE_ID: "", SITESYNC_HOME: "" },
    });
    const dir = /sitesync demo in (\S+)/.exec(result.stdout)?.[1];
    try {
      expect(result.status, result.stderr).toBe(0);
      const workfile = `${dir}/local/demo_show/assets/characters/hero/work/modeling/DS_hero_modeling_v002.ma`;
      expect(result.stdout).toContain(`stand-in maya opened ${workfile}`);
      expect(result.stdout).toContain("stand-in maya   resource textures/wood_albedo.ppm");
      expect(result.stdout).toContain(`New workfile: ${workfile}`);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
});
