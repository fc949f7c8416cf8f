/** Pieces every view uses: statuses with their progress bar, sizes, versions, banners, action forms. */
import { type SyncStatus, statusName } from "../../store/status.js";
import type { Pauses, SiteProblem } from "../data.js";
import { type Html, html, raw } from "../html.js";

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A hero version is stored as minus its source version. */
export function versionText(version: number): string {
  return version < 0 ? "hero" : `v${String(version).padStart(3, "0")}`;
}

/** A status in words and colour (never colour alone), with a bar of the bytes there. */
export function statusCell(status: SyncStatus, size: number, totalSize: number, label: string): Html {
  const name = statusName(status);
  const total = Math.max(totalSize, 0);
  const done = name === "OK" ? total : Math.min(size, total);
  const percent = total > 0 ? Math.floor((done / total) * 100) : name === "OK" ? 100 : 0;
  const bar =
    name === "NA"
      ? raw("")
      : html`<progress max="${total || 1}" value="${total ? done : name === "OK" ? 1 : 0}" aria-label="${label}: ${name}, ${percent}%"></progress>`;
  return html`<span class="status s-${name.toLowerCase()}" data-status="${name}">${name}</span>${name === "NA" ? "" : html`<span class="pct">${percent}%</span>`}${bar}`;
}

export function banners(problems: readonly SiteProblem[], pauses: Pauses, project: string): Html {
  return html`${problems.map(
    (p) =>
      html`<div class="banner problem" role="alert"><strong>Site ${p.site} cannot be used:</strong> ${p.reason}</div>`,
  )}${pauses.service ? html`<div class="banner paused" role="status"><strong>Paused:</strong> the sync service (nothing syncs until it is unpaused).</div>` : ""}${
    pauses.project
      ? html`<div class="banner paused" role="status"><strong>Paused:</strong> project ${project}.</div>`
      : ""
  }`;
}

/**
 * A stable id for an action's button: when a live refresh replaces the table,
 * htmx puts the keyboard focus back on the element with the same id, so a
 * keyboard user is not thrown to the top of the page every few hundred ms.
 */
function buttonId(fields: Record<string, string | number | undefined>): string {
  const parts = [fields.action, fields.representation ?? fields.project, fields.site].filter(
    (p) => p !== undefined,
  );
  return `act-${parts.join("-").replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** A one-button form that posts an action; its result lands in #result. */
export function actionForm(
  fields: Record<string, string | number | undefined>,
  button: { text: string; label: string; kind?: "danger" | "quiet" },
  extra: Html = raw(""),
): Html {
  return html`<form class="act" method="post" action="/action" hx-post="/action" hx-target="#result" hx-swap="innerHTML">${Object.entries(
    fields,
  )
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) => html`<input type="hidden" name="${k}" value="${String(v)}">`,
    )}${extra}<button type="submit" id="${buttonId(fields)}" class="${button.kind ?? ""}" aria-label="${button.label}">${button.text}</button></form>`;
}
