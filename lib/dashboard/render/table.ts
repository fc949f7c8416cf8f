/**
 * The main view: banners, the filters, the counts, the table of
 * representations with their actions, the pager. The part below the filters
 * is a fragment the page re-reads (GET /table) whenever the server says the
 * project changed.
 */

import { statusName } from "../../store/status.js";
import type { SiteSummary, StateRow } from "../../store/types.js";
import type { TableData } from "../data.js";
import type { LiveFile } from "../events.js";
import { type Html, html, queryString, raw } from "../html.js";
import { PAGE_LENGTHS, type SORT_KEYS, type View, viewParams } from "../view.js";
import { actionForm, banners, formatBytes, statusCell, versionText } from "./parts.js";

const STATUS_OPTIONS = ["NA", "QUEUED", "IN_PROGRESS", "OK", "FAILED", "PAUSED"] as const;

export type LiveLookup = (representationId: string, site: string) => ReadonlyMap<string, LiveFile>;

export function tableView(view: View, data: TableData, live: LiveLookup): Html {
  return html`${filters(view)}
<div id="result" class="results" aria-live="polite"></div>
<div hx-ext="sse" sse-connect="/events${queryString({ project: view.project.name })}">
${tableFragment(view, data, live)}
</div>`;
}

function filters(view: View): Html {
  const sites = [...view.sites.sites.keys()];
  const siteSelect = (name: string, label: string, chosen: string) => html`<div class="field">
      <label for="f-${name}">${label}</label>
      <select id="f-${name}" name="${name}">${sites.map(
        (s) => html`<option value="${s}"${s === chosen ? raw(" selected") : ""}>${s}</option>`,
      )}</select></div>`;
  const statusSelect = (name: string, label: string, chosen: number | undefined) => html`<div class="field">
      <label for="f-${name}">${label}</label>
      <select id="f-${name}" name="${name}"><option value="">any</option>${STATUS_OPTIONS.map(
        (s) =>
          html`<option value="${s}"${chosen !== undefined && statusName(chosen) === s ? raw(" selected") : ""}>${s}</option>`,
      )}</select></div>`;
  const text = (name: string, label: string, value: string) => html`<div class="field">
      <label for="f-${name}">${label}</label>
      <input id="f-${name}" name="${name}" type="search" value="${value}"></div>`;
  return html`<form class="filters" method="get" action="/" aria-label="Filters">
  <input type="hidden" name="project" value="${view.project.name}">
  ${siteSelect("local", "Local site", view.localSite)}
  ${siteSelect("remote", "Remote site", view.remoteSite)}
  ${text("folder", "Folder contains", view.folder)}
  ${text("product", "Product contains", view.product)}
  ${text("representation", "Representation", view.representation)}
  ${statusSelect("lstatus", "Local status", view.localStatus)}
  ${statusSelect("rstatus", "Remote status", view.remoteStatus)}
  <div class="field">
    <label for="f-size">Rows a page</label>
    <select id="f-size" name="size">${PAGE_LENGTHS.map(
      (n) => html`<option value="${n}"${n === view.pageLength ? raw(" selected") : ""}>${n}</option>`,
    )}</select></div>
  <input type="hidden" name="sort" value="${view.sort}">
  ${view.desc ? html`<input type="hidden" name="desc" value="1">` : ""}
  <div class="field buttons"><button type="submit">Apply</button> <a href="/${queryString({ project: view.project.name })}">Clear</a></div>
</form>`;
}

/** GET /table: everything that changes while transfers run. */
export function tableFragment(view: View, data: TableData, live: LiveLookup): Html {
  const pages = Math.max(Math.ceil(data.total / view.pageLength), 1);
  return html`<div id="table" hx-get="/table${queryString(viewParams(view))}" hx-trigger="sse:changed" hx-swap="outerHTML">
${banners(data.problems, data.pauses, view.project.name)}
${projectControls(view, data)}
${counts(view, data)}
<div class="scroll">
<table class="reps">
<caption>Representations of ${view.project.name}: local ${view.localSite}, remote ${view.remoteSite}</caption>
<thead><tr>
  ${header(view, "folder", "Folder")}
  ${header(view, "product", "Product")}
  ${header(view, "version", "Version")}
  ${header(view, "representation", "Representation")}
  <th scope="col" class="num">Files</th>
  <th scope="col" class="num">Size</th>
  ${header(view, "localStatus", `Local (${view.localSite})`)}
  ${header(view, "remoteStatus", `Remote (${view.remoteSite})`)}
  <th scope="col" class="num">Retries</th>
  <th scope="col">Last error</th>
  ${header(view, "priority", "Priority")}
  <th scope="col">Actions</th>
</tr></thead>
<tbody>
${data.rows.length === 0 ? html`<tr><td colspan="12" class="empty">No representation matches.</td></tr>` : ""}
${data.rows.map((row) => rowHtml(view, row, data.pauses.representations.has(row.representationId), live))}
</tbody>
</table>
</div>
${pager(view, data.total, pages)}
</div>`;
}

function header(view: View, key: (typeof SORT_KEYS)[number], text: string): Html {
  const active = view.sort === key;
  const desc = active && !view.desc;
  const href = `/${queryString(viewParams(view, { sort: key, desc: desc ? 1 : "", page: "" }))}`;
  const sorted = active ? (view.desc ? "descending" : "ascending") : "none";
  return html`<th scope="col" aria-sort="${sorted}"${key === "priority" ? raw(' class="num"') : ""}><a href="${href}">${text}${active ? (view.desc ? " ▼" : " ▲") : ""}</a></th>`;
}

