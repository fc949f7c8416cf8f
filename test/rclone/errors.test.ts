/**
 * How rclone's failures become ProviderErrors: the exit code and the words of
 * its message say whether retrying helps, and no configured value survives in
 * the reason.
 */
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../lib/errors.js";
import {
  asProviderError,
  classify,
  lastMessage,
  RcloneFailure,
  redactor,
} from "../../providers/rclone/errors.js";

describe("rclone failures", () => {
  it("reads rclone's documented exit codes when the message says nothing more", () => {
    expect(classify("", 1)).toBe("permanent");
    expect(classify("", 2)).toBe("retryable");
    expect(classify("", 3)).toBe("missing");
    expect(classify("", 4)).toBe("missing");
    expect(classify("", 5)).toBe("retryable");
    expect(classify("", 6)).toBe("permanent");
    expect(classify("", 7)).toBe("permanent");
    expect(classify("", 8)).toBe("retryable");
    expect(classify("", 9)).toBe("retryable");
  });

  it("lets the message override the code: a refused connection is worth retrying even as a usage error (exit 1)", () => {
    const refused =
      'Failed to create file system for "v:/srv": NewFs: couldn\'t connect SSH: dial tcp ***:***: connect: connection refused';
    expect(classify(refused, 1)).toBe("retryable");
    expect(
      classify("ssh: handshake failed: ssh: unable to authenticate, attempted methods [none password]", 1),
    ).toBe("permanent");
    expect(classify('didn\'t find section in config file ("nosuch")', 1)).toBe("permanent");
    expect(classify("mkdir /srv/a.bin: not a directory", undefined, 500)).toBe("permanent");
    expect(classify("write /srv/x: no space left on device", 2)).toBe("permanent");
    expect(classify("object not found", undefined, 404)).toBe("missing");
    expect(classify("error in ListJSON: directory not found", undefined, 404)).toBe("missing");
    expect(classify("something odd", undefined, 500)).toBe("retryable");
    expect(classify("bad request", undefined, 400)).toBe("permanent");
  });

  it("takes the last error line of rclone's log, JSON or text, skipping notices and stats", () => {
    const json = [
      '{"level":"notice","msg":"Config file not found - using defaults","time":"t"}',
      '{"level":"error","msg":"Attempt 1/1 failed with 1 errors and: directory not found","time":"t"}',
      '{"level":"notice","msg":"\\nTransferred: 0 B","stats":{"bytes":0},"time":"t"}',
    ].join("\n");
    expect(lastMessage(json)).toBe("Attempt 1/1 failed with 1 errors and: directory not found");
    const text = [
      "2024/01/02 03:04:05 NOTICE: Config file not found - using defaults",
      "2024/01/02 03:04:05 ERROR : a.bin: Failed to copy: permission denied",
      "2024/01/02 03:04:05 Failed to copyto: permission denied",
    ].join("\n");
    expect(lastMessage(text)).toBe("Failed to copyto: permission denied");
    expect(lastMessage("")).toBe("");
  });

  it("hides every configured value, longest first, wherever it appears", () => {
    const redact = redactor(["hunter2", "hunter22", "", "vendor.example"]);
    expect(redact("ssh vendor.example: password hunter22 and hunter2 rejected")).toBe(
      "ssh ***: password *** and *** rejected",
    );
  });

  it("makes a ProviderError naming what was done and the site, retryable only when rclone's failure is", () => {
    const permanent = asProviderError(
      new RcloneFailure("permission denied", "permanent"),
      "uploading a to b",
      "vendor",
    );
    expect(permanent).toBeInstanceOf(ProviderError);
    expect(permanent.retryable).toBe(false);
    expect(permanent.message).toBe("rclone: uploading a to b on site vendor failed: permission denied");
    expect(asProviderError(new RcloneFailure("object not found", "missing"), "x", "v").retryable).toBe(false);
    expect(asProviderError(new RcloneFailure("connection reset", "retryable"), "x", "v").retryable).toBe(
      true,
    );
  });
});
