// A run page's figures from the experiment's API detail: the compare page's curves,
// cross-class heatmap and snapshot slider (fed the detail as a comparison of one run), the
// confusion matrices as heatmaps and the per-class accuracy as a table.
import { byId } from "../lib/dom.js";
import { countOf, formatPercent, isNumber } from "../lib/format.js";
import { confusionHeatmap } from "../lib/heatmap.js";
import { renderCurves, renderHeatmaps } from "../compare/charts.js";
import { fillTable } from "../compare/common.js";
import { renderScrubber } from "../compare/grid.js";

function classNames(detail) {
  const results = detail.results || [];
  return results.length ? results.map((result) => result.name) : detail.classes || [];
}

// The detail in the shape of GET /api/v1/compare/'s answer, one experiment wide; history:
// the curves to draw (the stored ones, or those gathered while the run trains).
export function asComparison(settings, detail, history) {
  const names = classNames(detail);
  const experiment = {
    id: detail.id,
    label: `[${detail.number}]`,
    status: detail.status,
    accuracy: detail.accuracy,
    val_accuracy: detail.val_accuracy,
    test_accuracy: detail.test_accuracy,
    history,
    cross_r: detail.cross_r || [],
    class_names: names,
    classes: detail.classes || [],
  };
  const classes = (detail.results || []).map((result, position) => ({
    key: result.class,
    name: result.name,
    template_url: result.template_url,
    cells: [
      {
        r: result.r,
        image_url: result.image_url,
        snapshot_frames: settings.snapshotFrames[String(position)] || 0,
        snapshot_url: `${settings.snapshotsUrl}${position}/snapshots/`,
      },
    ],
  }));
  return { base: null, experiments: [experiment], classes };
}

export function renderCurveSection(data, logLoss) {
  const history = data.experiments[0].history || {};
  const any = Object.values(history).some((values) => Array.isArray(values) && values.length);
  byId("curves-section").hidden = !any;
  if (any) renderCurves(data, { logLoss });
}

export function renderHeatmapSection(data) {
  const shown = (data.experiments[0].cross_r || []).length > 0;
  byId("heatmap-section").hidden = !shown;
  if (shown) renderHeatmaps(data);
}

export function renderSnapshotSection(data) {
  renderScrubber(data);
}

function confusionFigure(matrix, labels, what) {
  if (!Array.isArray(matrix) || !matrix.length || matrix.length !== labels.length) return null;
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  return confusionHeatmap({ matrix, labels, title: `Confusion matrix on the ${countOf(total, what)}` });
}

export function renderConfusions(detail) {
  const training = detail.training || {};
  const labels = classNames(detail);
  const figures = [
    confusionFigure(training.confusion, labels, "training image"),
    confusionFigure(training.test_confusion, labels, "held-out test image"),
  ].filter(Boolean);
  const perClass = Array.isArray(training.per_class_accuracy) ? training.per_class_accuracy : [];
  const perTest = Array.isArray(training.test_per_class_accuracy) ? training.test_per_class_accuracy : [];
  byId("confusion-section").hidden = !figures.length && !perClass.length;
  byId("confusions").replaceChildren(...figures);
  const table = byId("per-class-table");
  table.hidden = !perClass.length;
  if (!perClass.length) return;
  const head = ["Class", "Accuracy on the training images"];
  if (perTest.length) head.push("Accuracy on the test images");
  const rows = labels.map((name, i) => {
    const row = [name, formatPercent(perClass[i])];
    if (perTest.length) row.push(isNumber(perTest[i]) ? formatPercent(perTest[i]) : "–");
    return row;
  });
  fillTable(table, head, rows, "Per-class accuracy");
}
