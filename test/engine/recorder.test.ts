import { afterEach, describe, expect, it, vi } from "vitest";
import { StateRecorder } from "../../lib/engine/recorder.js";
import type { FileJob } from "../../lib/engine/types.js";
import type { ProjectSites } from "../../lib/settings/sites.js";
import type { SetSiteStateOptions, SiteStateChange, Store } from "../../lib/store/types.js";

const job: FileJob = {
  project: "Proj",
  representationId: "r1",
  file: { id: "f1", name: "a.ma", path: "{root[work]}/a.ma", size: 100, hash: "h", hashType: "op3" },
  direction: "download",
  targetSite: "ws",
  sourceSite: "studio",
  localPath: "/l/a.ma",
  remotePath: "/r/a.ma",
  retries: 0,
};

function recordingStore() {
  const writes: Array<{ site: string; options: SetSiteStateOptions }> = [];
  const store = {
    changeSiteStates: async (_p: string, changes: SiteStateChange[]) => {
      for (const change of changes)
        if (change.op === "set") writes.push({ site: change.site, options: change.options });
      return { conflicts: [], written: changes.length };
    },
  } as unknown as Store;
  return { store, writes };
}

const sites = {
  sites: new Map([
    ["ws", { alternativeSites: ["ws-mirror"] }],
    ["ws-mirror", { alternativeSites: [] }],
  ]),
} as unknown as ProjectSites;

afterEach(() => {
  vi.useRealTimers();
});

describe("state recorder", () => {
  it("writes a file's progress at most every 2 seconds", async () => {
    vi.useFakeTimers();
    const { store, writes } = recordingStore();
    const recorder = new StateRecorder(store, sites);
    await recorder.progress(job, 10, 100, 0);
    await recorder.progress(job, 20, 100, 0);
    vi.advanceTimersByTime(1999);
    await recorder.progress(job, 30, 100, 0);
    // A file that finishes within 2 s of its first bytes never writes progress.
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    await recorder.progress(job, 40, 100, 0);
    vi.advanceTimersByTime(1000);
    await recorder.progress(job, 50, 100, 0);
    vi.advanceTimersByTime(1000);
    await recorder.progress(job, 60, 100, 0);
    expect(writes.map((w) => w.options.files[0]?.size)).toEqual([40, 60]);
    expect(writes.every((w) => w.site === "ws")).toBe(true);
  });

  it("forgets a file's progress clock once the file has settled", async () => {
    vi.useFakeTimers();
    const { store, writes } = recordingStore();
    const recorder = new StateRecorder(store, sites);
    await recorder.progress(job, 10, 100, 0);
    await recorder.finished([{ status: "ok", job, bytes: 100 }]);
    writes.length = 0;
    vi.advanceTimersByTime(5000);
    // Moved again later (a new attempt): its first progress starts a new clock, no write.
    await recorder.progress(job, 10, 100, 0);
    expect(writes).toEqual([]);
  });

  it("forgets a file's progress clock at its last bytes; a later attempt starts a new one", async () => {
    vi.useFakeTimers();
    const { store, writes } = recordingStore();
    const recorder = new StateRecorder(store, sites);
    // A small file: its first progress is its last.
    await recorder.progress(job, 100, 100, 0);
    vi.advanceTimersByTime(5000);
    await recorder.progress(job, 10, 100, 1);
    expect(writes).toEqual([]);
    // A large one: its last bytes are still written once 2 s have passed, and end its clock.
    vi.advanceTimersByTime(2000);
    await recorder.progress(job, 100, 100, 1);
    expect(writes.map((w) => w.options.files[0]?.size)).toEqual([100]);
    vi.advanceTimersByTime(5000);
    await recorder.progress(job, 10, 100, 2);
    expect(writes).toHaveLength(1);
  });

  it("mirrors settled results to alternative sites, but not progress", async () => {
    const { store, writes } = recordingStore();
    const recorder = new StateRecorder(store, sites);
    await recorder.finished([{ status: "ok", job, bytes: 100 }]);
    expect(writes.map((w) => [w.site, w.options.files[0]?.status])).toEqual([
      ["ws", 4],
      ["ws-mirror", 4],
    ]);
  });
});
