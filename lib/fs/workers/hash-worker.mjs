// @ts-check
/**
 * The hash worker (../hasher.ts): sha256 of whole files, and of streams whose
 * bytes arrive in batches of pieces handed over (not copied) and handed back.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { jobError, ownerPort } from "./protocol.mjs";

/** @typedef {{ buffer: ArrayBuffer; length: number }} Piece The first `length` bytes of `buffer` are to be hashed. */
/**
 * @typedef {{ id: number; op: "file"; file: string }
 *   | { id: number; op: "update"; stream: number; pieces: Piece[] }
 *   | { id: number; op: "digest"; stream: number }
 *   | { id: number; op: "drop"; stream: number }} HashRequest
 */

const port = ownerPort();
/** The hash state of each stream that has had a batch. @type {Map<number, import("node:crypto").Hash>} */
const hashes = new Map();

/**
 * @param {string} file
 * @returns {string}
 */
function hashFile(file) {
  const hash = createHash("sha256");
  const chunk = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, "r");
  try {
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      hash.update(chunk.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

port.on("message", (/** @type {HashRequest} */ request) => {
  const { id } = request;
  if (request.op === "file") {
    try {
      port.postMessage({ id, result: hashFile(request.file) });
    } catch (error) {
      port.postMessage({ id, error: jobError(error) });
    }
  } else if (request.op === "update") {
    let hash = hashes.get(request.stream);
    if (!hash) {
      hash = createHash("sha256");
      hashes.set(request.stream, hash);
    }
    for (const { buffer, length } of request.pieces) hash.update(new Uint8Array(buffer, 0, length));
    // The memory goes back to its owner, who reuses it for the next pieces.
    const buffers = request.pieces.map((p) => p.buffer);
    port.postMessage({ id, result: buffers }, buffers);
  } else if (request.op === "digest") {
    const hash = hashes.get(request.stream) ?? createHash("sha256");
    hashes.delete(request.stream);
    port.postMessage({ id, result: hash.digest("hex") });
  } else if (request.op === "drop") {
    hashes.delete(request.stream);
  }
});
