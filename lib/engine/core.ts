/**
 * What the engine's own operations (bring.ts, recover.ts) use of a
 * SyncEngine: its settings and its claim, run and event machinery. Internal
 * to lib/engine: a SyncEngine hands it to them, and nothing outside this
 * folder sees it (callers use SyncEngine's public methods).
 */
import type { Platform } from "../anatomy/roots.js";
import type { Settings } from "../settings/load.js";
import type { Store } from "../store/types.js";
import type { SyncPair } from "./pair.js";
import type { EngineEvent, FileJob, FileOutcome } from "./types.js";

export interface ClaimResult {
  jobs: FileJob[];
  /** Claimed but found OK already (another process finished them): not moved again. */
  alreadyDone: FileJob[];
  claimedElsewhere: number;
}

export interface EngineCore {
  store: Store;
  settings: Settings;
  ownSite: string;
  platform: Platform;
  leaseMs: number;
  claim(candidates: FileJob[]): Promise<ClaimResult>;
  run(pair: SyncPair, jobs: FileJob[], signal: AbortSignal, priority?: number): Promise<FileOutcome[]>;
  emit(event: EngineEvent): void;
}
