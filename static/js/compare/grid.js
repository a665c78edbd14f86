// The compare page's tables of pictures and settings: the generated images class by class,
// the settings side by side, the snapshots of generation on a slider, and the grid as a PNG.
// data: the answer of GET /api/v1/compare/.
import { byId, el } from "../lib/dom.js";
import { STATUS_LABELS, formatPercent, isNumber } from "../lib/format.js";
import { CELL, colorOf, d3, fixed, signed } from "./common.js";

// names: class key -> the name the comparison gives it (a list of classes is written by name).
function settingValue(value, names) {
  if (value === null || value === undefined) return "–";
  if (Array.isArray(value)) return value.map((item) => names.get(item) ?? item).join(", ");
  if (typeof value === "boolean") return value ? "on" : "off";
  return String(value);
}

// Under a column's name: its accuracy as every page writes it, or how far the run got.
function experimentSummary(experiment) {
  if (experiment.status === "done") return `accuracy ${formatPercent(experiment.accuracy)}`;
  return STATUS_LABELS[experiment.status] || experiment.status;
}

// Beside it, a finished run's validation and test accuracy, where it has them.
function otherAccuracies(experiment) {
  if (experiment.status !== "done") return null;
  const parts = [];
  if (isNumber(experiment.val_accuracy)) parts.push(`validation ${formatPercent(experiment.val_accuracy)}`);
  if (isNumber(experiment.test_accuracy)) parts.push(`test ${formatPercent(experiment.test_accuracy)}`);
  return parts.length ? el("span", { className: "grid-accuracies", text: parts.join(" · ") }) : null;
}

function experimentHeader(data, experiment, index) {
  const swatch = el("span", { className: "legend-swatch", "aria-hidden": "true" });
  swatch.style.background = colorOf(index);
  const isBase = experiment.id === data.base;
  return el(
    "th",
    { scope: "col", className: isBase ? "is-base" : null, "data-id": experiment.id },
    swatch,
    el("a", { className: "run-page-link", href: `/experiments/${experiment.id}/`, text: experiment.label }),
    isBase ? el("span", { className: "base-mark", text: " (base)" }) : null,
    el("span", { className: "grid-sub", text: experimentSummary(experiment) }),
    otherAccuracies(experiment),
  );
}

function headRow(data) {
  return el(
    "tr",
    {},
    el("th", { scope: "col", text: "Class" }),
    ...data.experiments.map((experiment, index) => experimentHeader(data, experiment, index)),
  );
}

function classHeader(row) {
  return el(
    "th",
    { scope: "row", className: "grid-class" },
    row.template_url
      ? el("img", { className: "pixelated grid-template", src: row.template_url, width: 42, height: 42, alt: "" })
      : null,
    el("span", { text: row.name }),
  );
}

export function renderGrid(data) {
  const body = data.classes.map((row) =>
    el(
      "tr",
      { "data-class": row.key },
      classHeader(row),
      ...row.cells.map((cell, index) => {
        const experiment = data.experiments[index];
        if (!cell) {
          return el("td", { className: "grid-cell is-empty" }, el("span", { className: "visually-hidden", text: "not trained" }));
        }
        const delta =
          experiment.id === data.base || !isNumber(cell.delta_r)
            ? null
            : el("span", { className: "grid-delta", text: ` (${signed(cell.delta_r)})` });
        return el(
          "td",
          { className: "grid-cell" },
          el("img", {
            className: "pixelated grid-image",
            src: cell.image_url,
            width: CELL,
            height: CELL,
            alt: `Generated image for ${row.name} by ${experiment.label}`,
          }),
          el("p", { className: "grid-r" }, "|r| = ", el("strong", { text: fixed(cell.r) }), delta),
        );
      }),
    ),
  );
  byId("compare-grid").replaceChildren(
    el("caption", { className: "visually-hidden", text: "Generated image and |r| per class and experiment" }),
    el("thead", {}, headRow(data)),
    el("tbody", {}, ...body),
  );
}

const sameSetting = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

// The settings side by side. A setting that differs is a marked row, and each value that
// differs from the base column's is a marked cell, in words as well as colour.
export function renderSettings(data, showAll) {
  const rows = data.settings.filter((row) => showAll || row.differs);
  const baseIndex = Math.max(0, data.experiments.findIndex((experiment) => experiment.id === data.base));
  const names = new Map(data.classes.map((row) => [row.key, row.name]));
  byId("settings-same").hidden = rows.length > 0;
  const head = el(
    "tr",
    {},
    el("th", { scope: "col", text: "Setting" }),
    ...data.experiments.map((e, index) =>
      el("th", { scope: "col", className: index === baseIndex ? "is-base" : null }, e.label, index === baseIndex ? " (base)" : null),
    ),
  );
  const cell = (row, value, index) => {
    const changed = row.differs && index !== baseIndex && !sameSetting(value, row.values[baseIndex]);
    return el(
      "td",
      { className: changed ? "differs-from-base" : null },
      settingValue(value, names),
      changed ? el("span", { className: "visually-hidden", text: " (differs from the base)" }) : null,
    );
  };
  byId("settings-table").replaceChildren(
    el("caption", { className: "visually-hidden", text: showAll ? "Every setting" : "The settings that differ" }),
    el("thead", {}, head),
    el(
      "tbody",
      {},
      ...rows.map((row) =>
        el(
          "tr",
          { className: row.differs ? "is-different" : null, "data-setting": row.name },
          el(
            "th",
            { scope: "row" },
            row.differs ? el("span", { className: "differs-mark", "aria-hidden": "true", text: "\u2260 " }) : null,
            row.name.replaceAll("_", " "),
            row.differs ? el("span", { className: "visually-hidden", text: " (differs)" }) : null,
          ),
          ...row.values.map((value, index) => cell(row, value, index)),
        ),
      ),
    ),
  );
}

