import { afterEach, describe, expect, it, vi } from "vitest";
import { currentPlatform, fillRootless, rootsForPlatform, toRootless } from "../../lib/anatomy/roots.js";
import { PathError } from "../../lib/errors.js";

const roots = { work: "/mnt/share/projects", cache: "/mnt/cache/" };

describe("rootsForPlatform", () => {
  const anatomyRoots = {
    work: { windows: "C:/projects", linux: "/mnt/share/projects", darwin: "/Volumes/projects" },
    render: { linux: "/mnt/render" },
  };

  it("picks each root's value for the platform", () => {
    expect(rootsForPlatform(anatomyRoots, "linux")).toEqual({
      work: "/mnt/share/projects",
      render: "/mnt/render",
    });
  });

  it("names the root and the platform when a value is missing", () => {
    expect(() => rootsForPlatform(anatomyRoots, "windows")).toThrow(PathError);
    expect(() => rootsForPlatform(anatomyRoots, "windows")).toThrow(
      'root "render" has no value for platform windows',
    );
  });
});

describe("currentPlatform", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it.each([
    ["win32", "windows"],
    ["linux", "linux"],
    ["darwin", "darwin"],
  ])("maps process.platform %s to %s", (nodePlatform, platform) => {
    vi.stubGlobal("process", { ...process, platform: nodePlatform });
    expect(currentPlatform()).toBe(platform);
  });
});

describe("fillRootless", () => {
  it("joins the rest of the path under the root", () => {
    expect(fillRootless("{root[work]}/Proj/a/b.ma", roots)).toBe("/mnt/share/projects/Proj/a/b.ma");
  });

  it("strips a trailing slash of the root value", () => {
    expect(fillRootless("{root[cache]}/x", roots)).toBe("/mnt/cache/x");
  });

  it("turns backslashes of the rest into forward slashes", () => {
    expect(fillRootless("{root[work]}\\Proj\\a.ma", { work: "C:/projects" })).toBe("C:/projects/Proj/a.ma");
  });

  it("returns the root itself for a bare placeholder", () => {
    expect(fillRootless("{root[work]}", roots)).toBe("/mnt/share/projects");
  });

  it("drops . segments and empty segments inside the path", () => {
    expect(fillRootless("{root[work]}/a/./b//c/", roots)).toBe("/mnt/share/projects/a/b/c");
  });

  it("keeps names that only look like escapes", () => {
    expect(fillRootless("{root[work]}/%2e%2e/..a/a../~", roots)).toBe("/mnt/share/projects/%2e%2e/..a/a../~");
  });

  it("names an unknown root and lists the known ones", () => {
    expect(() => fillRootless("{root[render]}/x", roots)).toThrow(
      'unknown root "render" in path "{root[render]}/x"; this site\'s roots: work, cache',
    );
  });

  it.each([
    ["{root[work]}/../etc/passwd", "climb out"],
    ["{root[work]}/a/../../etc", "climb out"],
    ["{root[work]}\\..\\secret", "climb out"],
    ["{root[work]}/a\\..\\..\\b", "climb out"],
    ["{root[work]}/.../x", "climb out"],
    ["{root[work]}/.. /x", "climb out"],
    ["{root[work]}//etc", "absolute or UNC"],
    ["{root[work]}\\\\server\\share", "absolute or UNC"],
    ["{root[work]}/\\server", "absolute or UNC"],
    ["{root[work]}/C:/x", "drive letter"],
    ["{root[work]}/a/D:", "drive letter"],
    ["{root[work]}/file.txt:stream", "drive letter"],
    ["{root[work]}/a\0b", "NUL"],
    ["/etc/passwd", "must start with a root placeholder"],
    ["Proj/{root[work]}/x", "must start with a root placeholder"],
    ["{root[work]}/x/{root[work]}/y", "only appear at the start"],
    ["{root[work]}x", "followed by a separator"],
    ["", "must start with a root placeholder"],
  ])("refuses %j (%s)", (rootless, reason) => {
    let caught: unknown;
    try {
      fillRootless(rootless, roots);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PathError);
    expect((caught as PathError).message).toContain(reason);
    expect((caught as PathError).message).toContain(`refusing path "${rootless.replaceAll("\0", "\\0")}"`);
  });
});

describe("toRootless", () => {
  const site = { work: "/mnt/proj", projects: "/mnt/projects", deep: "/mnt/projects/Proj/publish" };

  it("replaces the root with its placeholder", () => {
    expect(toRootless("/mnt/proj/Proj/a.ma", site)).toBe("{root[work]}/Proj/a.ma");
  });

  it("matches whole segments only", () => {
    expect(toRootless("/mnt/projects/x", site)).toBe("{root[projects]}/x");
    expect(toRootless("/mnt/projx/x", site)).toBeNull();
  });

  it("prefers the longest root that contains the path", () => {
    expect(toRootless("/mnt/projects/Proj/publish/v001/a.ma", site)).toBe("{root[deep]}/v001/a.ma");
  });

  it("returns the bare placeholder for the root itself", () => {
    expect(toRootless("/mnt/proj", site)).toBe("{root[work]}");
    expect(toRootless("/mnt/proj/", site)).toBe("{root[work]}");
  });

  it("returns null for a path under no root", () => {
    expect(toRootless("/home/artist/x.ma", site)).toBeNull();
  });

  it("compares Windows roots case-insensitively with backslashes as slashes", () => {
    const windows = { work: "C:\\Projects\\" };
    expect(toRootless("c:/projects/Proj\\Scene.ma", windows)).toBe("{root[work]}/Proj/Scene.ma");
    expect(toRootless("C:\\PROJECTS\\a", windows)).toBe("{root[work]}/a");
    expect(toRootless("C:\\ProjectsX\\a", windows)).toBeNull();
  });

  it("compares POSIX roots case-sensitively", () => {
    expect(toRootless("/MNT/proj/a", site)).toBeNull();
  });

  it("handles a root of /", () => {
    expect(toRootless("/x/y", { all: "/" })).toBe("{root[all]}/x/y");
  });

  it("resolves .. inside the root and returns null when it leaves the root", () => {
    expect(toRootless("/mnt/proj/a/../b", site)).toBe("{root[work]}/b");
    expect(toRootless("/mnt/proj/../etc", site)).toBeNull();
  });
});
