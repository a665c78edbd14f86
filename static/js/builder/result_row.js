// One result row of the Model Builder, drawn from the experiment's API detail: its title and
// status, a line of figures and settings, then its progress, its error or its image cards.
import { el } from "../lib/dom.js";
import {
  STATUS_LABELS,
  countOf,
  formatLoss,
  formatNumber,
  formatPercent,
  progressPercent,
  progressText,
} from "../lib/format.js";
import { confusionHeatmap } from "../lib/heatmap.js";
import { resultTitle } from "../lib/result_title.js";

// Settings worth repeating in a row's header when they differ from the defaults, named by
// their labels in the builder (in lower case within the line, "L2" kept as it is).
const EXTRA_SETTINGS = [
  "objective",
  "max_steps",
  "threshold",
  "optimizer",
  "learning_rate",
  "batch_size",
  "validation_split",
  "copies",
  "noise_amplitude",
  "clip",
  "l2",
  "tv",
  "blur_every",
  "jitter",
  "snapshot_every",
];

function inLine(label) {
  return /^.[A-Z0-9]/.test(label) ? label : label.charAt(0).toLowerCase() + label.slice(1);
}

function highlightSetting(config) {
  if (!config.highlight || config.highlight === "none") return null;
  let text =
    config.highlight === "rrr"
      ? `highlighting: penalty, λ ${config.highlight_lambda}`
      : "highlighting: augment";
  if (config.highlight_outside_relevant) text += ", outside yellow too";
  return text;
}

// The model's shape when it is not the paper's: "hidden layers 64, 32".
function shapeSettings(config, settings) {
  const parts = [];
  for (const key of (settings.shapeSettings || {})[config.model] || []) {
    const value = config[key];
    if (value === undefined || value === null) continue;
    const shown = Array.isArray(value) ? value.join(", ") : String(value);
    const fallback = settings.defaults[key];
    const usual = Array.isArray(fallback) ? fallback.join(", ") : String(fallback);
    if (shown !== usual) parts.push(`${inLine(settings.labels[key] || key)} ${shown}`);
  }
  return parts;
}

function diversitySetting(config) {
  if (!config.diversity || config.diversity <= 1) return null;
  const starts = config.diversity_starts === "kinds" ? "each kind in turn" : "new noise";
  return `${config.diversity} images per class (others from ${starts})`;
}

function extraSettings(config, settings) {
  const parts = shapeSettings(config, settings);
  const diversity = diversitySetting(config);
  if (diversity) parts.push(diversity);
  const highlighting = highlightSetting(config);
  if (highlighting) parts.push(highlighting);
  for (const key of EXTRA_SETTINGS) {
    if (!(key in config)) continue;
    const value = config[key];
    if (value === settings.defaults[key] || value === null) continue;
    const label = inLine(settings.labels[key] || key);
    parts.push(typeof value === "boolean" ? `${label} ${value ? "on" : "off"}` : `${label} ${value}`);
  }
  return parts;
}

// Where a follow-up run came from, named by the source's number as its owner knows it (the
// API sends it: the source's row may be drawn later, or not be on the page at all).
function originText(detail) {
  if (detail.source_number === null || detail.source_number === undefined) return null;
  const name = `[${detail.source_number}]`;
  return detail.kind === "revisualize" ? `new images from the weights of ${name}` : `a re-run of ${name}`;
}

function metaLine(detail, context) {
  const meta = el("p", { className: "result-meta" });
  if (detail.status === "done") {
    meta.append(
      el("span", {}, "accuracy ", el("strong", { text: formatPercent(detail.accuracy) })),
      el("span", {}, "loss ", el("strong", { text: formatLoss(detail.loss) })),
    );
    if (typeof detail.val_accuracy === "number") {
      meta.append(el("span", {}, "validation ", el("strong", { text: formatPercent(detail.val_accuracy) })));
    }
    if (typeof detail.test_accuracy === "number") {
      meta.append(
        el("span", { className: "result-test" }, "test ", el("strong", { text: formatPercent(detail.test_accuracy) })),
      );
    }
  }
  const classes = (detail.config && detail.config.classes) || [];
  meta.append(el("span", { text: `${classes.length} classes` }));
  if (detail.seed !== null && detail.seed !== undefined) {
    const reuse = el("button", {
      type: "button",
      className: "button-link reuse-seed",
      text: "Reuse seed",
      "aria-label": `Reuse seed ${detail.seed}`,
    });
    reuse.addEventListener("click", () => context.onReuseSeed(detail.seed));
    meta.append(el("span", {}, "seed ", el("strong", { text: String(detail.seed) }), " ", reuse));
  }
  const extras = extraSettings(detail.config || {}, context.settings);
  if (extras.length) meta.append(el("span", { text: extras.join(" · ") }));
  const origin = originText(detail);
  if (origin) meta.append(el("span", { className: "result-origin", text: origin }));
  return meta;
}

