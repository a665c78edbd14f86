// The probe's method chooser and its "Feature maps" block. The method goes with each request
// (the answer's map replaces the saliency); the slow ones (Grad-CAM, occlusion) are asked for
// only when a stroke ends. A chosen layer's maps come with the same answer as the bars and are
// drawn as a grid of small grey images, one per channel (or one cell per unit of a dense layer),
// on one scale for the whole layer so the channels can be compared.
import { byId, el } from "../lib/dom.js";

const SLOW = new Set(["grad_cam", "occlusion"]);

function drawMap(map, largest) {
  const rows = map.length;
  const cols = map[0].length;
  const canvas = el("canvas", { className: "probe-feature" });
  canvas.width = cols;
  canvas.height = rows;
  const context = canvas.getContext("2d");
  const image = context.createImageData(cols, rows);
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < cols; c += 1) {
      const grey = largest > 0 ? Math.round((Math.max(0, map[r][c]) / largest) * 255) : 0;
      const offset = (r * cols + c) * 4;
      image.data.set([grey, grey, grey, 255], offset);
    }
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

// onChange: called when the method or the layer changes (the probe asks again).
export function setupExtras(onChange) {
  const method = byId("probe-method");
  const layer = byId("probe-layer");
  const grid = byId("probe-feature-grid");
  const note = byId("probe-features-note");
  let layersKnown = false;

  method.addEventListener("change", onChange);
  layer.addEventListener("change", () => {
    if (!layer.value) {
      grid.replaceChildren();
      note.textContent = "";
      grid.dataset.count = "0";
    }
    onChange();
  });

  function addLayers(names) {
    if (layersKnown || !names) return;
    layersKnown = true;
    layer.append(...names.map((name) => el("option", { value: name, text: name })));
    const convolution = names.some((name) => name.startsWith("conv_"));
    const gradCam = method.querySelector('option[value="grad_cam"]');
    gradCam.disabled = !convolution;
    if (!convolution) gradCam.textContent = "Grad-CAM (needs a convolution)";
  }

  function renderMaps(maps) {
    if (!layer.value || !maps) return;
    const flat = typeof maps[0] === "number";
    const grids = flat ? maps.map((value) => [[value]]) : maps;
    let largest = 0;
    for (const map of grids) for (const row of map) for (const value of row) largest = Math.max(largest, value);
    grid.classList.toggle("is-dense", flat);
    grid.replaceChildren(
      ...grids.map((map, i) => {
        const cell = el("figure", { className: "probe-feature-cell" }, drawMap(map, largest));
        cell.title = `${flat ? "Unit" : "Channel"} ${i + 1}: ${flat ? map[0][0].toFixed(3) : ""}`.replace(/: $/, "");
        return cell;
      }),
    );
    grid.dataset.count = String(grids.length);
    grid.dataset.layer = layer.value;
    const size = flat ? "one value each" : `${grids[0].length} × ${grids[0][0].length} each`;
    note.textContent = `${layer.value}: ${grids.length} ${flat ? "units" : "maps"}, ${size}; white is the layer's largest value, black zero or below.`;
  }

  return {
    // Whether the chosen method waits for a stroke's end.
    slow: () => SLOW.has(method.value),
    // The request's extra fields.
    fields() {
      const body = {};
      if (method.value !== "saliency") body.method = method.value;
      if (layer.value) body.layer = layer.value;
      return body;
    },
    render(answer) {
      addLayers(answer.layers);
      renderMaps(answer.feature_maps);
    },
  };
}
