// `npm run build`: copies the status page's assets next to the built server
// (dist/lib/dashboard/assets/), so the package serves them with no CDN and no
// node_modules lookup at run time (htmx is a dev dependency: bundled here).
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const out = path.join(root, "dist/lib/dashboard/assets");
const require = createRequire(import.meta.url);
mkdirSync(out, { recursive: true });
copyFileSync(path.join(here, "assets/style.css"), path.join(out, "style.css"));
copyFileSync(require.resolve("htmx.org/dist/htmx.min.js"), path.join(out, "htmx.min.js"));
copyFileSync(require.resolve("htmx-ext-sse/dist/sse.min.js"), path.join(out, "sse.min.js"));
