import { describe, expect, it } from "vitest";
import { copyLastPublishedWorkfileHook } from "../../hooks/copy-last-published-workfile.js";
import type { PrelaunchHook } from "../../lib/launcher/hook.js";
import { discoverHooks, registeredPrelaunchHooks, registerPrelaunchHook } from "../../lib/launcher/hooks.js";

describe("prelaunch hook registry", () => {
  it("knows no hook of its own: the package's hook counts once registered, as a studio's would", async () => {
    expect(await discoverHooks([])).toEqual([]);
    registerPrelaunchHook(copyLastPublishedWorkfileHook);
    const studio: PrelaunchHook = { name: "studio-env", order: 5, execute: () => undefined };
    registerPrelaunchHook(studio);
    expect((await discoverHooks([])).map((h) => h.name)).toEqual([
      "copy-last-published-workfile",
      "studio-env",
    ]);
    // Registered again under the same name: replaced, not run twice.
    const replaced = { ...studio, order: 7 };
    registerPrelaunchHook(replaced);
    expect(registeredPrelaunchHooks()).toEqual([copyLastPublishedWorkfileHook, replaced]);
  });
});
