import { execFileSync } from "node:child_process";

/** CLI tests run the built command as a user would: build it once before the run. */
export default function setup(): void {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], {
    stdio: "inherit",
  });
}
