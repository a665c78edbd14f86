// The page of one run: everything it holds, drawn from its API detail. While the run is
// queued or running the page asks again every few seconds, draws the curves from the
// epochs reported so far, and once the run has finished loads itself again to show the rest.
import { apiFetch } from "./lib/api.js";
import { byId, readJson } from "./lib/dom.js";
import { FINISHED, STATUS_LABELS, formatLoss, formatPercent, isNumber, progressPercent, progressText } from "./lib/format.js";
import { endedText } from "./lib/status_text.js";
import {
  asComparison,
  renderConfusions,
  renderCurveSection,
  renderHeatmapSection,
  renderSnapshotSection,
} from "./run/figures.js";
import { renderInside } from "./run/attributions.js";
import { renderImages } from "./run/images.js";
import { setupProbe } from "./run/probe.js";

const settings = readJson("run-settings-data");
const SERIES = ["loss", "accuracy", "val_loss", "val_accuracy"];
const live = Object.fromEntries(SERIES.map((key) => [key, []])); // the curves so far
let current = null;

function figuresLine(detail) {
  if (detail.status !== "done") return "";
  const parts = [`accuracy ${formatPercent(detail.accuracy)}`, `loss ${formatLoss(detail.loss)}`];
  if (isNumber(detail.val_accuracy)) parts.push(`validation ${formatPercent(detail.val_accuracy)}`);
  if (isNumber(detail.test_accuracy)) parts.push(`test ${formatPercent(detail.test_accuracy)}`);
  if (detail.seed !== null && detail.seed !== undefined) parts.push(`seed ${detail.seed}`);
  return parts.join(" · ");
}

function showStatus(detail) {
  const badge = byId("run-status");
  badge.className = `status-badge status-${detail.status}`;
  badge.textContent = STATUS_LABELS[detail.status] || detail.status;
  byId("run-figures").textContent = figuresLine(detail);
  const running = !FINISHED.has(detail.status);
  byId("run-progress").textContent = running ? `${progressPercent(detail)}% · ${progressText(detail)}` : "";
  const ended = endedText(detail);
  const error = byId("run-error");
  error.hidden = !(detail.status === "failed" || detail.status === "cancelled");
  error.textContent = error.hidden ? "" : detail.error || ended;
}

// An epoch's figures, as a running run reports them, into the curves so far.
function gather(detail) {
  const progress = detail.progress || {};
  if (progress.phase !== "train" || !isNumber(progress.done) || progress.done < 1) return;
  for (const key of SERIES) {
    const value = (progress.metrics || {})[key];
    if (isNumber(value)) live[key][progress.done - 1] = value;
  }
}

function curves(detail) {
  const stored = detail.history || {};
  return Object.values(stored).some((values) => Array.isArray(values) && values.length) ? stored : live;
}

function render(detail) {
  current = detail;
  showStatus(detail);
  const data = asComparison(settings, detail, curves(detail));
  renderCurveSection(data, byId("log-loss").checked);
  if (detail.status !== "done") return;
  renderImages(settings, detail);
  renderConfusions(detail);
  renderHeatmapSection(data);
  renderSnapshotSection(data);
  renderInside(settings, detail);
  setupProbe(detail);
}

async function poll() {
  const answer = await apiFetch(settings.detailUrl).catch(() => null);
  if (!answer || !answer.ok) {
    setTimeout(poll, settings.pollMs * 2);
    return;
  }
  const detail = answer.body;
  if (FINISHED.has(detail.status)) {
    // The snapshots' frame counts come with the page: a fresh one has them all.
    window.location.reload();
    return;
  }
  gather(detail);
  current = detail;
  showStatus(detail);
  renderCurveSection(asComparison(settings, detail, curves(detail)), byId("log-loss").checked);
  setTimeout(poll, settings.pollMs);
}

async function start() {
  const answer = await apiFetch(settings.detailUrl);
  if (!answer.ok) {
    byId("run-error").hidden = false;
    byId("run-error").textContent = "The run could not be loaded. Reload the page to try again.";
    return;
  }
  gather(answer.body);
  render(answer.body);
  byId("log-loss").addEventListener("change", () => {
    if (current) renderCurveSection(asComparison(settings, current, curves(current)), byId("log-loss").checked);
  });
  if (!FINISHED.has(answer.body.status)) setTimeout(poll, settings.pollMs);
}

start();
