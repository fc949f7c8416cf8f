import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactSecrets } from "../../lib/log.js";

/** A stream that keeps what the logger wrote. */
function capture(): { destination: Writable; text: () => string } {
  let out = "";
  const destination = new Writable({
    write(chunk, _encoding, done) {
      out += chunk;
      done();
    },
  });
  return { destination, text: () => out };
}

/**
 * The JSON records written. Typed loosely on purpose: each test reads the
 * record by the path it logged, and a wrong path fails the assertion anyway.
 */
// biome-ignore lint/suspicious/noExplicitAny: log records are arbitrary JSON read by path.
const records = (out: string): any[] =>
  out
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));

/** pino-pretty writes through a stream pipeline: its line lands a few ticks after the call. */
async function settled(text: () => string): Promise<string> {
  for (let i = 0; i < 100 && !text().includes("\n"); i++) await new Promise((r) => setTimeout(r, 5));
  return text();
}

describe("structured logs", () => {
  it("redacts every secret key wherever it appears in a log line", () => {
    const { destination, text } = capture();
    const logger = createLogger({ destination, format: "json" });
    logger.info(
      {
        site: {
          name: "sftp",
          sftp: { sftp_host: "files", sftp_pass: "hunter2", sftp_key_pass: "open-sesame" },
        },
        dropbox: { token: "sl.AAAA-secret" },
        rclone: { config_web: { config_params: [{ key: "pass", value: "rclone-secret" }] } },
      },
      "site settings",
    );
    const out = text();
    expect(out).toContain('"sftp_host":"files"');
    for (const secret of ["hunter2", "open-sesame", "sl.AAAA-secret", "rclone-secret"])
      expect(out).not.toContain(secret);
    expect(records(out)[0].msg).toBe("site settings");
  });

  it("redacts a secret nested ten levels deep and keeps its siblings", () => {
    const { destination, text } = capture();
    const logger = createLogger({ destination, format: "json" });
    let deep: Record<string, unknown> = { password: "hunter2", user: "artist", port: 2222 };
    for (let level = 9; level >= 1; level--)
      deep = { [`level${level}`]: deep, [`note${level}`]: `kept ${level}` };
    logger.info({ deep }, "deep fields");
    const out = text();
    expect(out).not.toContain("hunter2");
    let record = records(out)[0].deep;
    for (let level = 1; level <= 9; level++) {
      expect(record[`note${level}`]).toBe(`kept ${level}`);
      record = record[`level${level}`];
    }
    expect(record).toEqual({ password: "[redacted]", user: "artist", port: 2222 });
    expect(records(out)[0].msg).toBe("deep fields");
  });

  it("redacts the sftp password deep inside project settings handed to a hook", () => {
    const { destination, text } = capture();
    const logger = createLogger({ destination, format: "json" });
    const project_settings = {
      sitesync: {
        enabled: true,
        sites: {
          vendor: {
            provider: "sftp",
            sftp: { sftp_host: "vendor.example", sftp_user: "studio", SFTP_PASS: "hunter2" },
          },
          backup: { provider: "sftp", sftp: { sftp_host: "backup", sftp_pass: "open-sesame" } },
        },
      },
    };
    // A hook logs the settings it got, as a studio hook may, from a child logger too.
    logger.info({ data: { project_name: "Proj", project_settings } }, "hook settings");
    logger.child({ project_settings }).warn("child bindings");
    const out = text();
    expect(out).not.toContain("hunter2");
    expect(out).not.toContain("open-sesame");
    const [first, second] = records(out);
    expect(first.data.project_settings.sitesync.sites.vendor.sftp).toEqual({
      sftp_host: "vendor.example",
      sftp_user: "studio",
      SFTP_PASS: "[redacted]",
    });
    expect(second.project_settings.sitesync.sites.backup.sftp.sftp_host).toBe("backup");
    // The logged object itself is not changed.
    expect(project_settings.sitesync.sites.vendor.sftp.SFTP_PASS).toBe("hunter2");
  });

  it("redacts an error's cause, its own properties and its cause chain", () => {
    const { destination, text } = capture();
    const logger = createLogger({ destination, format: "json" });
    const err = new Error("connection refused", { cause: { config: { password: "hunter2", host: "h" } } });
    const outer = Object.assign(new Error("transfer failed", { cause: err }), {
      request: {
        headers: { Authorization: "Bearer open-sesame" },
        site: { sftp: { sftp_pass: "open-sesame" } },
      },
    });
    logger.error({ err }, "sftp failed");
    logger.error(outer, "outer failed");
    const out = text();
    expect(out).not.toContain("hunter2");
    expect(out).not.toContain("open-sesame");
    const [first, second] = records(out);
    expect(first.msg).toBe("sftp failed");
    expect(first.err).toMatchObject({
      type: "Error",
      message: "connection refused",
      cause: { config: { password: "[redacted]", host: "h" } },
    });
    expect(first.err.stack).toContain("connection refused");
    expect(second.msg).toBe("outer failed");
    expect(second.err).toMatchObject({
      message: "transfer failed",
      request: { headers: { Authorization: "[redacted]" }, site: { sftp: { sftp_pass: "[redacted]" } } },
      cause: { message: "connection refused", cause: { config: { password: "[redacted]" } } },
    });
  });

  it("walks cycles, arrays and shared objects, leaving objects without secrets as they are", () => {
    const cyclic: Record<string, unknown> = { name: "loop", token: "abc" };
    cyclic.self = cyclic;
    const shared = { authorization: "Bearer xyz" };
    const redacted = redactSecrets({ cyclic, list: [shared, shared, { ok: 1 }] }) as {
      cyclic: Record<string, unknown>;
      list: unknown[];
    };
    expect(redacted.cyclic).toEqual({ name: "loop", token: "[redacted]", self: "[Circular]" });
    expect(redacted.list).toEqual([
      { authorization: "[redacted]" },
      { authorization: "[redacted]" },
      { ok: 1 },
    ]);
    const clean = { a: { b: [1, "two", { c: new Date(0) }] } };
    expect(redactSecrets(clean)).toBe(clean);
  });

  it("writes lines for people in the pretty format: level and message, no JSON", async () => {
    const { destination, text } = capture();
    const logger = createLogger({ destination, format: "pretty" });
    logger.warn({ site: "vendor", sftp: { sftp_pass: "hunter2" } }, "host key trusted on first use");
    const out = await settled(text);
    const [line] = out.split("\n");
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: host key trusted on first use$/);
    expect(out).toContain("vendor");
    expect(out).not.toContain('{"');
    expect(out).not.toContain("hunter2");
  });
});
