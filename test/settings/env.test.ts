import { describe, expect, it } from "vitest";
import { expandEnv } from "../../lib/settings/env.js";

describe("{ENV} expansion", () => {
  it("formats environment keys and leaves root placeholders alone", () => {
    expect(expandEnv("{KEYS}/sa.json", "gdrive.credentials_url", { KEYS: "/etc/keys" })).toBe(
      "/etc/keys/sa.json",
    );
    expect(expandEnv("{root[work]}/x", "k", {})).toBe("{root[work]}/x");
  });
  it("names the variable and the key when the variable is not set", () => {
    expect(() => expandEnv("{MISSING_VAR}/key.pem", "sites[sftp].sftp_key", {})).toThrow(
      /sites\[sftp\]\.sftp_key: environment variable \{MISSING_VAR\}/,
    );
  });
});
