/**
 * Drive's resumable upload protocol ("Perform a resumable upload"): a
 * session URI, chunks sent with `Content-Range` and answered 308 with the
 * `Range` Drive holds until the last one, a status query (a `Content-Range`
 * with no bytes) after a cut, and cancelling. upload.ts drives it.
 */
import type { DriveClient, DriveItem } from "./client.js";

/** Drive's granularity: every chunk but the last is a multiple of it. */
export const KiB256 = 256 * 1024;

/** What Drive answers to an upload's last byte (ITEM_FIELDS). */
export type Uploaded = Partial<DriveItem>;

/** `Range: bytes=0-N` of a 308 answer: the bytes Drive holds; none when absent. */
export function acknowledged(range: string | null): number {
  const match = /bytes=0-(\d+)/.exec(range ?? "");
  return match ? Number(match[1]) + 1 : 0;
}

export type Answer = { done: Uploaded } | { acked: number };

/**
 * The session URI Drive answered, on the configured base: Google answers an
 * absolute https://www.googleapis.com/upload/... URI, which behind a studio's
 * proxy (SITESYNC_GDRIVE_API_URL) must go through the proxy like every other
 * request, so a URI on another origin keeps its path and query under the base.
 */
export function sessionUrl(location: string, base: string): string {
  const url = new URL(location, base);
  if (url.origin === new URL(base).origin) return url.href;
  return new URL(`${url.pathname.replace(/^\/+/, "")}${url.search}`, base).href;
}

async function answerOf(response: Response): Promise<Answer> {
  if (response.status === 308) {
    await response.body?.cancel();
    return { acked: acknowledged(response.headers.get("range")) };
  }
  return { done: (await response.json()) as Uploaded };
}

/** Sends `bytes` from `offset`; its body is a stream of 256 KiB pieces so progress moves within a chunk. */
export async function sendChunk(
  client: DriveClient,
  session: string,
  bytes: Buffer,
  offset: number,
  total: number,
  signal: AbortSignal | undefined,
  onSent: (sent: number) => void,
): Promise<Answer> {
  const range =
    bytes.length === 0 ? `bytes */${total}` : `bytes ${offset}-${offset + bytes.length - 1}/${total}`;
  const response = await client.fetch(
    session,
    () => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= bytes.length) {
            controller.close();
            return;
          }
          const piece = bytes.subarray(sent, sent + KiB256);
          sent += piece.length;
          controller.enqueue(piece);
          onSent(sent);
        },
      });
      return {
        method: "PUT",
        headers: { "content-range": range, "content-length": String(bytes.length) },
        body: bytes.length === 0 ? null : body,
        duplex: "half",
      } as RequestInit;
    },
    signal,
    [308],
  );
  return answerOf(response);
}

/** How far the session got (Google's "resume an interrupted upload"). */
export async function askStatus(
  client: DriveClient,
  session: string,
  total: number,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  const response = await client.fetch(
    session,
    () => ({ method: "PUT", headers: { "content-range": `bytes */${total}`, "content-length": "0" } }),
    signal,
    [308],
  );
  return answerOf(response);
}

/** Cancels a session (Google answers 499); best effort, the session expires on its own within a week. */
export async function cancel(client: DriveClient, session: string): Promise<void> {
  await client
    .fetch(session, () => ({ method: "DELETE" }), undefined, [499, 404])
    .then((response) => response.body?.cancel())
    .catch(() => undefined);
}
