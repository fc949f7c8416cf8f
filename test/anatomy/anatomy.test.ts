import { describe, expect, it } from "vitest";
import { productData, templateDataForTask } from "../../lib/anatomy/data.js";
import { loadDefaultAnatomy, parseAnatomy } from "../../lib/anatomy/defaults.js";
import { fillRootless, rootsForPlatform } from "../../lib/anatomy/roots.js";
import {
  type AnatomyTemplates,
  resolveAnatomyTemplate,
  type TemplateData,
} from "../../lib/anatomy/template.js";
import { SettingsError, TemplateError } from "../../lib/errors.js";

const context = {
  project: { name: "Proj", code: "PR" },
  folder: { name: "hero", path: "/assets/characters/hero", folderType: "Asset" },
  task: { name: "modeling", taskType: "Modeling" },
};

const linuxRoots = { work: "/mnt/share/projects" };

function heroData(extra: TemplateData): TemplateData {
  return templateDataForTask(context, { root: linuxRoots, ...extra });
}

describe("default anatomy", () => {
  const { roots, templates } = loadDefaultAnatomy();

  it("ships AYON's default work root for every platform", () => {
    expect(roots.work).toEqual({
      windows: "C:/projects",
      linux: "/mnt/share/projects",
      darwin: "/Volumes/projects",
    });
  });

  it("ships the common version and frame templates", () => {
    expect(templates.common).toEqual({
      version_padding: 3,
      version: "v{version:0>{@version_padding}}",
      frame_padding: 4,
      frame: "{frame:0>{@frame_padding}}",
    });
  });

  it("fills the default work path", () => {
    const data = heroData({ version: 3, ext: "ma" });
    expect(resolveAnatomyTemplate(templates, "work", "default", "path", data)).toBe(
      "/mnt/share/projects/Proj/assets/characters/hero/work/modeling/PR_hero_modeling_v003.ma",
    );
  });

  it("adds the optional comment to the work file name when there is one", () => {
    const data = heroData({ version: 12, ext: "ma", comment: "blocking" });
    expect(resolveAnatomyTemplate(templates, "work", "default", "file", data)).toBe(
      "PR_hero_modeling_v012_blocking.ma",
    );
  });

  it("fills the default publish path", () => {
    const data = heroData({
      ...productData({ name: "workfileModeling", productType: "workfile" }),
      version: 3,
      ext: "ma",
    });
    expect(resolveAnatomyTemplate(templates, "publish", "default", "path", data)).toBe(
      "/mnt/share/projects/Proj/assets/characters/hero/publish/workfile/workfileModeling/v003/PR_hero_workfileModeling_v003.ma",
    );
  });

  it("fills the optional output, frame and udim of a publish file", () => {
    const data = heroData({
      ...productData({ name: "renderMain", productType: "render" }),
      version: 1,
      ext: "exr",
      output: "beauty",
      frame: 1001,
      udim: 1002,
    });
    expect(resolveAnatomyTemplate(templates, "publish", "default", "file", data)).toBe(
      "PR_hero_renderMain_v001_beauty.1001_1002.exr",
    );
  });

  it("fills the default hero path without a version", () => {
    const data = heroData({ ...productData({ name: "modelMain", productType: "model" }), ext: "abc" });
    expect(resolveAnatomyTemplate(templates, "hero", "default", "path", data)).toBe(
      "/mnt/share/projects/Proj/assets/characters/hero/publish/model/modelMain/hero/PR_hero_modelMain_hero.abc",
    );
  });

  it("produces a rootless publish path that each site fills with its own roots", () => {
    const data = templateDataForTask(context, {
      root: { work: "{root[work]}" },
      ...productData({ name: "workfileModeling", productType: "workfile" }),
      version: 3,
      ext: "ma",
    });
    const rootless = resolveAnatomyTemplate(templates, "publish", "default", "path", data);
    expect(rootless).toBe(
      "{root[work]}/Proj/assets/characters/hero/publish/workfile/workfileModeling/v003/PR_hero_workfileModeling_v003.ma",
    );
    expect(fillRootless(rootless, rootsForPlatform(roots, "windows"))).toBe(
      "C:/projects/Proj/assets/characters/hero/publish/workfile/workfileModeling/v003/PR_hero_workfileModeling_v003.ma",
    );
  });

  it("does not leave a double slash for a folder right under the project", () => {
    const data = templateDataForTask(
      { ...context, folder: { name: "hero", path: "/hero" } },
      { root: linuxRoots, version: 1, ext: "ma" },
    );
    expect(resolveAnatomyTemplate(templates, "work", "default", "directory", data)).toBe(
      "/mnt/share/projects/Proj/hero/work/modeling",
    );
  });

  it("names the template and every missing key when data is incomplete", () => {
    const data = templateDataForTask(
      { project: context.project, folder: context.folder },
      { root: linuxRoots },
    );
    const run = () => resolveAnatomyTemplate(templates, "work", "default", "path", data);
    expect(run).toThrow(TemplateError);
    expect(run).toThrow(/^work\.default\.path: missing keys: task\[name\], version, ext in template/);
  });

  it("returns a copy so callers cannot change the shipped defaults", () => {
    loadDefaultAnatomy().templates.common.version_padding = 9;
    expect(loadDefaultAnatomy().templates.common.version_padding).toBe(3);
  });
});

