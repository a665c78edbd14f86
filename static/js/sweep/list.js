// The sweeps page (/sweeps/): the user's sweeps from GET /api/v1/sweeps/, a page at a time.
import { apiFetch, messagesOf } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { STATUS_LABELS } from "../lib/format.js";

const root = byId("sweeps-page");
let next = `${root.dataset.api}sweeps/`;

function created(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return el("span", { text: "–" });
  const text = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")} ${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
  return el("time", { datetime: value, text });
}

function sweepRow(sweep) {
  const title = `Sweep ${sweep.number}${sweep.name ? `: ${sweep.name}` : ""}`;
  const href = (sweep.urls && sweep.urls.page) || `${sweep.id}/`;
  const total = sweep.counts ? sweep.counts.total : (sweep.experiments || []).length;
  return el(
    "tr",
    { "data-id": sweep.id, "data-status": sweep.status },
    el("th", { scope: "row" }, el("a", { href, text: title })),
    el("td", { text: String(total) }),
    el("td", {}, el("span", { className: `status-badge status-${sweep.status}`, text: STATUS_LABELS[sweep.status] || sweep.status })),
    el("td", {}, created(sweep.created_at)),
  );
}

async function loadMore() {
  const more = byId("sweeps-more");
  more.disabled = true;
  const response = await apiFetch(next).catch(() => ({ ok: false, status: 0, body: null }));
  byId("sweeps-loading").hidden = true;
  more.disabled = false;
  if (!response.ok || !response.body) {
    byId("sweeps-error").replaceChildren(el("p", { text: messagesOf(response.body).join(" ") || `Could not load your sweeps (HTTP ${response.status}).` }));
    byId("sweeps-error").hidden = false;
    return;
  }
  const body = response.body;
  const items = Array.isArray(body) ? body : body.results || [];
  next = Array.isArray(body) ? null : body.next;
  byId("sweeps-rows").append(...items.map(sweepRow));
  const any = byId("sweeps-rows").children.length > 0;
  byId("sweeps-table").hidden = !any;
  byId("sweeps-empty").hidden = any;
  more.hidden = !next;
}

byId("sweeps-more").addEventListener("click", loadMore);
loadMore();
