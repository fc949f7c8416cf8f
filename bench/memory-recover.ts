/**
 * Start-up recovery alone, for bench/memory.ts: opens the home given as the
 * only argument, runs `recoverInterrupted` as a starting service does first,
 * and prints its result as JSON. The service itself cannot be measured for
 * this: it goes on to sync and then waits for work.
 */
import { openContext } from "../lib/context.js";
import { SyncEngine } from "../lib/engine/engine.js";
import { recoverInterrupted } from "../lib/engine/recover.js";

const home = process.argv[2];
if (!home) throw new Error("usage: memory-recover.js <home>");
const context = await openContext({ home });
try {
  const engine = new SyncEngine({
    store: context.store,
    settings: context.settings,
    ownSite: context.siteId,
    platform: context.platform,
  });
  console.log(JSON.stringify(await recoverInterrupted(engine)));
} finally {
  await context.store.close();
}
