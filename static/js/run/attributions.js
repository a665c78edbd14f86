// The run page's attribution maps: a class, a method and an image (the class's template or
// a training image by index) chosen, the map (GET …/attributions/, 202 while a worker
// computes it) is drawn on a diverging scale over the image, with a slider for its opacity
// and a legend of its sign and magnitude.
import { byId, el } from "../lib/dom.js";
import { offerCorrection, setupCorrection, withdrawCorrection } from "./correction.js";
import { diverging, paint, renderUnits } from "./units.js";
import { pollUntilDone, waitingText } from "./poll.js";

const { d3 } = window;
const SVG_NS = "http://www.w3.org/2000/svg";

// What each method computes, in a line (models_zoo/attribution.py's conventions).
const METHODS = {
  saliency: ["Saliency", "The gradient of the class's logit with respect to each pixel (signed)."],
  smoothgrad: ["SmoothGrad", "The logit's gradient averaged over 25 noisy copies of the image, noise 0.15 of its range (signed)."],
  integrated_gradients: ["Integrated gradients", "Integrated gradients from a black baseline, 32 steps: the map sums to about the logit's rise from black (signed)."],
  grad_cam: ["Grad-CAM", "Grad-CAM on the last convolution, placed back on the 28 × 28 grid (never below zero)."],
  occlusion: ["Occlusion", "The drop in the class's probability when a 4 × 4 black square (stride 2) hides each pixel (signed)."],
};

let cancel = () => {};
let templates = {};

function legend(m) {
  const width = 220;
  const node = document.createElementNS(SVG_NS, "svg");
  node.setAttribute("aria-hidden", "true");
  const svg = d3.select(node).attr("viewBox", `0 0 ${width + 40} 36`).attr("width", width + 40).attr("height", 36);
  const colour = (value) => d3.interpolateRdBu(0.5 - (m > 0 ? value / m : 0) / 2);
  const gradient = svg.append("defs").append("linearGradient").attr("id", "attribution-gradient");
  gradient.selectAll("stop").data(d3.range(0, 1.0001, 0.1)).join("stop")
    .attr("offset", (t) => `${t * 100}%`)
    .attr("stop-color", (t) => colour(-m + 2 * m * t));
  svg.append("rect").attr("x", 20).attr("y", 2).attr("width", width).attr("height", 12).attr("fill", "url(#attribution-gradient)").attr("stroke", "#9aa6b2");
  const x = d3.scaleLinear().domain([-m, m]).range([20, 20 + width]);
  svg.append("g").attr("class", "axis").attr("transform", "translate(0,14)")
    .call(d3.axisBottom(x).tickValues([-m, 0, m]).tickFormat(d3.format(".2~g")).tickSize(4));
  const text = `Below zero blue, zero white, above zero red; the deepest colour is ±${d3.format(".3~g")(m)}, the map's largest magnitude.`;
  return [el("p", { className: "diverging-legend-text", text }), node];
}

function showOpacity() {
  const value = byId("attribution-opacity").value;
  byId("attribution-overlay").style.opacity = String(value / 100);
  byId("attribution-opacity-value").textContent = `${value}%`;
}

// A picture of 28 x 28 pixels, 0 black to 1 white.
function underlay(pixels) {
  const canvas = document.createElement("canvas");
  paint(canvas, pixels, (value) => {
    const grey = Math.round(255 * Math.min(1, Math.max(0, value)));
    return [grey, grey, grey];
  });
  return canvas.toDataURL("image/png");
}

function showMap(body, request) {
  byId("attribution-progress").textContent = "";
  const values = body.map || [];
  const m = d3.max(values.flat(), Math.abs) || 0;
  const overlay = byId("attribution-overlay");
  paint(overlay, values, diverging(values));
  const [name] = METHODS[body.method] || [body.method];
  const what = request.image === "template" ? `the template of ${request.className}` : `training image ${request.image} (a ${body.image_class})`;
  overlay.setAttribute("aria-label", `${name} map of ${request.className}'s score over ${what}`);
  const base = byId("attribution-base");
  // The explained image's own pixels, sent with the map, lie under it (a map stored before
  // they were kept falls back on the template's picture, or stands alone).
  const source = body.pixels ? underlay(body.pixels) : request.image === "template" ? templates[request.classKey] : "";
  base.hidden = !source;
  base.src = source || "";
  base.alt = source ? (request.image === "template" ? `The template of ${request.className}` : `Training image ${request.image}`) : "";
  byId("attribution-legend").replaceChildren(...legend(m));
  byId("attribution-view").hidden = false;
  showOpacity();
  // A map of a class's template can be corrected: the editor paints over that template.
  if (request.image === "template") offerCorrection(request, values);
}

function showError(message) {
  byId("attribution-progress").textContent = "";
  byId("attribution-error").textContent = message;
  byId("attribution-error").hidden = false;
}

function showConvention() {
  const [, line] = METHODS[byId("attribution-method").value] || ["", ""];
  byId("attribution-convention").textContent = line;
}

function ask(baseUrl) {
  cancel();
  const select = byId("attribution-class");
  const training = byId("attribution-training").checked;
  const index = byId("attribution-index");
  byId("attribution-error").hidden = true;
  byId("attribution-view").hidden = true;
  withdrawCorrection();
  if (training && !/^\d+$/.test(index.value)) {
    showError("Image: give a training image's index, a whole number from 0.");
    return;
  }
  const request = {
    classKey: select.value,
    className: select.selectedOptions[0] ? select.selectedOptions[0].textContent : select.value,
    method: byId("attribution-method").value,
    image: training ? index.value : "template",
  };
  const query = new URLSearchParams({ class: request.classKey, method: request.method, image: request.image });
  byId("attribution-progress").textContent = "Asking…";
  cancel = pollUntilDone(`${baseUrl}?${query}`, {
    onWaiting: (seconds) => {
      byId("attribution-progress").textContent = waitingText(seconds);
    },
    onDone: (body) => showMap(body, request),
    onError: showError,
  });
}

// The section for a finished run; layers (from the units listing) tell whether the model
// has a convolution, which grad_cam needs.
export function renderAttributions(settings, detail, layers) {
  const baseUrl = `${settings.detailUrl}attributions/`;
  const results = detail.results || [];
  templates = Object.fromEntries(results.map((result) => [result.class, result.template_url]));
  byId("attribution-class").replaceChildren(...results.map((result) => el("option", { value: result.class, text: result.name })));
  const convolution = layers.some((layer) => layer.kind === "conv");
  const methods = Object.keys(METHODS).filter((key) => key !== "grad_cam" || convolution);
  byId("attribution-method").replaceChildren(...methods.map((key) => el("option", { value: key, text: METHODS[key][0] })));
  byId("attribution-method").addEventListener("change", showConvention);
  byId("attribution-index").addEventListener("input", () => {
    byId("attribution-training").checked = true;
  });
  byId("attribution-opacity").addEventListener("input", showOpacity);
  byId("attribution-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ask(baseUrl);
  });
  showConvention();
  byId("attributions-section").hidden = false;
  setupCorrection(settings, detail);
}

// Both sections of a finished run's inside: the units' layers first, which also say
// whether grad_cam is on offer.
export async function renderInside(settings, detail) {
  const layers = await renderUnits(settings);
  if (layers) renderAttributions(settings, detail, layers);
}
