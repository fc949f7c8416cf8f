/**
 * Where a dropbox site's requests go, and the `fetch` handed to the SDK.
 * dropbox 10.34 always builds `https://api.dropboxapi.com/2/...` and
 * `https://content.dropboxapi.com/2/...` URLs (its `domain` option only
 * changes the host name), so this fetch rewrites them to
 * SITESYNC_DROPBOX_API_URL and SITESYNC_DROPBOX_CONTENT_URL: for tests
 * against an emulator and for studios behind a proxy. It also carries the
 * transfer's AbortSignal (the SDK's calls take none), lets a request body be
 * a stream (progress while bytes go out), and gives responses node-fetch's
 * `buffer()`, which the SDK's download parsing calls and Node's fetch lacks.
 */

export const API_URL_VARIABLE = "SITESYNC_DROPBOX_API_URL";
export const CONTENT_URL_VARIABLE = "SITESYNC_DROPBOX_CONTENT_URL";

const API = "https://api.dropboxapi.com";
const CONTENT = "https://content.dropboxapi.com";

export interface DropboxBases {
  /** api.dropboxapi.com or its replacement, without a trailing slash: RPC routes and /oauth2/token. */
  api: string;
  /** content.dropboxapi.com or its replacement: uploads and downloads. */
  content: string;
}

const trimmed = (url: string) => url.replace(/\/+$/, "");

export function dropboxBases(env: NodeJS.ProcessEnv = process.env): DropboxBases {
  return {
    api: trimmed(env[API_URL_VARIABLE] || API),
    content: trimmed(env[CONTENT_URL_VARIABLE] || CONTENT),
  };
}

/** The URL the request really goes to. */
export function rewrite(url: string, bases: DropboxBases): string {
  if (url.startsWith(`${API}/`)) return bases.api + url.slice(API.length);
  if (url.startsWith(`${CONTENT}/`)) return bases.content + url.slice(CONTENT.length);
  return url;
}

export type SdkFetch = (url: string, init?: RequestInit) => Promise<Response & { buffer(): Promise<Buffer> }>;

/** The fetch for one call: rewritten URL, the caller's signal, stream bodies allowed. */
export function sdkFetch(bases: DropboxBases, signal?: AbortSignal): SdkFetch {
  return async (url, init = {}) => {
    const streamed = init.body instanceof ReadableStream;
    const response = await fetch(rewrite(url, bases), {
      ...init,
      ...(streamed ? ({ duplex: "half" } as RequestInit) : {}),
      ...(signal ? { signal } : {}),
    });
    return Object.assign(response, {
      buffer: async () => Buffer.from(await response.arrayBuffer()),
    });
  };
}

/** Dropbox's JSON in a header (Dropbox-API-Arg): non-ASCII escaped, as the SDK does. */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A request body of `bytes` sent in `piece`-sized parts, calling `onSent` as each leaves. */
export function streamOf(
  bytes: Buffer,
  piece: number,
  onSent: (sent: number) => void,
): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytes.length) {
        controller.close();
        return;
      }
      const part = bytes.subarray(sent, sent + piece);
      sent += part.length;
      controller.enqueue(part);
      onSent(sent);
    },
  });
}
