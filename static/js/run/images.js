// A run page's generated images, large and crisp: as stored (scaled min to max, the PNGs of
// the API) or on a diverging colour map centred on zero, drawn from each class's raw values
// (GET …/results/<position>/array/), with its legend. A slider sets their size; pressing an
// image doubles it. Each card also writes the image's range of values as text.
import { apiFetch } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { isNumber } from "../lib/format.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const { d3 } = window;

// Negative values blue, zero white, positive red; m is the largest |value| of any class, so
// every image shares one scale and the legend.
function divergingColour(m) {
  return (value) => d3.interpolateRdBu(0.5 - (m > 0 ? value / m : 0) / 2);
}

function drawDiverging(canvas, values, colour) {
  const rows = values.length;
  const cols = rows ? values[0].length : 0;
  canvas.width = cols;
  canvas.height = rows;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(cols, rows);
  values.forEach((row, i) =>
    row.forEach((value, j) => {
      const { r, g, b } = d3.rgb(colour(value));
      const at = (i * cols + j) * 4;
      pixels.data.set([r, g, b, 255], at);
    }),
  );
  context.putImageData(pixels, 0, 0);
}

function legend(m) {
  const width = 240;
  const node = document.createElementNS(SVG_NS, "svg");
  node.setAttribute("class", "diverging-scale");
  node.setAttribute("aria-hidden", "true");
  const svg = d3.select(node).attr("viewBox", `0 0 ${width + 40} 36`).attr("width", width + 40).attr("height", 36);
  const colour = divergingColour(m);
  const gradient = svg.append("defs").append("linearGradient").attr("id", "diverging-gradient");
  gradient
    .selectAll("stop")
    .data(d3.range(0, 1.0001, 0.1))
    .join("stop")
    .attr("offset", (t) => `${t * 100}%`)
    .attr("stop-color", (t) => colour(-m + 2 * m * t));
  svg.append("rect").attr("x", 20).attr("y", 2).attr("width", width).attr("height", 12).attr("fill", "url(#diverging-gradient)").attr("stroke", "#9aa6b2");
  const x = d3.scaleLinear().domain([-m, m]).range([20, 20 + width]);
  svg.append("g").attr("class", "axis").attr("transform", "translate(0,14)").call(d3.axisBottom(x).tickValues([-m, -m / 2, 0, m / 2, m]).tickFormat(d3.format(".2~g")).tickSize(4));
  const text = `The raw values: below zero blue, zero white, above zero red; the deepest colour is ±${d3.format(".3~g")(m)}, the largest magnitude in any class's image.`;
  return [el("p", { className: "diverging-legend-text", text }), node];
}

function rangeText(values) {
  const flat = values.flat().filter(isNumber);
  if (!flat.length) return "";
  const low = d3.min(flat);
  const high = d3.max(flat);
  return `values from ${d3.format(".3~g")(low)} to ${d3.format(".3~g")(high)}`;
}

function card(result) {
  const label = `Generated image for ${result.name}`;
  const image = el("img", { className: "pixelated run-image is-minmax", src: result.image_url, width: 28, height: 28, alt: label });
  const canvas = el("canvas", { className: "pixelated run-image is-diverging", width: 28, height: 28, role: "img", "aria-label": `${label}, diverging colours` });
  const button = el(
    "button",
    { type: "button", className: "run-image-button", "aria-pressed": "false", "aria-label": `${label}: show twice as large` },
    image,
    canvas,
  );
  const item = el("li", { className: "run-card", dataset: { position: result.position, class: result.class } }, button);
  button.addEventListener("click", () => {
    const zoomed = item.classList.toggle("is-zoomed");
    button.setAttribute("aria-pressed", String(zoomed));
  });
  const r = isNumber(result.r) ? result.r.toFixed(2) : "undefined (a constant image)";
  item.append(
    el("p", { className: "run-card-name", text: result.name }),
    el("p", { className: "run-card-r", text: `|r| = ${r}` }),
    el("p", { className: "run-card-range hint", text: "" }),
    el("img", { className: "pixelated run-template", src: result.template_url, width: 42, height: 42, alt: `Original ${result.name}` }),
  );
  return item;
}

// settings: the page's settings (resultsUrl); detail: the experiment's API detail, finished.
export function renderImages(settings, detail) {
  const results = (detail.results || []).map((result, position) => ({ ...result, position }));
  const list = byId("run-images");
  list.replaceChildren(...results.map(card));
  byId("images-section").hidden = !results.length;
  const section = byId("images-section");
  const zoom = byId("zoom");
  const showSize = () => {
    section.style.setProperty("--run-image", `${zoom.value}px`);
    byId("zoom-value").textContent = `${zoom.value} px`;
  };
  zoom.addEventListener("input", showSize);
  showSize();
  let drawn = null; // the raw values, once fetched
  const draw = async () => {
    if (!drawn) {
      const answers = await Promise.all(results.map((result) => apiFetch(`${settings.resultsUrl}${result.position}/array/`)));
      drawn = answers.map((answer) => (answer.ok && answer.body ? answer.body.values : []));
      const m = d3.max(drawn.flat(2).map((value) => Math.abs(value))) || 0;
      const colour = divergingColour(m);
      drawn.forEach((values, index) => {
        const item = list.children[index];
        drawDiverging(item.querySelector("canvas"), values, colour);
        item.querySelector(".run-card-range").textContent = rangeText(values);
      });
      byId("diverging-legend").replaceChildren(...legend(m));
    }
  };
  const show = async () => {
    const diverging = byId("view-diverging").checked;
    if (diverging) await draw();
    section.classList.toggle("is-diverging", diverging);
    byId("diverging-legend").hidden = !diverging;
  };
  for (const input of document.querySelectorAll("input[name=image-view]")) input.addEventListener("change", show);
  show();
}
