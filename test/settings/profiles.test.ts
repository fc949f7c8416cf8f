import { describe, expect, it } from "vitest";
import { filterProfiles } from "../../lib/settings/profiles.js";

const criteria = { host_names: "maya", task_types: "Modeling", task_names: "modelMain" };

describe("profile filtering", () => {
  it("scores empty lists and '*' as 0 and a full regex match as 1", () => {
    const profiles = [
      { id: "any", host_names: [], task_types: ["*"] },
      { id: "maya", host_names: ["ma.a"], task_types: [] },
    ];
    expect(filterProfiles(profiles, criteria)?.id).toBe("maya");
  });

  it("rejects a profile whose non-empty list does not match, and regexes must match fully", () => {
    const profiles = [
      { id: "nuke", host_names: ["nuke"] },
      { id: "partial", host_names: ["may"] },
    ];
    expect(filterProfiles(profiles, criteria)).toBeUndefined();
  });

  it("breaks ties by the earlier matched key, then by the earlier profile", () => {
    const profiles = [
      { id: "byTask", task_types: ["Modeling"] },
      { id: "byHost", host_names: ["maya"] },
      { id: "byHostToo", host_names: ["maya"] },
    ];
    expect(filterProfiles(profiles, criteria)?.id).toBe("byHost");
  });

  it("prefers the profile matching more keys", () => {
    const profiles = [
      { id: "host", host_names: ["maya"] },
      { id: "typeAndName", task_types: ["Model.*"], task_names: ["modelMain"] },
    ];
    expect(filterProfiles(profiles, criteria)?.id).toBe("typeAndName");
  });

  it("reads AYON's older `hosts` spelling", () => {
    expect(filterProfiles([{ id: "old", hosts: ["houdini"] }], { host_names: "maya" })).toBeUndefined();
    expect(filterProfiles([{ id: "old", hosts: ["maya"] }], { host_names: "maya" })?.id).toBe("old");
  });
});
