// Request plumbing shared by the handlers: the per-request context, JSON replies, and reading a body with
// the "cut the connection part way through an upload" fault applied.
import type { IncomingMessage, ServerResponse } from "node:http";

import type { DriveState } from "./state.js";

export interface Faults {
  /** Remaining rate-limited answers; each API request consumes one. */
  rateLimit: { remaining: number; kind: "403" | "429"; retryAfterS: number | undefined };
  /** Cut the next upload body after this many bytes (once). */
  dropUploadAfter: number | undefined;
  /** File ids or request-path prefixes answered with 403 insufficientPermissions. */
  forbidden: Set<string>;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  state: DriveState;
  faults: Faults;
  /** The emulator's base URL, ending in "/". */
  base: string;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The whole body, or, when the drop fault is armed and `upload` is set, the bytes that arrived before the
 * connection was cut (`dropped: true`; the socket is already destroyed and nothing more may be sent).
 */
export async function readBody(
  ctx: RequestContext,
  upload: boolean,
): Promise<{ body: Buffer; dropped: boolean }> {
  const limit = upload ? ctx.faults.dropUploadAfter : undefined;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    if (limit !== undefined && length + chunk.length >= limit) {
      chunks.push(chunk.subarray(0, limit - length));
      ctx.faults.dropUploadAfter = undefined;
      ctx.req.socket.destroy();
      return { body: Buffer.concat(chunks), dropped: true };
    }
    chunks.push(chunk);
    length += chunk.length;
  }
  return { body: Buffer.concat(chunks), dropped: false };
}

export function flag(url: URL, name: string): boolean {
  return url.searchParams.get(name) === "true";
}
