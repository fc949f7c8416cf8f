/**
 * A plain HTTP proxy in front of the Drive emulator, standing for a studio's
 * proxy (SITESYNC_GDRIVE_API_URL points at it), that can hold a resumable
 * upload part way: a chunk starting at or past `holdFrom` is read and never
 * answered, so a test can kill the uploading process at a known point with
 * no race. It records every chunk's `Content-Range`.
 */
import { createServer, request } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface SessionPut {
  uploadId: string;
  /** The request's Content-Range: `bytes a-b/total`, or `bytes * /total` for a status query. */
  range: string;
}

export interface HoldingProxy {
  /** "http://127.0.0.1:PORT/", the base URL to give the provider. */
  url: string;
  /** Every PUT to an upload session that passed through, in order. */
  puts: SessionPut[];
  /** Holds chunks that start at `offset` or later; resolves when the first one arrives. */
  holdFrom(offset: number): Promise<void>;
  /** Stops holding and drops the held connections. */
  release(): void;
  close(): Promise<void>;
}

export async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  const upstream = new URL(target);
  const puts: SessionPut[] = [];
  const held = new Set<Socket>();
  let hold: { offset: number; arrived: () => void } | undefined;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const uploadId = url.searchParams.get("upload_id");
    if (req.method === "PUT" && uploadId !== null) {
      const range = String(req.headers["content-range"] ?? "");
      puts.push({ uploadId, range });
      const start = /^bytes (\d+)-/.exec(range)?.[1];
      if (hold && start !== undefined && Number(start) >= hold.offset) {
        held.add(req.socket);
        req.resume();
        hold.arrived();
        return;
      }
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const release = () => {
    hold = undefined;
    for (const socket of held) socket.destroy();
    held.clear();
  };
  return {
    url,
    puts,
    holdFrom(offset) {
      return new Promise<void>((arrived) => {
        hold = { offset, arrived };
      });
    },
    release,
    close() {
      release();
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
