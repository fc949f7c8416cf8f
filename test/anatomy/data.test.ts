import { describe, expect, it } from "vitest";
import { mergeTemplateData, productData, templateDataForTask } from "../../lib/anatomy/data.js";

const project = { name: "Proj", code: "PR" };

describe("templateDataForTask", () => {
  it("builds AYON's keys for a task context", () => {
    const data = templateDataForTask({
      project,
      folder: { name: "hero", path: "/assets/characters/hero", folderType: "Asset" },
      task: { name: "modeling", taskType: "Modeling", shortName: "mdl" },
    });
    expect(data).toEqual({
      project: { name: "Proj", code: "PR" },
      folder: { name: "hero", type: "Asset", path: "/assets/characters/hero" },
      asset: "hero",
      hierarchy: "assets/characters",
      parent: "characters",
      task: { name: "modeling", type: "Modeling", short: "mdl" },
    });
  });

  it("gives a top-level folder an empty hierarchy and the project as parent", () => {
    const data = templateDataForTask({ project, folder: { name: "hero", path: "/hero" } });
    expect(data.hierarchy).toBe("");
    expect(data.parent).toBe("Proj");
  });

  it("leaves out task keys when there is no task and optional keys that are unknown", () => {
    const data = templateDataForTask({ project, folder: { name: "sh010", path: "/seq/sh010" } });
    expect(data.task).toBeUndefined();
    expect(data.folder).toEqual({ name: "sh010", path: "/seq/sh010" });
  });

  it("deep-merges extra data over the context", () => {
    const data = templateDataForTask(
      { project, folder: { name: "hero", path: "/assets/hero" }, task: { name: "rig", taskType: "Rigging" } },
      { task: { short: "rig" }, version: 4, ext: "ma", root: { work: "/r" }, comment: undefined },
    );
    expect(data.task).toEqual({ name: "rig", type: "Rigging", short: "rig" });
    expect(data).toMatchObject({ version: 4, ext: "ma", root: { work: "/r" } });
    expect("comment" in data).toBe(false);
  });
});

describe("productData", () => {
  it("maps productType to product[type]", () => {
    expect(productData({ name: "workfileModeling", productType: "workfile" })).toEqual({
      product: { name: "workfileModeling", type: "workfile" },
    });
  });
});

describe("mergeTemplateData", () => {
  it("does not let a __proto__ key change the result's prototype", () => {
    const merged = mergeTemplateData({}, JSON.parse('{"__proto__": {"polluted": "yes"}}'));
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("does not modify its inputs", () => {
    const base = { a: { b: "1" } };
    mergeTemplateData(base, { a: { c: "2" } });
    expect(base).toEqual({ a: { b: "1" } });
  });
});