function progressBlock(detail, context) {
  const percent = progressPercent(detail);
  const text = progressText(detail);
  const fill = el("div", { className: "progress-fill" });
  fill.style.width = `${percent}%`;
  const track = el(
    "div",
    {
      className: "progress-track",
      role: "progressbar",
      "aria-label": `Progress of experiment ${detail.number ?? detail.id}`,
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-valuenow": percent,
      "aria-valuetext": `${percent}%: ${text}`,
    },
    fill,
  );
  const cancel = el("button", {
    type: "button",
    className: "button button-secondary button-small cancel-button",
    text: "Cancel",
    "aria-label": `Cancel experiment ${detail.number ?? detail.id}`,
  });
  cancel.addEventListener("click", () => context.onCancel(detail.id, cancel));
  return el(
    "div",
    { className: "progress-block" },
    track,
    el(
      "div",
      { className: "progress-line" },
      el("p", { className: "progress-text", text: `${percent}% · ${text}` }),
      cancel,
    ),
  );
}

function rCell(result) {
  const cell = el("p", { className: "card-r" }, "|r| = ");
  if (typeof result.r === "number" && Number.isFinite(result.r)) {
    cell.append(el("strong", { text: result.r.toFixed(2) }));
  } else {
    cell.append(
      el("abbr", {
        text: "—",
        tabindex: 0,
        title: "Undefined: the generated image is constant, so it has no correlation.",
        "aria-label": "undefined, the generated image is constant",
      }),
    );
  }
  return cell;
}

function rText(r) {
  return typeof r === "number" && Number.isFinite(r) ? r.toFixed(2) : "undefined";
}

// A class's further images (a run with several images per class), each with its |r|, and
// the mean ± sd of |r| over all of them.
function extrasBlock(result) {
  const extras = result.extras || [];
  if (!extras.length) return [];
  const count = extras.length + 1;
  const strip = el("ul", {
    className: "card-extras",
    "aria-label": `${count - 1} more generated images for ${result.name}`,
  });
  extras.forEach((extra, index) => {
    const label = `Generated image ${index + 2} of ${count} for ${result.name}, from ${extra.start}, |r| ${rText(extra.r)}`;
    strip.append(
      el(
        "li",
        { className: "card-extra" },
        el("img", {
          className: "pixelated",
          src: extra.image_url,
          width: 40,
          height: 40,
          alt: label,
          title: label,
          loading: "lazy",
        }),
        el("span", { className: "card-extra-r", text: rText(extra.r), "aria-hidden": "true" }),
      ),
    );
  });
  const spread = el("p", { className: "card-spread" }, "|r| over ", `${count} images: `);
  if (typeof result.mean_r === "number") {
    const sd = typeof result.sd_r === "number" ? ` ± ${result.sd_r.toFixed(2)}` : "";
    spread.append(el("strong", { text: `${result.mean_r.toFixed(2)}${sd}` }));
  } else {
    spread.append("undefined");
  }
  return [strip, spread];
}

function card(result, config, defaults) {
  // Generation stops once the class probability exceeds the threshold, whatever the objective.
  const threshold = config.threshold ?? defaults.threshold;
  const cap = config.max_steps ?? result.steps;
  const reachedText = result.reached
    ? `✓ reached p > ${threshold} in ${countOf(result.steps, "step")}`
    : `✗ not reached within the cap of ${countOf(cap, "step")} (p = ${formatNumber(result.probability, 2)})`;
  return el(
    "li",
    { className: "card", dataset: { class: result.class } },
    el(
      "div",
      { className: "card-images" },
      el("img", {
        className: "pixelated card-generated",
        src: result.image_url,
        width: 84,
        height: 84,
        alt: `Generated image for ${result.name}`,
        loading: "lazy",
      }),
      el("img", {
        className: "pixelated card-template",
        src: result.template_url,
        width: 42,
        height: 42,
        alt: `Original ${result.name}`,
        loading: "lazy",
      }),
    ),
    el("p", { className: "card-name", text: result.name }),
    rCell(result),
    ...extrasBlock(result),
    el("p", {
      className: `card-reached ${result.reached ? "is-reached" : "is-capped"}`,
      text: reachedText,
    }),
  );
}

