/**
 * The rclone provider with the real rclone binary, on its `local` backend and
 * on its `sftp` backend against a real OpenSSH sshd, each configured both ways
 * AYON's settings allow (a config file's remote, inline `config_web`). What
 * every provider must do is the conformance suite's (test/providers); here:
 * what is rclone's own, the inline configuration kept off every command line,
 * log and message, and isActive's reasons.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../lib/errors.js";
import type { RcloneConfig } from "../../providers/rclone/settings.js";
import { tempDir } from "../helpers/tmp.js";
import { rcloneBed } from "./bed.js";
import { type ConfigWay, localSite, sftpParams, sftpSite } from "./remotes.js";

const MiB = 1024 * 1024;
const bed = rcloneBed();
const provider = (config: RcloneConfig, root?: string) => bed.provider(config, root);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the promise to reject");
}

const SITES: { backend: "local" | "sftp"; way: ConfigWay }[] = [
  { backend: "local", way: "config_file" },
  { backend: "local", way: "config_web" },
  { backend: "sftp", way: "config_file" },
  { backend: "sftp", way: "config_web" },
];

describe.each(SITES)("rclone's $backend backend, configured by $way", ({ backend, way }) => {
  it("is active, reports the hashes the remote has, and moves small and large files both ways with progress", async () => {
    const root = backend === "local" ? tempDir("sitesync-rclone-root-") : bed.server.root;
    const config =
      backend === "local"
        ? localSite(way, root, bed.dir)
        : sftpSite(way, bed.server, bed.knownHosts, bed.dir);
    const site = provider(config, root);
    expect(await site.isActive()).toEqual({ active: true });
    // The local backend hashes sha256 (the engine checks it); rclone's sftp backend offers md5/sha1 at most.
    expect(site.capabilities.hashes).toEqual(backend === "local" ? ["sha256"] : []);

    const here = tempDir("sitesync-rclone-here-");
    const folder = path.posix.join(root, `${backend}-${way}`, "a", "b");
    await site.mkdirs(folder);
    for (const size of [1000, 20 * MiB + 3]) {
      const data = randomBytes(size);
      writeFileSync(path.join(here, `f${size}`), data);
      const calls: number[] = [];
      const temp = path.posix.join(folder, `.f${size}.part`);
      const put = await site.upload(path.join(here, `f${size}`), temp, {
        direct: true,
        ...(backend === "local" ? { hash: "sha256" } : {}),
        onProgress: (done, total) => {
          expect(total).toBe(size);
          calls.push(done);
        },
      });
      expect(calls[0]).toBe(0);
      expect(calls.at(-1)).toBe(size);
      if (backend === "local") expect(put.hash).toBe(createSha256(data));
      await site.rename(temp, path.posix.join(folder, `f${size}`));
      expect(await site.stat(path.posix.join(folder, `f${size}`))).toMatchObject({
        size,
        isDirectory: false,
      });
      const back = path.join(here, `back${size}`);
      await site.download(path.posix.join(folder, `f${size}`), back, { direct: true, sizeHint: size });
      expect(readFileSync(back).equals(data)).toBe(true);
    }
    expect(await site.list(folder)).toEqual(["f1000", `f${20 * MiB + 3}`]);
    await site.close?.();
  }, 60_000);
});

function createSha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Every process's command line, read from /proc. */
function commandLines(): { pid: string; cmdline: string }[] {
  const out: { pid: string; cmdline: string }[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      out.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`).toString("utf8").split("\0").join(" ") });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

describe("inline configuration (config_web)", () => {
  it("never appears on a command line while a transfer runs; rclone gets it in its environment, the password obscured", async () => {
    // The host by name: its address, 127.0.0.1, is also where rclone's remote control listens.
    const namedHosts = path.join(bed.dir, "known_hosts_by_name");
    writeFileSync(namedHosts, `${bed.server.knownHostsLine.replace("[127.0.0.1]", "[localhost]")}\n`);
    const params = sftpParams(bed.server, namedHosts).map((p) =>
      p.key === "host" ? { ...p, value: "localhost" } : p,
    );
    // A bandwidth limit keeps the copy running for a few seconds, so its process is there to read.
    const config: RcloneConfig = {
      ...sftpSite("config_web", bed.server, namedHosts, bed.dir),
      config_web: { type: "sftp", config_params: params },
      additional_args: ["--bwlimit", "8M"],
    };
    const site = provider(config, bed.server.root);
    const source = path.join(tempDir("sitesync-rclone-secret-"), "big.bin");
    writeFileSync(source, randomBytes(24 * MiB));
    await site.mkdirs(path.posix.join(bed.server.root, "secret"));
    let seen: { pid: string; cmdline: string }[] = [];
    let environ = "";
    await site.upload(source, path.posix.join(bed.server.root, "secret", "big.bin"), {
      onProgress: (done, total) => {
        if (seen.length > 0 || done === 0 || done === total) return;
        seen = commandLines();
        const copy = seen.find((p) => p.cmdline.includes("copyto"));
        if (copy) environ = readFileSync(`/proc/${copy.pid}/environ`).toString("utf8");
      },
    });
    // rclone's own processes (the daemon's watching shell, /bin/sh -c ..., is checked with the rest).
    const rclone = seen.filter((p) => /^\S*rclone (copyto|rcd)\b/.test(p.cmdline));
    // This upload's copy, and the daemon of its site (other tests' daemons may run too).
    expect(new Set(rclone.map((p) => p.cmdline.split(" ")[1]))).toEqual(new Set(["copyto", "rcd"]));
    // Values unique to this test, in every process; the host and port (shared with other
    // workers' servers on this machine) in rclone's own processes.
    const unique = params.filter(({ key }) => key !== "host" && key !== "port").map(({ value }) => value);
    // sshd titles a session's processes with the user logged in ("sshd: <user> [priv]"): the bed.server's words, not ours.
    for (const { cmdline } of seen.filter((p) => !p.cmdline.startsWith("sshd: ")))
      for (const value of unique)
        expect(cmdline.includes(value), `a value of config_params in ${cmdline}`).toBe(false);
    for (const { cmdline } of rclone)
      for (const { value } of params) expect(cmdline.includes(value), `a value in ${cmdline}`).toBe(false);
    const variables = new Map(
      environ
        .split("\0")
        .filter((entry) => entry.startsWith("RCLONE_CONFIG_SITESYNC_"))
        .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
    );
    expect(variables.get("RCLONE_CONFIG_SITESYNC_TYPE")).toBe("sftp");
    expect(variables.get("RCLONE_CONFIG_SITESYNC_USER")).toBe(bed.server.user);
    expect(variables.get("RCLONE_CONFIG_SITESYNC_PASS")).not.toBe(bed.server.password);
    // Obscured, and still the password: the transfer it served logged in with it.
    expect(variables.get("RCLONE_CONFIG_SITESYNC_PASS")).toMatch(/^[\w-]{20,}$/);
    expect((await site.stat(path.posix.join(bed.server.root, "secret", "big.bin")))?.size).toBe(24 * MiB);
  }, 60_000);

  it("keeps a wrong password out of isActive's reason and of a failed upload's error, which is permanent", async () => {
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    const params = sftpParams(bed.server, bed.knownHosts).map((p) =>
      p.key === "pass" ? { ...p, value: wrong } : p,
    );
    const config: RcloneConfig = {
      ...sftpSite("config_web", bed.server, bed.knownHosts, bed.dir),
      config_web: { type: "sftp", config_params: params },
    };
    const site = provider(config, bed.server.root);
    const check = await site.isActive();
    expect(check.active).toBe(false);
    const reason = check.active ? "" : check.reason;
    expect(reason).toContain("unable to authenticate");
    const source = path.join(tempDir("sitesync-rclone-wrong-"), "a.txt");
    writeFileSync(source, "a");
    const error = await rejection(site.upload(source, path.posix.join(bed.server.root, "wrong.txt")));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    for (const text of [reason, error.message, String(error.stack)]) {
      for (const value of [wrong, bed.server.user, String(bed.server.port)])
        expect(text.includes(value)).toBe(false);
    }
  }, 60_000);
});

describe("isActive", () => {
  it("names a missing executable", async () => {
    const site = provider({
      ...localSite("config_web", bed.dir, bed.dir),
      rclone_executable_path: { windows: "", linux: "/nonexistent/rclone", darwin: "/nonexistent/rclone" },
    });
    const check = await site.isActive();
    expect(check).toMatchObject({ active: false });
    expect(check.active ? "" : check.reason).toContain('"/nonexistent/rclone" was not found');
  });

  it("names what is missing from the settings", async () => {
    const noRemote = provider({
      ...localSite("config_file", bed.dir, bed.dir),
      config_file: { remote_name: "", rclone_config_path: { windows: "", linux: "", darwin: "" } },
    });
    expect(await noRemote.isActive()).toEqual({
      active: false,
      reason: expect.stringContaining("remote_name is empty"),
    });
    const noRoot = provider({ ...localSite("config_web", bed.dir, bed.dir), root: "" }, "");
    expect(await noRoot.isActive()).toEqual({
      active: false,
      reason: expect.stringContaining("rclone.root is empty"),
    });
    const badKey = provider({
      ...localSite("config_web", bed.dir, bed.dir),
      config_web: { type: "local", config_params: [{ key: "bad key", value: "x" }] },
    });
    expect(await badKey.isActive()).toEqual({
      active: false,
      reason: expect.stringContaining('"bad key" is not an rclone option name'),
    });
  });

  it("says rclone's reason for a remote missing from the config file and for an unknown backend", async () => {
    const file = localSite("config_file", bed.dir, bed.dir);
    const missing = provider({
      ...file,
      config_file: { ...file.config_file, remote_name: "nosuch" } as never,
    });
    const check = await missing.isActive();
    expect(check.active ? "" : check.reason).toContain("didn't find section in config file");
    const unknown = provider({
      ...localSite("config_web", bed.dir, bed.dir),
      config_web: { type: "nosuchbackend", config_params: [{ key: "x", value: "y" }] },
    });
    const unknownCheck = await unknown.isActive();
    expect(unknownCheck.active ? "" : unknownCheck.reason).toContain('rclone has no backend "nosuchbackend"');
  });

  it("answers inactive, with the reason, for an sftp bed.server nobody listens for", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const params = sftpParams(bed.server, bed.knownHosts).map((p) =>
      p.key === "port" ? { ...p, value: String(port) } : p,
    );
    const site = provider({
      ...sftpSite("config_web", bed.server, bed.knownHosts, bed.dir),
      config_web: { type: "sftp", config_params: params },
    });
    const check = await site.isActive();
    expect(check.active).toBe(false);
    expect(check.active ? "" : check.reason).toContain("connection refused");
  }, 60_000);
});
