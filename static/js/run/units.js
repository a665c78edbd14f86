// The run page's hidden units: a layer chosen from the run's listing (GET …/units/), then
// the image that most excites each of its units (GET …/units/?layer=<name>, 202 while a
// worker computes it) as a grid of crisp, numbered images; for the first weighted layer
// also its weights as images, on a diverging scale.
import { apiFetch, describeErrors } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { pollUntilDone, waitingText } from "./poll.js";

const { d3 } = window;
let cancel = () => {};

// Each value's grey from the image's own minimum (black) to maximum (white).
function greys(values) {
  const flat = values.flat();
  const low = d3.min(flat);
  const high = d3.max(flat);
  return (value) => {
    const t = high > low ? (value - low) / (high - low) : 0;
    const v = Math.round(255 * t);
    return [v, v, v];
  };
}

// Negative blue, zero white, positive red, the deepest at the largest |value|.
export function diverging(values) {
  const m = d3.max(values.flat(), Math.abs) || 0;
  return (value) => {
    const { r, g, b } = d3.rgb(d3.interpolateRdBu(0.5 - (m > 0 ? value / m : 0) / 2));
    return [r, g, b];
  };
}

// A grid of numbers drawn one canvas pixel per value.
export function paint(canvas, values, colour, alpha = 255) {
  const rows = values.length;
  const cols = rows ? values[0].length : 0;
  canvas.width = cols;
  canvas.height = rows;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(cols, rows);
  values.forEach((row, i) =>
    row.forEach((value, j) => pixels.data.set([...colour(value), alpha], (i * cols + j) * 4)),
  );
  context.putImageData(pixels, 0, 0);
}

function card(values, number, what, colourOf) {
  const canvas = el("canvas", { role: "img", "aria-label": `${what} ${number}` });
  paint(canvas, values, colourOf(values));
  return el("li", { className: "unit-card" }, canvas, el("span", { text: `${number}` }));
}

function showGrid(body) {
  byId("units-progress").textContent = "";
  const images = body.images || [];
  const unitWord = body.kind === "conv" ? "filter" : "unit";
  byId("units-caption").textContent = `Layer ${body.layer}: ${images.length} ${unitWord}s, each image scaled from its own minimum (black) to its maximum (white).`;
  byId("unit-grid").replaceChildren(...images.map((values, i) => card(values, i + 1, `Unit`, greys)));
  const weights = Array.isArray(body.weights) ? body.weights : [];
  byId("weight-grid").replaceChildren(...weights.map((values, i) => card(values, i + 1, "Weights of unit", diverging)));
  byId("weights-block").hidden = weights.length === 0;
  byId("units-result").hidden = false;
}

function showError(message) {
  byId("units-progress").textContent = "";
  byId("units-error").textContent = message;
  byId("units-error").hidden = false;
}

function ask(baseUrl) {
  cancel();
  const layer = byId("units-layer").value;
  byId("units-error").hidden = true;
  byId("units-result").hidden = true;
  byId("units-progress").textContent = "Asking…";
  cancel = pollUntilDone(`${baseUrl}?layer=${encodeURIComponent(layer)}`, {
    onWaiting: (seconds) => {
      byId("units-progress").textContent = waitingText(seconds);
    },
    onDone: showGrid,
    onError: showError,
  });
}

// Lists the layers; answers them, or null where the run cannot be looked into (no stored
// weights: the section says why).
export async function renderUnits(settings) {
  const baseUrl = `${settings.detailUrl}units/`;
  const section = byId("units-section");
  section.hidden = false;
  const answer = await apiFetch(baseUrl).catch(() => null);
  if (!answer || !answer.ok) {
    showError(answer ? describeErrors(answer.body, answer.status) : "The layers could not be loaded.");
    byId("units-form").hidden = true;
    return null;
  }
  const layers = answer.body.layers || [];
  byId("units-layer").replaceChildren(
    ...layers.map((layer) => el("option", { value: layer.name, text: `${layer.name} (${layer.kind}, ${layer.units} units)` })),
  );
  byId("units-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ask(baseUrl);
  });
  return layers;
}