// The rows whose confusion matrix is open: a redrawn row keeps it open.
const openConfusions = new Set();

// The confusion matrix of images the model was not fitted on: the held-out test images where
// the run's dataset has them, else the validation images; a run without either (or stored
// before the split was kept) shows the one over its training and validation images together.
function shownConfusion(training) {
  const filled = (matrix) => Array.isArray(matrix) && matrix.length > 0;
  if (filled(training.test_confusion)) return { on: "test", matrix: training.test_confusion, what: "held-out test image" };
  if (filled(training.val_confusion)) return { on: "validation", matrix: training.val_confusion, what: "validation image" };
  if (filled(training.train_confusion)) return { on: "training", matrix: training.train_confusion, what: "training image" };
  return { on: "training", matrix: training.confusion, what: "training and validation image" };
}

function confusionBlock(detail) {
  const { on, matrix, what } = shownConfusion(detail.training || {});
  if (!Array.isArray(matrix) || !matrix.length) return null;
  const results = detail.results || [];
  const keys = (detail.config && detail.config.classes) || [];
  const labels = results.length === matrix.length ? results.map((result) => result.name) : keys;
  if (labels.length !== matrix.length) return null;
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const title = `Confusion matrix on the ${countOf(total, what)}`;
  const block = el(
    "details",
    { className: "confusion-block", dataset: { on } },
    el("summary", { text: title }),
  );
  block.open = openConfusions.has(detail.id);
  let drawn = false;
  const draw = () => {
    if (drawn || !block.open) return;
    drawn = true;
    block.append(confusionHeatmap({ matrix, labels, title }));
  };
  block.addEventListener("toggle", () => {
    if (block.open) openConfusions.add(detail.id);
    else openConfusions.delete(detail.id);
    draw();
  });
  draw();
  return block;
}

function rowBody(detail, context) {
  const parts = [];
  if (detail.status === "queued" || detail.status === "running") {
    parts.push(progressBlock(detail, context));
  }
  if (detail.status === "failed" || detail.status === "cancelled") {
    const cancelled = detail.status === "cancelled";
    const fallback = cancelled ? "Cancelled before it finished." : "The run failed.";
    parts.push(
      el("p", {
        className: `result-error${cancelled ? " is-cancelled" : ""}`,
        text: detail.error || fallback,
      }),
    );
  }
  if (detail.status === "done") {
    const config = detail.config || {};
    const cards = el("ul", { className: "cards", "aria-label": "Generated images per class" });
    for (const result of detail.results || []) cards.append(card(result, config, context.settings.defaults));
    parts.push(cards);
    const confusion = confusionBlock(detail);
    if (confusion) parts.push(confusion);
    // The blocks under a finished row's cards (highlight effects, follow-up runs).
    for (const section of context.sections) {
      const node = section(detail);
      if (node) parts.push(node);
    }
  }
  return parts;
}

// The run's own page, with everything it holds.
export function runLink(detail) {
  return el("a", {
    className: "run-page-link",
    href: `/experiments/${detail.id}/`,
    text: "Open its page",
    "aria-label": `Open the page of experiment ${detail.number ?? detail.id}`,
  });
}

// context: {settings, onReuseSeed(seed), onCancel(id, button),
// sections: [detail -> node or null]}.
export function renderRow(detail, context) {
  const badge = el("span", {
    className: `status-badge status-${detail.status}`,
    text: STATUS_LABELS[detail.status] || detail.status,
  });
  return el(
    "li",
    {
      className: "result-row",
      id: `experiment-${detail.id}`,
      dataset: { id: detail.id, status: detail.status },
      "aria-labelledby": `experiment-${detail.id}-title`,
    },
    el("div", { className: "result-header" }, resultTitle(detail, context.settings), el("span", {}, runLink(detail), " ", badge)),
    metaLine(detail, context),
    ...rowBody(detail, context),
  );
}
