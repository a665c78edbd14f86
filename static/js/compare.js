// The compare page: everything comes from GET /api/v1/compare/?ids=...; the selection and
// options live in the URL (ids, base, all, log), so a reload or a shared link shows the same.
// With wait=1 (a paper scenario just queued) it first waits for the runs, showing progress.
import { apiFetch, messagesOf } from "./lib/api.js";
import { byId, el, readJson } from "./lib/dom.js";
import { STATUS_LABELS, progressPercent, progressText } from "./lib/format.js";
import { renderCurves, renderDeltaChart, renderHeatmaps, renderRChart } from "./compare/charts.js";
import { colorOf } from "./compare/common.js";
import { exportPng, renderGrid, renderScrubber, renderSettings } from "./compare/grid.js";
import { renderGroups } from "./compare/groups.js";

const settings = readJson("compare-settings");
const ACTIVE = new Set(["queued", "running"]);
const params = new URLSearchParams(window.location.search);
let data = null;

function setUrl(changes) {
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) params.delete(key);
    else params.set(key, String(value));
  }
  // Commas stay commas: the address is meant to be read and shared.
  const query = params.toString().replaceAll("%2C", ",");
  history.replaceState(null, "", `${window.location.pathname}?${query}`);
}

function dataUrl(path) {
  const query = new URLSearchParams({ ids: params.get("ids") || "", all: "1" });
  if (params.get("base")) query.set("base", params.get("base"));
  return `${settings.api}${path}?${query.toString()}`;
}

function showError(text) {
  byId("compare-loading").hidden = true;
  byId("compare-error").replaceChildren(el("p", { text }));
  byId("compare-error").hidden = false;
}

// ---------------------------------------------------------------- loading and waiting

async function load() {
  let response;
  try {
    response = await apiFetch(dataUrl("compare/"));
  } catch (_error) {
    showError("The server could not be reached. Reload to try again.");
    return;
  }
  if (response.status === 404) {
    showError("One of these experiments does not exist or is not yours.");
    return;
  }
  if (!response.ok || !response.body) {
    showError(messagesOf(response.body).join(" ") || `Could not load (HTTP ${response.status}).`);
    return;
  }
  const previous = data;
  data = response.body;
  const active = data.experiments.filter((experiment) => ACTIVE.has(experiment.status));
  if (params.get("wait") === "1" && active.length) {
    showWaiting(data.experiments);
    setTimeout(load, settings.pollMs);
    return;
  }
  if (params.get("wait") === "1") setUrl({ wait: null });
  byId("wait-section").hidden = true;
  // Runs still going are followed: the comparison is drawn again once one of them ends
  // (not at every poll, which would reset the slider and the open tables).
  const statuses = (body) => (body ? body.experiments.map((e) => e.status).join() : "");
  if (!previous || statuses(previous) !== statuses(data) || previous.base !== data.base) render();
  if (active.length) setTimeout(load, settings.pollMs * 3);
}

function waitItem(experiment) {
  const active = ACTIVE.has(experiment.status);
  const percent = active ? progressPercent(experiment) : 100;
  const fill = el("div", { className: "progress-fill" });
  fill.style.width = `${percent}%`;
  const name = `${experiment.label}: ${experiment.classes.join(", ")}`;
  return el(
    "li",
    { className: "wait-item", "data-status": experiment.status },
    el("p", {}, el("strong", { text: name }), ` · ${STATUS_LABELS[experiment.status] || experiment.status}`),
    active ? el("p", { className: "wait-detail", text: `${percent}% · ${progressText(experiment)}` }) : null,
    el(
      "div",
      {
        className: "progress-track",
        role: "progressbar",
        "aria-label": `Progress of ${experiment.label}`,
        "aria-valuemin": 0,
        "aria-valuemax": 100,
        "aria-valuenow": percent,
      },
      fill,
    ),
  );
}

function showWaiting(experiments) {
  byId("compare-loading").hidden = true;
  byId("wait-section").hidden = false;
  const finished = experiments.filter((experiment) => !ACTIVE.has(experiment.status)).length;
  byId("wait-announcer").textContent = `${finished} of ${experiments.length} runs finished.`;
  byId("wait-list").replaceChildren(...experiments.map(waitItem));
}

// ---------------------------------------------------------------- rendering

function render() {
  byId("compare-loading").hidden = true;
  byId("compare-content").hidden = false;
  const running = data.experiments.filter((experiment) => ACTIVE.has(experiment.status));
  byId("still-running").hidden = running.length === 0;
  byId("still-running").textContent = running.length
    ? `Still running: ${running.map((e) => e.label).join(", ")}. Their results appear here when they finish.`
    : "";
  renderToolbar();
  renderLegend();
  renderGrid(data);
  renderGroups(data);
  renderSettings(data, byId("show-all").checked);
  renderRChart(data);
  renderDeltaChart(data);
  renderCurves(data, { logLoss: byId("log-loss").checked });
  renderHeatmaps(data);
  renderScrubber(data);
}

function renderToolbar() {
  byId("base-select").replaceChildren(
    ...data.experiments.map((experiment) =>
      el("option", { value: experiment.id, selected: experiment.id === data.base, text: experiment.label }),
    ),
  );
  byId("show-all").checked = params.get("all") === "1";
  byId("log-loss").checked = params.get("log") === "1";
  byId("export-csv").href = dataUrl("compare/csv/");
  const ids = data.experiments.map((experiment) => experiment.id).join("-");
  byId("export-csv").setAttribute("download", `comparison-${ids}.csv`);
}

function renderLegend() {
  byId("experiment-legend").replaceChildren(
    ...data.experiments.map((experiment, index) => {
      const swatch = el("span", { className: "legend-swatch" });
      swatch.style.background = colorOf(index);
      return el("span", { className: "legend-item" }, swatch, experiment.label);
    }),
  );
}

// ---------------------------------------------------------------- controls

async function save(event) {
  event.preventDefault();
  const status = byId("save-status");
  const name = byId("save-name").value.trim();
  if (!name) {
    status.textContent = "Give the comparison a name.";
    return;
  }
  const options = { base: data.base, all: byId("show-all").checked };
  // A paper scenario's comparison keeps its question when saved.
  if (settings.scenario) options.scenario = settings.scenario;
  const response = await apiFetch(`${settings.api}comparisons/`, {
    method: "POST",
    body: JSON.stringify({
      name,
      experiment_ids: data.experiments.map((experiment) => experiment.id),
      options,
    }),
  }).catch(() => ({ ok: false, status: 0, body: null }));
  if (response.status === 201) {
    status.replaceChildren(
      `Saved as “${response.body.name}”. Find it on the `,
      el("a", { href: settings.historyUrl, text: "history page" }),
      ".",
    );
  } else {
    status.textContent = messagesOf(response.body).join(" ") || `Not saved (HTTP ${response.status}).`;
  }
}

byId("base-select").addEventListener("change", (event) => {
  setUrl({ base: event.target.value });
  load();
});
byId("show-all").addEventListener("change", (event) => {
  setUrl({ all: event.target.checked ? 1 : 0 });
  renderSettings(data, event.target.checked);
});
byId("log-loss").addEventListener("change", (event) => {
  setUrl({ log: event.target.checked ? 1 : null });
  renderCurves(data, { logLoss: event.target.checked });
});
byId("export-png").addEventListener("click", () => exportPng(data, byId("export-png")));
byId("save-form").addEventListener("submit", save);

load();
