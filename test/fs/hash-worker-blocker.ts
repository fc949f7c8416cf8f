import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { sha256File } from "../../lib/fs/hasher.js";
import { tempDir } from "../helpers/tmp.js";

/**
 * Keeps the hash worker busy (hashing a FIFO nobody writes yet), so that the
 * pieces given meanwhile pile up as they would behind a slow hash; `release`
 * ends that hash (empty) and the worker goes on with them.
 */
export function blockHashWorker(): { release: () => Promise<void> } {
  const fifo = path.join(tempDir(), "blocker");
  execFileSync("mkfifo", [fifo]);
  const hashing = sha256File(fifo);
  return {
    release: async () => {
      await (await open(fifo, "w")).close();
      expect(await hashing).toBe(createHash("sha256").digest("hex"));
    },
  };
}

/** A promise with its resolve, for "this has happened" signals between a test's parts. */
export function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
