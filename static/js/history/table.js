// The history's run table: every run matching the page's filters as one row of figures,
// from the run table API. A header sorts by its column (click, or Enter/Space on it), the
// text field narrows the rows as one types, the column choice is remembered in this
// browser, a checkbox adds a run to the comparison, and the CSV link asks the server for
// exactly the rows and columns shown (same filters, words, order and columns).
import { apiFetch, messagesOf } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { STATUS_LABELS, countOf, formatNumber, formatPercent, isNumber } from "../lib/format.js";

const HIDDEN_KEY = "shapeshop.history.hiddenColumns";
const TYPING_MS = 250;
// Query names of the page that are not the table's (the view, the cards' page).
const PAGE_ONLY = ["view", "page"];
const NUMERIC = new Set(["int", "percent", "r", "seconds"]);
const ACTIVE = new Set(["queued", "running"]);

function loadHidden() {
  try {
    const stored = JSON.parse(localStorage.getItem(HIDDEN_KEY) || "[]");
    return new Set(Array.isArray(stored) ? stored.filter((key) => typeof key === "string") : []);
  } catch (_error) {
    return new Set();
  }
}

export function duration(seconds) {
  if (!isNumber(seconds)) return "–";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

function cellContent(column, row, data) {
  const key = column.key;
  if (key.startsWith("r:")) return formatNumber(row.r[key.slice(2)], 2);
  const value = row[key];
  switch (key) {
    case "model":
      return row.model_label;
    case "status":
      return STATUS_LABELS[value] || value;
    case "classes":
      return value.map((classKey) => data.class_names[classKey] || classKey).join(", ");
    case "tags":
      return value.join(", ");
    case "sweep":
      return value ? el("a", { href: value.url, text: `sweep ${value.number}` }) : "";
    case "created":
      return value.slice(0, 16).replace("T", " ");
    default:
      break;
  }
  if (column.type === "percent") return formatPercent(value);
  if (column.type === "r") return formatNumber(value, 2);
  if (column.type === "seconds") return duration(value);
  return value === null || value === undefined ? "–" : String(value);
}

export function startRunTable(settings, selection) {
  const params = new URLSearchParams(window.location.search);
  const table = byId("run-table");
  const status = byId("table-status");
  const error = byId("table-error");
  const filter = byId("table-filter");
  const csvLink = byId("table-csv");
  const columnList = byId("column-list");
  let hidden = loadHidden();
  let data = null;
  let drawn = ""; // the answer the table shows, as text
  let request = 0;
  let following = null;

  function tableQuery() {
    const query = new URLSearchParams(params);
    for (const name of PAGE_ONLY) query.delete(name);
    return query;
  }

  // The address keeps the words and the order, so a reload or a shared link shows the same;
  // so does the filter form, which sends them along with the filters.
  function remember(name, value) {
    if (value) params.set(name, value);
    else params.delete(name);
    history.replaceState(null, "", `${window.location.pathname}?${params.toString()}`);
    const field = byId(`form-${name}`);
    if (field) field.value = value;
  }

  const shown = () => data.columns.filter((column) => column.key === "number" || !hidden.has(column.key));

  function showCsvLink() {
    const query = tableQuery();
    query.set("columns", shown().map((column) => column.key).join(","));
    csvLink.href = `${settings.tableCsvUrl}?${query.toString()}`;
  }

  function sortButton(column) {
    const [key, descending] = (params.get("sort") || "").startsWith("-")
      ? [params.get("sort").slice(1), true]
      : [params.get("sort") || "", false];
    const active = key === column.key;
    const th = el("th", { scope: "col", dataset: { key: column.key } });
    if (active) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    const arrow = active ? (descending ? "▼" : "▲") : "";
    const button = el(
      "button",
      { type: "button", className: "sort-button", dataset: { sortKey: column.key } },
      column.label,
      el("span", { className: "sort-arrow", "aria-hidden": "true", text: arrow }),
    );
    // A first press sorts ascending, the next one flips the order.
    button.addEventListener("click", () => {
      remember("sort", active && !descending ? `-${column.key}` : column.key);
      load({ focusSort: column.key });
    });
    if (column.key === "number") th.className = "run-cell";
    if (NUMERIC.has(column.type)) th.classList.add("is-number");
    th.append(button);
    return th;
  }

  function bodyRow(row, columns) {
    const tr = el("tr", { dataset: { id: row.id } });
    for (const column of columns) {
      if (column.key === "number") {
        const label = `select-row-${row.id}`;
        tr.append(
          el(
            "th",
            { scope: "row", className: "run-cell" },
            el("input", {
              type: "checkbox",
              className: "select-experiment",
              id: label,
              value: row.id,
              dataset: { number: row.number },
              "aria-label": `Select experiment ${row.number} to compare`,
            }),
            el("label", { for: label, text: `[${row.number}]` }),
            " ",
            el("a", {
              href: `/experiments/${row.id}/`,
              className: "run-page-link",
              text: "page",
              "aria-label": `Open run ${row.number}'s page`,
            }),
          ),
        );
        continue;
      }
      const td = el("td", { dataset: { key: column.key } }, cellContent(column, row, data));
      if (NUMERIC.has(column.type)) td.className = "is-number";
      tr.append(td);
    }
    return tr;
  }

  function renderTable() {
    const columns = shown();
    table.replaceChildren(
      el("caption", { className: "visually-hidden", text: "Your runs, one per row" }),
      el("thead", {}, el("tr", {}, ...columns.map(sortButton))),
      el("tbody", {}, ...data.rows.map((row) => bodyRow(row, columns))),
    );
    table.hidden = data.rows.length === 0;
    showCsvLink();
    selection.show();
  }

  function renderColumnChoice() {
    columnList.replaceChildren(
      ...data.columns
        .filter((column) => column.key !== "number")
        .map((column) => {
          const id = `column-${column.key}`;
          const box = el("input", { type: "checkbox", id, checked: !hidden.has(column.key) });
          box.addEventListener("change", () => {
            if (box.checked) hidden.delete(column.key);
            else hidden.add(column.key);
            localStorage.setItem(HIDDEN_KEY, JSON.stringify([...hidden]));
            renderTable();
          });
          return el("div", { className: "form-field-check" }, box, el("label", { for: id, text: column.label }));
        }),
    );
  }

  function showStatus() {
    const runs = countOf(data.count, "run");
    if (data.count === 0) status.textContent = "No run matches these filters and words.";
    else if (data.shown < data.count) {
      status.textContent = `${runs} match; the table shows the first ${data.shown}: narrow the filters to see the rest.`;
    } else status.textContent = `${runs} shown.`;
    byId("table-count").textContent = `(${data.count})`;
  }

  // While a run shown is queued or running, the table asks again now and then, and is drawn
  // again only when something changed (keeping the focus where it was).
  function follow() {
    clearTimeout(following);
    if (data.rows.some((row) => ACTIVE.has(row.status))) {
      following = setTimeout(() => load({ quiet: true }), settings.pollMs * 2);
    }
  }

  async function load({ focusSort = null, quiet = false } = {}) {
    const mine = ++request;
    if (!quiet) error.hidden = true;
    let response;
    try {
      response = await apiFetch(`${settings.tableUrl}?${tableQuery().toString()}`);
    } catch (_error) {
      response = { ok: false, status: 0, body: null };
    }
    if (mine !== request) return; // a later request (more typing) answers instead
    if (quiet && (!response.ok || !response.body)) {
      follow(); // a poll that failed is tried again; the table shown stays
      return;
    }
    if (!response.ok || !response.body) {
      status.textContent = "";
      error.replaceChildren(
        el("p", {
          text:
            messagesOf(response.body).join(" ") ||
            (response.status ? `Could not load the runs (HTTP ${response.status}).` : "The server could not be reached."),
        }),
      );
      error.hidden = false;
      return;
    }
    const text = JSON.stringify(response.body);
    if (quiet && text === drawn) {
      follow();
      return;
    }
    drawn = text;
    const focused = document.activeElement;
    const focusId = focused && focused.id && table.parentElement.closest("section").contains(focused) ? focused.id : null;
    focusSort = focusSort || focused?.dataset?.sortKey || null;
    data = response.body;
    renderColumnChoice();
    renderTable();
    showStatus();
    if (focusId && byId(focusId)) byId(focusId).focus();
    else if (focusSort) table.querySelector(`[data-sort-key="${CSS.escape(focusSort)}"]`)?.focus();
    follow();
  }

  let typing = null;
  filter.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      remember("q", filter.value.trim());
      load();
    }, TYPING_MS);
  });
  byId("columns-all").addEventListener("click", () => {
    hidden = new Set();
    localStorage.removeItem(HIDDEN_KEY);
    renderColumnChoice();
    renderTable();
  });

  load();
}
