// The probe of a finished run: a 28x28 grid to draw on (mouse, touch or keyboard, or a
// picture scaled down in the browser), the model's probability for each class as bars that
// follow the drawing, and the saliency of the drawing laid over it. Each change of the
// drawing asks POST …/probe/ (at a stroke's end, and at most every PROBE_EVERY_MS during
// one); only the latest request's answer is shown, so a slow answer never overwrites a newer one.
import { apiFetch, describeErrors } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { PixelGrid, SIZE } from "../lib/draw.js";
import { setupExtras } from "./probe_extras.js";

const PROBE_EVERY_MS = 150;
const RETRY_MS = 1500;
const POSITIVE = [220, 38, 38];
const NEGATIVE = [37, 99, 235];

export const percentText = (p) => `${(p * 100).toFixed(1)}%`;

// A picture file as 28x28 grey rows in [0, 1]: decoded in the browser (no blob: or data:
// URL, which the page's policy would have to allow) and drawn scaled onto a small canvas over
// black, so transparent parts are dark, as the classes' background is.
export async function pictureRows(file) {
  let picture;
  try {
    picture = await createImageBitmap(file);
  } catch (_error) {
    throw new Error("The file could not be read as a PNG or JPEG picture.");
  }
  const canvas = document.createElement("canvas");
  canvas.width = SIZE;
  canvas.height = SIZE;
  const context = canvas.getContext("2d");
  context.fillStyle = "#000";
  context.fillRect(0, 0, SIZE, SIZE);
  context.drawImage(picture, 0, 0, SIZE, SIZE);
  picture.close();
  const data = context.getImageData(0, 0, SIZE, SIZE).data;
  const rows = [];
  for (let r = 0; r < SIZE; r += 1) {
    const row = [];
    for (let c = 0; c < SIZE; c += 1) {
      const i = (r * SIZE + c) * 4;
      const grey = (0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]) / 255;
      row.push(Math.round(grey * 10000) / 10000);
    }
    rows.push(row);
  }
  return rows;
}

// The saliency on the small overlay canvas: red above zero, blue below, opaque in proportion
// to the size of the value against the largest one.
function drawSaliency(canvas, saliency) {
  const context = canvas.getContext("2d");
  const image = context.createImageData(SIZE, SIZE);
  let largest = 0;
  for (const row of saliency) for (const value of row) largest = Math.max(largest, Math.abs(value));
  for (let r = 0; r < SIZE; r += 1) {
    for (let c = 0; c < SIZE; c += 1) {
      const value = saliency[r][c];
      const colour = value >= 0 ? POSITIVE : NEGATIVE;
      const offset = (r * SIZE + c) * 4;
      image.data.set(colour, offset);
      image.data[offset + 3] = largest > 0 ? Math.round((Math.abs(value) / largest) * 255) : 0;
    }
  }
  context.putImageData(image, 0, 0);
}

// detail: the run's API detail, finished; its results name the classes.
export function setupProbe(detail) {
  const section = byId("probe-section");
  if (!section || section.dataset.ready) return;
  section.dataset.ready = "true";
  const url = section.dataset.url;
  const canvas = byId("probe-canvas");
  const overlay = byId("probe-saliency");
  const bars = byId("probe-bars");
  const error = byId("probe-error");
  const status = byId("probe-status");
  const chooser = byId("probe-class");
  const overlayToggle = byId("probe-overlay");
  const opacity = byId("probe-opacity");
  const undoButton = byId("probe-undo");
  const upload = byId("probe-upload");
  const keys = detail.classes || [];
  const names = new Map((detail.results || []).map((result, i) => [result.class || keys[i], result.name]));
  const nameOf = (key) => names.get(key) || key;

  chooser.append(...Array.from(names, ([key, name]) => el("option", { value: key, text: name })));

  let latest = 0; // the number of the latest request; older answers are dropped
  let lastSent = 0;
  let pending = null; // a throttled request waiting for its turn
  let retry = null;

  const grid = new PixelGrid(canvas, {
    layers: ["ink"],
    onChange: () => {
      undoButton.disabled = !grid.canUndo();
      ask();
    },
  });
  grid.bindKeys(section);
  const extras = setupExtras(() => send());

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function renderBars(answer) {
    bars.replaceChildren(
      ...answer.probabilities.map(({ class: key, p }) => {
        const fill = el("span", { className: "probe-bar-fill" });
        fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
        const explained = key === answer.class;
        return el(
          "li",
          { className: explained ? "probe-row is-explained" : "probe-row", dataset: { class: key, p: String(p) } },
          el("span", { className: "probe-name", text: nameOf(key) }),
          el("span", { className: "probe-bar", "aria-hidden": "true" }, fill),
          el("span", { className: "probe-value", text: percentText(p) }),
        );
      }),
    );
    const top = answer.probabilities.reduce((best, item) => (item.p > best.p ? item : best));
    status.textContent = `Most likely ${nameOf(top.class)} (${percentText(top.p)}); the saliency explains ${nameOf(answer.class)}.`;
  }

  function applyOverlay() {
    overlay.hidden = !overlayToggle.checked || !section.dataset.saliency;
    overlay.style.opacity = String(Number(opacity.value) / 100);
    byId("probe-opacity-value").textContent = `${opacity.value}%`;
    opacity.disabled = !overlayToggle.checked;
  }

  async function send() {
    pending = null;
    clearTimeout(retry);
    lastSent = Date.now();
    latest += 1;
    const number = latest;
    const body = { pixels: grid.get("ink") };
    if (chooser.value) body.class = chooser.value;
    Object.assign(body, extras.fields());
    let answer;
    try {
      answer = await apiFetch(url, { method: "POST", body: JSON.stringify(body) });
    } catch (_error) {
      answer = null;
    }
    if (number !== latest) return;
    if (!answer) {
      showError("The server could not be reached. Draw again to retry.");
      return;
    }
    if (answer.status === 429) {
      showError("Too many probes at once: the answer follows in a moment.");
      retry = setTimeout(send, RETRY_MS);
      return;
    }
    if (!answer.ok) {
      const reason = describeErrors(answer.body, answer.status);
      showError(answer.status === 409 ? `This run cannot be probed: ${reason}` : reason);
      return;
    }
    showError("");
    section.dataset.answers = String(Number(section.dataset.answers || 0) + 1);
    renderBars(answer.body);
    drawSaliency(overlay, answer.body.saliency);
    section.dataset.saliency = answer.body.class;
    section.dataset.method = answer.body.method;
    extras.render(answer.body);
    applyOverlay();
  }

  // At once, unless one went out less than PROBE_EVERY_MS ago: then once that time is up.
  function ask() {
    if (pending) return;
    const wait = PROBE_EVERY_MS - (Date.now() - lastSent);
    if (wait <= 0) send();
    else pending = setTimeout(send, wait);
  }

  // During a stroke the grid only redraws; the probe asks on the way, throttled (for a slow
  // method, only at the stroke's end).
  canvas.addEventListener("pointermove", () => {
    if (grid.drawing && !extras.slow()) ask();
  });
  undoButton.addEventListener("click", () => grid.undo());
  byId("probe-clear").addEventListener("click", () => grid.clear());
  chooser.addEventListener("change", send);
  overlayToggle.addEventListener("change", applyOverlay);
  opacity.addEventListener("input", applyOverlay);
  upload.addEventListener("change", async () => {
    const file = upload.files && upload.files[0];
    if (!file) return;
    try {
      grid.load({ ink: await pictureRows(file) });
      showError("");
    } catch (problem) {
      showError(problem.message);
    }
  });
  applyOverlay();
  send();
}