// The snapshots of generation on a slider that starts at the first frame, with Play/Pause.
const PLAY_FRAME_MS = 450;
let playing = null; // the timer of the evolution being played

function stopPlaying() {
  clearInterval(playing);
  playing = null;
  const button = byId("scrub-play");
  button.textContent = "Play";
  button.setAttribute("aria-label", "Play the evolution");
}

export function renderScrubber(data) {
  stopPlaying();
  const frames = d3.max(data.classes.flatMap((row) => row.cells.map((cell) => (cell ? cell.snapshot_frames : 0)))) || 0;
  byId("scrubber-section").hidden = frames < 2;
  if (frames < 2) return;
  const scrubber = byId("scrubber");
  scrubber.max = String(frames - 1);
  scrubber.value = "0";
  const body = data.classes.map((row) =>
    el(
      "tr",
      {},
      classHeader(row),
      ...row.cells.map((cell, index) => {
        if (!cell || !cell.snapshot_frames) {
          return el("td", { className: "grid-cell is-empty" }, el("span", { className: "visually-hidden", text: "no snapshots" }));
        }
        const image = el("img", {
          className: "pixelated grid-image scrub-image",
          width: CELL,
          height: CELL,
          alt: `Snapshot of ${row.name} by ${data.experiments[index].label}`,
        });
        image.dataset.base = cell.snapshot_url;
        image.dataset.frames = String(cell.snapshot_frames);
        return el("td", { className: "grid-cell" }, image);
      }),
    ),
  );
  byId("scrub-grid").replaceChildren(
    el("caption", { className: "visually-hidden", text: "Snapshots of generation" }),
    el("thead", {}, headRow(data)),
    el("tbody", {}, ...body),
  );
  const show = () => {
    const frame = Number(scrubber.value);
    byId("scrubber-value").textContent = `${frame + 1} of ${frames}`;
    for (const image of document.querySelectorAll(".scrub-image")) {
      // A class that finished early keeps its last frame.
      const own = Math.min(frame, Number(image.dataset.frames) - 1);
      image.src = `${image.dataset.base}${own}.png`;
      image.dataset.frame = String(own);
    }
  };
  scrubber.oninput = () => {
    stopPlaying();
    show();
  };
  byId("scrub-play").onclick = () => {
    if (playing) {
      stopPlaying();
      return;
    }
    // Played to the end, it starts again from the first frame.
    if (Number(scrubber.value) >= frames - 1) scrubber.value = "0";
    show();
    const button = byId("scrub-play");
    button.textContent = "Pause";
    button.setAttribute("aria-label", "Pause the evolution");
    playing = setInterval(() => {
      scrubber.value = String(Number(scrubber.value) + 1);
      show();
      if (Number(scrubber.value) >= frames - 1) stopPlaying();
    }, PLAY_FRAME_MS);
  };
  show();
}

// ---------------------------------------------------------------- export as PNG

function loadImage(src) {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => resolve(null);
    image.src = src;
  });
}

async function drawGrid(data) {
  const labelWidth = 150;
  const column = CELL + 36;
  const header = 48;
  const rowHeight = CELL + 34;
  const canvas = document.createElement("canvas");
  canvas.width = labelWidth + data.experiments.length * column + 12;
  canvas.height = header + data.classes.length * rowHeight + 12;
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingEnabled = false;
  context.fillStyle = "#1d2530";
  context.font = "bold 14px system-ui, sans-serif";
  data.experiments.forEach((experiment, index) => {
    context.fillStyle = colorOf(index);
    context.fillRect(labelWidth + index * column, 14, 10, 10);
    context.fillStyle = "#1d2530";
    const suffix = experiment.id === data.base ? " (base)" : "";
    context.fillText(`${experiment.label}${suffix}`, labelWidth + index * column + 14, 24);
  });
  const images = await Promise.all(
    data.classes.map((row) => Promise.all(row.cells.map((cell) => (cell ? loadImage(cell.image_url) : null)))),
  );
  data.classes.forEach((row, r) => {
    const top = header + r * rowHeight;
    context.fillStyle = "#1d2530";
    context.font = "bold 13px system-ui, sans-serif";
    context.fillText(row.name, 8, top + CELL / 2);
    row.cells.forEach((cell, c) => {
      const left = labelWidth + c * column;
      if (!cell) {
        context.strokeStyle = "#d8dde4";
        context.strokeRect(left, top, CELL, CELL);
        return;
      }
      const image = images[r][c];
      if (image) context.drawImage(image, left, top, CELL, CELL);
      context.fillStyle = "#1d2530";
      context.font = "13px system-ui, sans-serif";
      context.fillText(`|r| = ${fixed(cell.r)}`, left, top + CELL + 18);
    });
  });
  return canvas;
}

// Downloads the grid of generated images, with each |r|, as one PNG.
export async function exportPng(data, button) {
  button.disabled = true;
  try {
    const canvas = await drawGrid(data);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const link = el("a", {
      href: URL.createObjectURL(blob),
      download: `comparison-${data.experiments.map((e) => e.id).join("-")}.png`,
    });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } finally {
    button.disabled = false;
  }
}
