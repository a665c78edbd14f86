// The sweep page: everything comes from GET /api/v1/sweeps/{id}/, asked again about every
// second while the sweep is queued or running, so the charts, the claims and the pictures
// fill in as its runs finish. The template hands over the sweep's id and the site's URLs.
import { apiFetch, messagesOf } from "./lib/api.js";
import { byId, el } from "./lib/dom.js";
import { STATUS_LABELS, countOf } from "./lib/format.js";
import { renderMetricChart, renderRCharts } from "./sweep/charts.js";
import { settingLabel, valueText, variedSettings } from "./sweep/common.js";
import { renderClaims, renderImages, renderMembers } from "./sweep/panels.js";
import { renderParallel } from "./sweep/parallel.js";

const page = byId("sweep-page");
const settings = {
  id: page.dataset.id,
  api: page.dataset.api,
  historyUrl: page.dataset.history,
  indexUrl: page.dataset.index,
  pollMs: Number(page.dataset.pollMs || 1000),
};
const detailUrl = `${settings.api}sweeps/${settings.id}/`;
const ACTIVE = new Set(["queued", "running"]);
const imageState = { mode: "seed", seed: null, class: null };
let data = null;
let drawn = ""; // the signature of what the charts show
let announced = ""; // the signature last announced to screen readers
let timer = null;

function showError(text) {
  byId("sweep-loading").hidden = true;
  byId("sweep-error").replaceChildren(el("p", { text }));
  byId("sweep-error").hidden = false;
}

async function load() {
  clearTimeout(timer);
  let response;
  try {
    response = await apiFetch(detailUrl);
  } catch (_error) {
    showError("The server could not be reached. Reload to try again.");
    return;
  }
  if (response.status === 404) {
    showError("This sweep does not exist or is not yours.");
    return;
  }
  if (!response.ok || !response.body) {
    showError(messagesOf(response.body).join(" ") || `Could not load the sweep (HTTP ${response.status}).`);
    return;
  }
  data = response.body;
  render();
  if (ACTIVE.has(data.status)) timer = setTimeout(load, settings.pollMs);
}

// ---------------------------------------------------------------- header

function describe() {
  const names = variedSettings(data);
  const seeds = countOf(data.seeds, "seed");
  const runs = countOf(data.counts.total, "run");
  const classes = data.classes.map((c) => c.name).join(", ");
  if (!names.length) return `A seed group: the same settings over ${seeds}, ${runs}. Classes: ${classes}.`;
  const varied = names.map((name) => `${settingLabel(name)} (${data.vary[name].map(valueText).join(", ")})`).join(" × ");
  return `Varies ${varied} over ${seeds}: ${runs}. Classes: ${classes}.`;
}

function countsText() {
  const c = data.counts;
  const parts = [`${c.done} of ${c.total} done`];
  for (const key of ["running", "queued", "failed", "cancelled"]) if (c[key]) parts.push(`${c[key]} ${key}`);
  return parts.join(" · ");
}

function renderHeader() {
  const title = `Sweep ${data.number}${data.name ? `: ${data.name}` : ""}`;
  byId("sweep-title").textContent = title;
  document.title = `${title} · ShapeShop`;
  const badge = byId("sweep-status");
  badge.className = `status-badge status-${data.status}`;
  badge.textContent = STATUS_LABELS[data.status] || data.status;
  byId("sweep-what").textContent = describe();
  const percent = Math.round(Math.max(0, Math.min(1, data.fraction || 0)) * 100);
  byId("sweep-fill").style.width = `${percent}%`;
  const track = byId("sweep-progress");
  track.setAttribute("aria-valuenow", String(percent));
  track.setAttribute("aria-valuetext", `${percent}%: ${countsText()}`);
  byId("sweep-counts").textContent = `${percent}% · ${countsText()}`;
  byId("sweep-cancel").hidden = !ACTIVE.has(data.status);
  const urls = data.urls || {};
  byId("export-csv").href = urls.csv || `${detailUrl}export.csv`;
  byId("export-json").href = urls.json || `${detailUrl}export.json`;
}

// ---------------------------------------------------------------- everything else

// What changes the charts: a run's status or results (not its progress alone).
function signature() {
  return JSON.stringify([data.status, data.experiments.map((m) => [m.id, m.status, m.classes.length]), (data.claims || []).length]);
}

function render() {
  byId("sweep-loading").hidden = true;
  byId("sweep-content").hidden = false;
  renderHeader();
  const now = signature();
  if (now === drawn) return;
  const changed = announced !== "" && announced !== now;
  drawn = now;
  announced = now;
  if (changed) {
    const finished = data.counts.total - data.counts.queued - data.counts.running;
    byId("sweep-announcer").textContent = `${finished} of ${data.counts.total} runs finished.`;
  }
  renderRCharts(byId("r-charts"), data);
  renderMetricChart(byId("accuracy-chart-box"), data, "accuracy", "Accuracy");
  renderMetricChart(byId("val-accuracy-chart-box"), data, "val_accuracy", "Validation accuracy");
  renderParallel(byId("parallel-section"), byId("parallel-chart"), byId("parallel-table"), data);
  renderClaims(byId("claims-table"), byId("claims-empty"), data);
  drawImages();
  renderMembers(byId("members-table"), settings, data);
}

function drawImages() {
  renderImages(
    {
      seed: byId("image-seed"),
      class: byId("image-class"),
      seedField: byId("image-seed-field"),
      classField: byId("image-class-field"),
      grid: byId("image-grid"),
    },
    settings,
    data,
    imageState,
  );
}

// ---------------------------------------------------------------- controls

async function act(button, method, url, done) {
  const status = byId("sweep-action-status");
  button.disabled = true;
  const response = await apiFetch(url, { method }).catch(() => ({ ok: false, status: 0, body: null }));
  button.disabled = false;
  if (response.ok) {
    done(response);
  } else {
    status.textContent = messagesOf(response.body).join(" ") || `That did not work (HTTP ${response.status}).`;
  }
}

byId("sweep-cancel").addEventListener("click", (event) =>
  act(event.currentTarget, "POST", `${detailUrl}cancel/`, () => {
    byId("sweep-action-status").textContent = "The sweep is cancelled: runs not yet finished will not run.";
    load();
  }),
);
byId("sweep-delete").addEventListener("click", (event) => {
  const runs = data ? countOf(data.counts.total, "run") : "its runs";
  // eslint-disable-next-line no-alert
  if (!window.confirm(`Delete this sweep and its ${runs}? This cannot be undone.`)) return;
  clearTimeout(timer);
  act(event.currentTarget, "DELETE", detailUrl, () => {
    window.location.href = settings.indexUrl;
  });
});
for (const radio of document.querySelectorAll("input[name=image-mode]")) {
  radio.addEventListener("change", () => {
    imageState.mode = radio.value;
    if (data) drawImages();
  });
}
byId("image-seed").addEventListener("change", (event) => {
  imageState.seed = Number(event.target.value);
  drawImages();
});
byId("image-class").addEventListener("change", (event) => {
  imageState.class = event.target.value;
  drawImages();
});

// The charts take the page's width: drawn again for a new one (not at every step of a drag).
let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (!data) return;
    drawn = "";
    render();
  }, 200);
});

load();