function projectControls(view: View, data: TableData): Html {
  const project = view.project.name;
  return html`<div class="controls" aria-label="Pauses">
  ${actionForm(
    { action: data.pauses.project ? "unpause-project" : "pause-project", project },
    {
      text: data.pauses.project ? "Unpause project" : "Pause project",
      label: `${data.pauses.project ? "Unpause" : "Pause"} project ${project}`,
    },
  )}
  ${actionForm(
    { action: data.pauses.service ? "unpause-service" : "pause-service", project },
    {
      text: data.pauses.service ? "Unpause service" : "Pause service",
      label: `${data.pauses.service ? "Unpause" : "Pause"} the sync service`,
    },
  )}
</div>`;
}

function counts(view: View, data: TableData): Html {
  const side = (pick: "localStatus" | "remoteStatus") => {
    const by = new Map<string, number>();
    for (const c of data.counts) by.set(statusName(c[pick]), (by.get(statusName(c[pick])) ?? 0) + c.count);
    return STATUS_OPTIONS.filter((s) => by.get(s)).map(
      (s) => html`<span class="count s-${s.toLowerCase()}">${s} ${by.get(s) ?? 0}</span>`,
    );
  };
  return html`<p class="counts"><span>${data.total} representation${data.total === 1 ? "" : "s"}.</span>
  <span>Local (${view.localSite}): ${side("localStatus")}</span>
  <span>Remote (${view.remoteSite}): ${side("remoteStatus")}</span></p>`;
}

/** A side's bytes with what a running transfer has moved since the store last heard (every 2 s per file). */
function withLive(
  summary: SiteSummary,
  row: StateRow,
  side: "localStatus" | "remoteStatus",
  files: ReadonlyMap<string, LiveFile>,
): number {
  if (files.size === 0) return summary.size;
  let size = 0;
  for (const file of row.files) {
    const moving = files.get(file.id);
    size += Math.max(file[side].size, moving ? moving.transferred : 0);
  }
  return size;
}

function rowHtml(view: View, row: StateRow, paused: boolean, live: LiveLookup): Html {
  const project = view.project.name;
  const what = `${row.product} ${versionText(row.version)} ${row.representation}`;
  const detail = `/representation${queryString({ ...viewParams(view), id: row.representationId })}`;
  const local = row.localStatus;
  const remote = row.remoteStatus;
  const localSize = withLive(local, row, "localStatus", live(row.representationId, view.localSite));
  const remoteSize = withLive(remote, row, "remoteStatus", live(row.representationId, view.remoteSite));
  const message = [local.message && `local: ${local.message}`, remote.message && `remote: ${remote.message}`]
    .filter(Boolean)
    .join("\n");
  const priority = Math.max(
    local.status === -1 ? 0 : local.priority,
    remote.status === -1 ? 0 : remote.priority,
  );
  const id = row.representationId;
  const actions: Html[] = [];
  if (local.status === -1)
    actions.push(
      actionForm(
        { action: "add", project, representation: id, site: view.localSite },
        { text: "Get here", label: `Download ${what} to ${view.localSite}` },
      ),
    );
  else
    actions.push(
      actionForm(
        { action: "reset", project, representation: id, site: view.localSite },
        { text: "Re-sync local", label: `Re-sync ${what} on ${view.localSite}` },
      ),
    );
  if (remote.status !== -1)
    actions.push(
      actionForm(
        { action: "reset", project, representation: id, site: view.remoteSite },
        { text: "Re-sync remote", label: `Re-sync ${what} on ${view.remoteSite}` },
      ),
    );
  actions.push(
    actionForm(
      { action: paused ? "unpause" : "pause", project, representation: id },
      { text: paused ? "Unpause" : "Pause", label: `${paused ? "Unpause" : "Pause"} ${what}`, kind: "quiet" },
    ),
  );
  return html`<tr data-id="${id}"${paused ? raw(' class="paused"') : ""}>
  <td>${row.folder}</td>
  <td>${row.product}</td>
  <td>${versionText(row.version)}</td>
  <th scope="row"><a href="${detail}" aria-label="Details of ${what}">${row.representation}</a>${paused ? html` <span class="tag">paused</span>` : ""}</th>
  <td class="num">${row.fileCount}</td>
  <td class="num">${formatBytes(row.size)}</td>
  <td class="st" data-side="local">${statusCell(local.status, localSize, local.totalSize, `local ${view.localSite}`)}</td>
  <td class="st" data-side="remote">${statusCell(remote.status, remoteSize, remote.totalSize, `remote ${view.remoteSite}`)}</td>
  <td class="num">${local.retries || remote.retries ? `${local.retries} / ${remote.retries}` : "0"}</td>
  <td class="msg">${message}</td>
  <td class="num">${priority}</td>
  <td class="actions">${actions}${actionForm(
    { action: "priority", project, representation: id },
    { text: "Set", label: `Set the priority of ${what}`, kind: "quiet" },
    html`<label class="vh" for="p-${id}">Priority of ${what}</label><input class="prio" id="p-${id}" name="priority" type="number" step="1" hx-preserve="true" value="${priority || 50}">`,
  )}</td>
</tr>`;
}

function pager(view: View, total: number, pages: number): Html {
  if (pages <= 1 && view.page === 1) return raw("");
  const link = (page: number, text: string, rel: string) =>
    html`<a rel="${rel}" href="/${queryString(viewParams(view, { page }))}">${text}</a>`;
  return html`<nav class="pager" aria-label="Pages">
  ${view.page > 1 ? link(view.page - 1, "← Previous", "prev") : ""}
  <span>Page ${view.page} of ${pages} (${total} in all)</span>
  ${view.page < pages ? link(view.page + 1, "Next →", "next") : ""}
</nav>`;
}
