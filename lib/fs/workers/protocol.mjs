// @ts-check
/**
 * The side of a job worker (../job-worker.ts) that runs in the thread: each
 * message is a numbered job, answered once with its result or its error.
 * Shared by the hash worker and the copy workers, whose code is plain
 * JavaScript so that it runs as a worker both from the TypeScript sources
 * (Node cannot start a .ts worker) and from the build; tsc checks it through
 * these JSDoc types and emits it next to the compiled lib/fs.
 */
import { parentPort } from "node:worker_threads";

/** @typedef {{ message: string; code?: string }} JobError A job's error as it crosses threads: its message and its Node `code`. */
/** @typedef {{ id: number; result?: unknown; error?: JobError }} Answer What a worker posts back for each job. */
/** @typedef {{ id: number; op: string; [key: string]: unknown }} Request A job as a worker receives it. */

/**
 * `error` (anything thrown) as it can cross to the main thread.
 * @param {unknown} error
 * @returns {JobError}
 */
export function jobError(error) {
  const { message, code } = /** @type {{ message?: unknown; code?: unknown }} */ (error ?? {});
  return { message: String(message), ...(typeof code === "string" ? { code } : {}) };
}

/**
 * The thread's port to its owner; a worker module run any other way stops here.
 * @returns {import("node:worker_threads").MessagePort}
 */
export function ownerPort() {
  if (!parentPort)
    throw new Error("this module runs as a worker thread (lib/fs/job-worker.ts), not on its own");
  return parentPort;
}
