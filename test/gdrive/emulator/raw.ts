// Plain bytes on /raw/<key>, outside Drive's API: PUT stores the body as one request brings it, GET sends
// it back, DELETE forgets it; no auth, no metadata, no hashing. bench/gdrive.ts measures the provider's
// uploads and downloads against this floor: the same server, the same bytes, one plain HTTP request.
import { notFound } from "./errors.js";
import { type RequestContext, readBody } from "./http.js";

export async function rawBytes(ctx: RequestContext, store: Map<string, Buffer>, key: string): Promise<void> {
  const method = ctx.req.method ?? "GET";
  if (method === "PUT") {
    const { body, dropped } = await readBody(ctx, false);
    if (dropped) return;
    store.set(key, body);
    ctx.res.writeHead(201, { "content-length": 0 });
    ctx.res.end();
    return;
  }
  const bytes = store.get(key);
  if (bytes === undefined) throw notFound(key);
  if (method === "DELETE") {
    store.delete(key);
    ctx.res.writeHead(204);
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
  ctx.res.end(method === "HEAD" ? undefined : bytes);
}
