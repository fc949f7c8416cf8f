import os from "node:os";
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../lib/errors.js";
import { localDriveFactory } from "../../providers/local-drive.js";
import type { ProviderFactory, SiteProvider } from "../../providers/provider.js";
import {
  BATCH_LIMITS,
  batchLimitOf,
  createProvider,
  getProviderFactory,
  registeredKinds,
  registerProvider,
} from "../../providers/registry.js";

/** A do-nothing provider; only the registry's bookkeeping is under test here. */
function fakeFactory(kind: string, batchLimit = 5, reportedKind = kind): ProviderFactory<{ tag: string }> {
  return {
    kind,
    batchLimit,
    create: (context) =>
      ({
        kind: reportedKind,
        siteName: context.siteName,
        capabilities: { hashes: [] },
        tag: context.config.tag,
      }) as unknown as SiteProvider,
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("provider registry", () => {
  it("exports AYON's upstream batch limits", () => {
    expect(BATCH_LIMITS).toEqual({ local_drive: 50, sftp: 20, rclone: 20, dropbox: 10, gdrive: 7 });
  });

  it("has local_drive built in, with the upstream batch limit", () => {
    expect(registeredKinds()).toContain("local_drive");
    expect(getProviderFactory("local_drive")).toBe(localDriveFactory);
    expect(batchLimitOf("local_drive")).toBe(BATCH_LIMITS.local_drive);
  });

  it("registers the built-in kinds with AYON's batch limits, and no kind it does not have", () => {
    expect(registeredKinds()).toEqual(expect.arrayContaining(["local_drive", "sftp", "gdrive", "dropbox"]));
    expect(batchLimitOf("sftp")).toBe(20);
    expect(batchLimitOf("gdrive")).toBe(7);
    expect(batchLimitOf("dropbox")).toBe(10);
    expect(registeredKinds()).not.toContain("onedrive");
    expect(() => batchLimitOf("onedrive")).toThrow(ProviderError);
  });

  it("creates a local_drive provider for a site from its context", () => {
    const provider = createProvider("local_drive", {
      siteName: "studio",
      config: {},
      roots: { work: os.tmpdir() },
    });
    expect(provider.kind).toBe("local_drive");
    expect(provider.siteName).toBe("studio");
    expect(provider.rootPaths()).toEqual({ work: os.tmpdir() });
  });

  it("fails permanently on an unknown kind, naming it and listing the registered kinds", () => {
    const error = thrown(() => getProviderFactory("ftp"));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as Error).message).toContain('"ftp"');
    expect((error as Error).message).toContain(registeredKinds().join(", "));
    expect(() => createProvider("ftp", { siteName: "x", config: {}, roots: {} })).toThrow(
      /unknown provider kind/,
    );
  });

  it("registers a custom kind, passing the context through to its factory", () => {
    registerProvider(fakeFactory("custom_a", 3));
    expect(registeredKinds()).toContain("custom_a");
    expect(batchLimitOf("custom_a")).toBe(3);
    const provider = createProvider("custom_a", { siteName: "s", config: { tag: "t1" }, roots: {} });
    expect(provider).toMatchObject({ kind: "custom_a", siteName: "s", tag: "t1" });
  });

  it("lists registered kinds sorted", () => {
    registerProvider(fakeFactory("zz_last"));
    registerProvider(fakeFactory("aa_first"));
    const kinds = registeredKinds();
    expect(kinds).toEqual([...kinds].sort());
  });

  it("refuses a second registration of the same kind unless replace is asked", () => {
    registerProvider(fakeFactory("custom_dup", 4));
    const error = thrown(() => registerProvider(fakeFactory("custom_dup", 9)));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toContain('"custom_dup" is already registered');
    expect(batchLimitOf("custom_dup")).toBe(4);

    registerProvider(fakeFactory("custom_dup", 9), { replace: true });
    expect(batchLimitOf("custom_dup")).toBe(9);
  });

  it("refuses to replace local_drive by accident", () => {
    expect(() => registerProvider(fakeFactory("local_drive"))).toThrow(/already registered/);
    expect(getProviderFactory("local_drive")).toBe(localDriveFactory);
  });

  it("rejects a factory with an empty kind or a batch limit below 1", () => {
    expect(() => registerProvider(fakeFactory(""))).toThrow(ProviderError);
    expect(() => registerProvider(fakeFactory(" padded "))).toThrow(ProviderError);
    expect(() => registerProvider(fakeFactory("custom_zero", 0))).toThrow(/batch limit 0/);
    expect(() => registerProvider(fakeFactory("custom_frac", 2.5))).toThrow(/batch limit 2.5/);
    expect(registeredKinds()).not.toContain("custom_zero");
  });

  it("refuses a provider whose kind differs from the kind it was registered under", () => {
    registerProvider(fakeFactory("custom_liar", 5, "something_else"));
    expect(() => createProvider("custom_liar", { siteName: "s", config: { tag: "" }, roots: {} })).toThrow(
      /created a provider of kind "something_else"/,
    );
  });
});
