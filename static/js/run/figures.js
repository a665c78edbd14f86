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

function isMatrix(matrix, labels) {
  return Array.isArray(matrix) && matrix.length > 0 && matrix.length === labels.length;
}

function confusionFigure(matrix, labels, what) {
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  return confusionHeatmap({ matrix, labels, title: `Confusion matrix on the ${countOf(total, what)}` });
}

// Each class's share of its images put in the right column: the diagonal over the row.
function perClassOf(matrix) {
  return matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total ? row[i] / total : null;
  });
}

// The matrices the run has: the images it was fitted on, the validation images held out of
// fitting, and the dataset's held-out test images. Runs stored before the split kept one
// matrix over training and validation images together; that one is shown for them.
function confusionParts(training, labels) {
  const parts = [];
  if (isMatrix(training.train_confusion, labels)) {
    parts.push({ matrix: training.train_confusion, what: "training image", column: "Training images" });
    if (isMatrix(training.val_confusion, labels)) {
      parts.push({ matrix: training.val_confusion, what: "validation image", column: "Validation images" });
    }
  } else if (isMatrix(training.confusion, labels)) {
    parts.push({
      matrix: training.confusion,
      what: "training and validation image",
      column: "Training and validation images",
    });
  }
  if (isMatrix(training.test_confusion, labels)) {
    parts.push({ matrix: training.test_confusion, what: "held-out test image", column: "Test images" });
  }
  return parts;
}

export function renderConfusions(detail) {
  const training = detail.training || {};
  const labels = classNames(detail);
  const parts = confusionParts(training, labels);
  byId("confusion-section").hidden = !parts.length;
  byId("confusions").replaceChildren(...parts.map((part) => confusionFigure(part.matrix, labels, part.what)));
  const table = byId("per-class-table");
  table.hidden = !parts.length;
  if (!parts.length) return;
  const columns = parts.map((part) => perClassOf(part.matrix));
  const head = ["Class", ...parts.map((part) => `Accuracy on the ${part.column.toLowerCase()}`)];
  const rows = labels.map((name, i) => [
    name,
    ...columns.map((column) => (isNumber(column[i]) ? formatPercent(column[i]) : "–")),
  ]);
  fillTable(table, head, rows, "Per-class accuracy");
}
