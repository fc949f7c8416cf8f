/** One representation: every file with its state on every site, and the actions per site. */
import { statusName } from "../../store/status.js";
import type { DetailData } from "../data.js";
import { type Html, html, queryString, raw } from "../html.js";
import { type View, viewParams } from "../view.js";
import { actionForm, banners, formatBytes, statusCell, versionText } from "./parts.js";

export function detailView(view: View, data: DetailData, ownLocalSite: string | undefined): Html {
  const back = `/${queryString(viewParams(view))}`;
  return html`<p><a href="${back}">← Back to the table</a></p>
<div id="result" class="results" aria-live="polite"></div>
<div hx-ext="sse" sse-connect="/events${queryString({ project: view.project.name })}">
${detailFragment(view, data, ownLocalSite)}
</div>`;
}

/** GET /representation?...&fragment=1: the part that changes while files move. */
export function detailFragment(view: View, data: DetailData, ownLocalSite: string | undefined): Html {
  const { representation: rep, row } = data;
  const project = view.project.name;
  const what = row ? `${row.product} ${versionText(row.version)} ${row.representation}` : rep.name;
  const paused = data.paused.representations.has(rep.id);
  const refresh = `/representation${queryString({ ...viewParams(view), id: rep.id, fragment: 1 })}`;
  return html`<div id="detail" hx-get="${refresh}" hx-trigger="sse:changed" hx-swap="outerHTML">
${banners(data.problems, data.paused, project)}
<h2>${what}</h2>
<dl class="facts">
  <dt>Folder</dt><dd>${row?.folder ?? ""}</dd>
  <dt>Representation id</dt><dd><code>${rep.id}</code></dd>
  <dt>Files</dt><dd>${rep.files.length} (${formatBytes(rep.files.reduce((n, f) => n + f.size, 0))})</dd>
  <dt>Paused</dt><dd>${paused ? "yes" : "no"}</dd>
</dl>
<div class="controls">
${actionForm(
  { action: paused ? "unpause" : "pause", project, representation: rep.id },
  { text: paused ? "Unpause" : "Pause", label: `${paused ? "Unpause" : "Pause"} ${what}` },
)}
</div>
<h3>Sites</h3>
<div class="scroll">
<table class="sites">
<caption>State of ${what} on every site</caption>
<thead><tr><th scope="col">Site</th><th scope="col">Status</th><th scope="col" class="num">Priority</th><th scope="col">Actions</th></tr></thead>
<tbody>
${data.sites.map((site) => {
  const total = rep.files.reduce((n, f) => n + f.size, 0);
  const size = [...site.files.values()].reduce((n, f) => n + f.size, 0);
  const actions: Html[] = [];
  const base = { project, representation: rep.id, site: site.site };
  if (site.status === undefined) {
    actions.push(
      actionForm({ ...base, action: "add" }, { text: "Add site", label: `Queue ${what} on ${site.site}` }),
    );
  } else {
    actions.push(
      actionForm({ ...base, action: "reset" }, { text: "Re-sync", label: `Re-sync ${what} on ${site.site}` }),
    );
    actions.push(
      actionForm(
        { ...base, action: "priority" },
        { text: "Set priority", label: `Set the priority of ${what} on ${site.site}`, kind: "quiet" },
        html`<label class="vh" for="pr-${site.site}">Priority on ${site.site}</label><input class="prio" id="pr-${site.site}" name="priority" type="number" step="1" hx-preserve="true" value="${site.priority ?? 50}">`,
      ),
    );
    const own = site.site === ownLocalSite;
    actions.push(
      actionForm(
        { ...base, action: "remove" },
        { text: "Remove", label: `Remove ${what} from ${site.site}`, kind: "danger" },
        own
          ? html`<label class="inline"><input type="checkbox" name="removeLocalFiles" value="1"> also delete the files</label>`
          : raw(""),
      ),
    );
  }
  return html`<tr><th scope="row">${site.site}</th><td class="st">${
    site.status === undefined
      ? html`<span class="status s-na">no state</span>`
      : statusCell(site.status, size, total, `site ${site.site}`)
  }</td><td class="num">${site.priority ?? ""}</td><td class="actions">${actions}</td></tr>`;
})}
</tbody>
</table>
</div>
<h3>Files</h3>
<div class="scroll">
<table class="files">
<caption>Every file of ${what} and its state on each site</caption>
<thead><tr><th scope="col">File</th><th scope="col" class="num">Size</th>${data.sites.map(
    (s) => html`<th scope="col">${s.site}</th>`,
  )}</tr></thead>
<tbody>
${rep.files.map(
  (file) =>
    html`<tr><th scope="row"><code>${file.path}</code></th><td class="num">${formatBytes(file.size)}</td>${data.sites.map(
      (site) => {
        const state = site.files.get(file.id);
        if (!state) return html`<td><span class="status s-na">NA</span></td>`;
        const name = statusName(state.status);
        return html`<td class="st">${statusCell(state.status, state.size, file.size, `${file.path} on ${site.site}`)}${
          state.retries ? html`<span class="retries">retries ${state.retries}</span>` : ""
        }${state.message ? html`<div class="msg" data-status="${name}">${state.message}</div>` : ""}</td>`;
      },
    )}</tr>`,
)}
</tbody>
</table>
</div>
</div>`;
}
