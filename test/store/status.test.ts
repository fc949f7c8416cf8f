import { describe, expect, it } from "vitest";
import { overallStatus, SyncStatus } from "../../lib/store/status.js";

const { NA, IN_PROGRESS, QUEUED, FAILED, PAUSED, OK } = SyncStatus;

describe("overallStatus", () => {
  it("is NA when every file is NA or there are no files", () => {
    expect(overallStatus([NA, NA])).toBe(NA);
    expect(overallStatus([])).toBe(NA);
  });
  it("is OK only when every file is OK", () => {
    expect(overallStatus([OK, OK])).toBe(OK);
    expect(overallStatus([OK, QUEUED])).toBe(QUEUED);
  });
  it("ranks FAILED over IN_PROGRESS over PAUSED over QUEUED", () => {
    expect(overallStatus([OK, QUEUED, PAUSED, IN_PROGRESS, FAILED])).toBe(FAILED);
    expect(overallStatus([OK, QUEUED, PAUSED, IN_PROGRESS])).toBe(IN_PROGRESS);
    expect(overallStatus([OK, QUEUED, PAUSED])).toBe(PAUSED);
    expect(overallStatus([NA, OK, QUEUED])).toBe(QUEUED);
  });
});
