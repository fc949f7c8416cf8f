/**
 * The pieces under the rclone provider that need no remote: how a site's
 * settings become the environment of its rclone processes, how site paths
 * become rclone's names, and how progress is read from rclone's JSON log.
 */
import { describe, expect, it } from "vitest";
import { localRc, SitePaths } from "../../providers/rclone/paths.js";
import { bytesFromStatsLine } from "../../providers/rclone/progress.js";
import { prepareSetup, type RcloneConfig } from "../../providers/rclone/settings.js";

const EMPTY = { windows: "", linux: "", darwin: "" };
const inline = (type: string, params: { key: string; value: string }[]): RcloneConfig => ({
  rclone_executable_path: EMPTY,
  config_type: "config_web",
  config_file: { remote_name: "", rclone_config_path: EMPTY },
  config_web: { type, config_params: params },
  root: "/srv",
  additional_args: ["--fast-list"],
});

describe("the setup of a site's rclone processes", () => {
  it("puts inline parameters in RCLONE_CONFIG_SITESYNC_* variables, obscuring what rclone calls a password", async () => {
    const setup = await prepareSetup(
      inline("sftp", [
        { key: "host", value: "files.vendor.example" },
        { key: "pass", value: "s3cret-pass" },
        { key: "key_file_pass", value: "s3cret-phrase" },
      ]),
    );
    expect(setup.remote).toBe("sitesync");
    expect(setup.args).toEqual(["--fast-list"]);
    expect(setup.env.RCLONE_CONFIG).toBe("");
    expect(setup.env.RCLONE_CONFIG_SITESYNC_TYPE).toBe("sftp");
    expect(setup.env.RCLONE_CONFIG_SITESYNC_HOST).toBe("files.vendor.example");
    for (const [key, plain] of [
      ["RCLONE_CONFIG_SITESYNC_PASS", "s3cret-pass"],
      ["RCLONE_CONFIG_SITESYNC_KEY_FILE_PASS", "s3cret-phrase"],
    ] as const) {
      const value = setup.env[key] ?? "";
      expect(value).not.toBe(plain);
      expect(value).toMatch(/^[\w-]{20,}$/);
      expect(setup.secrets).toContain(value);
    }
    expect(setup.secrets).toEqual(
      expect.arrayContaining(["files.vendor.example", "s3cret-pass", "s3cret-phrase"]),
    );
  });

  it("leaves options that are not passwords as written (webdav's user, s3's keys)", async () => {
    const setup = await prepareSetup(inline("s3", [{ key: "secret_access_key", value: "abc/def" }]));
    expect(setup.env.RCLONE_CONFIG_SITESYNC_SECRET_ACCESS_KEY).toBe("abc/def");
  });

  it("points a config file's remote at its file through RCLONE_CONFIG, and its own name", async () => {
    const setup = await prepareSetup({
      config_type: "config_file",
      config_file: {
        remote_name: "studio-s3",
        rclone_config_path: { windows: "", linux: "/etc/rclone.conf", darwin: "/etc/rclone.conf" },
      },
      root: "bucket/sitesync",
    });
    expect(setup).toMatchObject({
      remote: "studio-s3",
      env: { RCLONE_CONFIG: "/etc/rclone.conf" },
      secrets: [],
    });
  });
});

describe("site paths as rclone names them", () => {
  it("names every path inside the root against the root's file system, one per site", () => {
    const paths = new SitePaths("vendor", "/srv/sitesync/");
    expect(paths.spec("/srv/sitesync/Proj/a.ma")).toBe("vendor:/srv/sitesync/Proj/a.ma");
    expect(paths.rc("/srv/sitesync/Proj/a.ma")).toEqual({ fs: "vendor:/srv/sitesync", remote: "Proj/a.ma" });
    expect(paths.rc("/srv/sitesync")).toEqual({ fs: "vendor:/srv/sitesync", remote: "" });
    // Not under the root (a sibling sharing its prefix): its own folder.
    expect(paths.rc("/srv/sitesync2/x")).toEqual({ fs: "vendor:/srv/sitesync2", remote: "x" });
    expect(new SitePaths("s3", "bucket/dir").rc("bucket/dir/a/b")).toEqual({
      fs: "s3:bucket/dir",
      remote: "a/b",
    });
  });

  it("names a path of this machine from its drive's root", () => {
    expect(localRc("/tmp/x/y.bin")).toEqual({ fs: "/", remote: "tmp/x/y.bin" });
  });
});

describe("progress from rclone's JSON log", () => {
  it("reads stats.bytes of a stats line and nothing from other lines", () => {
    expect(bytesFromStatsLine('{"level":"notice","msg":"x","stats":{"bytes":1048576,"totalBytes":4}}')).toBe(
      1048576,
    );
    expect(bytesFromStatsLine('{"level":"info","msg":"Copied (new)"}')).toBeUndefined();
    expect(bytesFromStatsLine('{"stats": broken')).toBeUndefined();
    expect(bytesFromStatsLine("2024/01/02 NOTICE: plain text")).toBeUndefined();
  });
});
