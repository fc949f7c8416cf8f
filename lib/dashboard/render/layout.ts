/** The page around every view: head, assets, the project switch and the place action results land. */
import { type Html, html, raw } from "../html.js";

/**
 * htmx's settings: no inline indicator styles and no eval (the page's
 * Content-Security-Policy allows neither), and a refused action's 400 or 409
 * is swapped into the page like a result, so its message shows.
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "4..", swap: true, error: false },
    { code: "...", swap: true, error: true },
  ],
});

export function layout(
  title: string,
  projects: readonly string[],
  current: string | undefined,
  body: Html,
): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title}</title>
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/htmx.min.js" defer></script>
<script src="/assets/sse.min.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to the table</a>
<header class="top">
  <h1>sitesync <span class="sub">status</span></h1>
  ${projectSwitch(projects, current)}
</header>
<main id="main">
${body}
</main>
</body>
</html>`;
}

function projectSwitch(projects: readonly string[], current: string | undefined): Html {
  if (projects.length === 0) return raw("");
  return html`<form class="project-switch" method="get" action="/">
    <label for="project-switch">Project</label>
    <select id="project-switch" name="project">
      ${projects.map((p) => html`<option value="${p}"${p === current ? raw(" selected") : ""}>${p}</option>`)}
    </select>
    <button type="submit">Open</button>
  </form>`;
}

/** An error page or fragment body: what went wrong, in words, with a way back. */
export function problemBox(message: string): Html {
  return html`<div class="result error" role="alert"><strong>Refused:</strong> ${message}</div>`;
}
