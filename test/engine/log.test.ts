import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../lib/log.js";

describe("structured logs", () => {
  it("redacts every secret key wherever it appears in a log line", () => {
    let out = "";
    const destination = new Writable({
      write(chunk, _encoding, done) {
        out += chunk;
        done();
      },
    });
    const logger = createLogger({ destination });
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
    expect(out).toContain('"sftp_host":"files"');
    for (const secret of ["hunter2", "open-sesame", "sl.AAAA-secret", "rclone-secret"])
      expect(out).not.toContain(secret);
    expect(JSON.parse(out).msg).toBe("site settings");
  });
});
