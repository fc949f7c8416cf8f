/**
 * Provider factories by kind, the name a site's `provider` key holds in
 * settings. `local_drive` is built in; other kinds (and studios' own
 * providers) register themselves with `registerProvider` before the engine
 * creates providers. See providers/README.md.
 */
import { ProviderError } from "../lib/errors.js";
import { dropboxFactory } from "./dropbox/index.js";
import { gdriveFactory } from "./gdrive/index.js";
import { localDriveFactory } from "./local-drive.js";
import type { ProviderContext, ProviderFactory, SiteProvider } from "./provider.js";
import { rcloneFactory } from "./rclone/index.js";
import { sftpFactory } from "./sftp/index.js";

export { BATCH_LIMITS, type UpstreamProviderKind } from "./provider.js";

const factories = new Map<string, ProviderFactory<unknown>>();

/**
 * Makes a provider kind available to settings. Registering a kind twice is an
 * error (two modules fighting over one name is a bug to surface, not to
 * resolve by load order) unless `replace` says the override is meant.
 */
export function registerProvider<Config>(
  factory: ProviderFactory<Config>,
  options: { replace?: boolean } = {},
): void {
  const { kind, batchLimit } = factory;
  if (typeof kind !== "string" || kind.trim() === "" || kind !== kind.trim()) {
    throw new ProviderError(
      `a provider kind must be a non-empty name without surrounding spaces, got "${kind}"`,
      false,
    );
  }
  if (!Number.isInteger(batchLimit) || batchLimit < 1) {
    throw new ProviderError(
      `provider "${kind}" has batch limit ${batchLimit}; it must be a whole number >= 1`,
      false,
    );
  }
  if (factories.has(kind) && !options.replace) {
    throw new ProviderError(
      `provider kind "${kind}" is already registered; pass { replace: true } to override it`,
      false,
    );
  }
  factories.set(kind, factory as ProviderFactory<unknown>);
}

/** Registered kinds, sorted. */
export function registeredKinds(): string[] {
  return [...factories.keys()].sort();
}

export function getProviderFactory(kind: string): ProviderFactory<unknown> {
  const factory = factories.get(kind);
  if (factory) return factory;
  const known = registeredKinds();
  throw new ProviderError(
    `unknown provider kind "${kind}"; registered kinds: ${known.length ? known.join(", ") : "(none)"}. ` +
      "Check the site's `provider` in settings, or call registerProvider() for a custom provider first",
    false,
  );
}

/** How many representations one engine pass takes for sites of this kind: its factory's `batchLimit`, the only source. */
export function batchLimitOf(kind: string): number {
  return getProviderFactory(kind).batchLimit;
}

export function createProvider<Config = unknown>(
  kind: string,
  context: ProviderContext<Config>,
): SiteProvider {
  const provider = getProviderFactory(kind).create(context);
  // A factory answering for another kind would make settings lie about which code runs.
  if (provider.kind !== kind) {
    throw new ProviderError(`the factory for "${kind}" created a provider of kind "${provider.kind}"`, false);
  }
  return provider;
}

registerProvider(localDriveFactory);
registerProvider(sftpFactory);
registerProvider(gdriveFactory);
registerProvider(dropboxFactory);
registerProvider(rcloneFactory);