describe("resolveAnatomyTemplate", () => {
  const templates: AnatomyTemplates = {
    common: { version_padding: 3, version: "v{version:0>{@version_padding}}" },
    work: {
      default: { directory: "{root[work]}/{task[name]}", file: "{task[name]}_{@version}.{ext}" },
      custom: {
        directory: "/d",
        file: "f_{@version}",
        path: "{@directory}/sub/{@file}",
        version: "V{version}",
      },
      loop: { directory: "{@file}", file: "{@directory}" },
    },
  };
  const data: TemplateData = { root: { work: "/r" }, task: { name: "anim" }, version: 7, ext: "ma" };

  it("defaults path to {@directory}/{@file}", () => {
    expect(resolveAnatomyTemplate(templates, "work", "default", "path", data)).toBe("/r/anim/anim_v007.ma");
  });

  it("uses an entry's own path and prefers its own keys over common", () => {
    expect(resolveAnatomyTemplate(templates, "work", "custom", "path", data)).toBe("/d/sub/f_V7");
  });

  it("reports a reference cycle between directory and file", () => {
    expect(() => resolveAnatomyTemplate(templates, "work", "loop", "file", data)).toThrow(
      "reference cycle {@directory} -> {@file} -> {@directory}",
    );
  });

  it("names an unknown group and lists the known ones", () => {
    expect(() => resolveAnatomyTemplate(templates, "render", "default", "path", data)).toThrow(
      'unknown anatomy template group "render"; known groups: work',
    );
  });

  it("does not treat common as a template group", () => {
    expect(() => resolveAnatomyTemplate(templates, "common", "version", "path", data)).toThrow(TemplateError);
  });

  it("names an unknown template and lists the known ones", () => {
    expect(() => resolveAnatomyTemplate(templates, "work", "nope", "file", data)).toThrow(
      'unknown template "nope" in anatomy group "work"; known templates: default, custom, loop',
    );
  });

  it("leaves missing keys in place when not strict", () => {
    const partial = { root: { work: "/r" }, version: 2 };
    expect(resolveAnatomyTemplate(templates, "work", "default", "file", partial, { strict: false })).toBe(
      "{task[name]}_v002.{ext}",
    );
  });
});

describe("parseAnatomy", () => {
  it("names the source and the bad key path", () => {
    const bad = { roots: { work: { linux: 5 } }, templates: { common: {} } };
    expect(() => parseAnatomy(bad, "project.yaml")).toThrow(SettingsError);
    expect(() => parseAnatomy(bad, "project.yaml")).toThrow(
      /^project\.yaml: invalid anatomy: roots\.work\.linux/,
    );
  });

  it("refuses an unknown platform name", () => {
    const bad = { roots: { work: { win32: "C:/p" } }, templates: { common: {} } };
    expect(() => parseAnatomy(bad, "x")).toThrow(SettingsError);
  });
});
