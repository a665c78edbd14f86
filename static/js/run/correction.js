// The correction loop on the run page. From a map that shows a wrong reason, "Mark the wrong
// reason" opens a highlight editor on that class: its template under a red and yellow grid,
// the map laid faintly over it as a guide. Saving stores the class's highlight (the
// highlights API); "Train again with the penalty" queues this run's settings with the
// input-gradient penalty and the same seed, linked to this run (POST …/correct/). On the
// run made so, and on its source run, "Before and after" shows the same class and method's
// map of the source run and of the run trained again side by side, each with the share of
// its absolute attribution inside the red region.
import { apiFetch, describeErrors, sendJson } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { PixelGrid, pixelsFromImage } from "../lib/draw.js";
import { pollUntilDone, waitingText } from "./poll.js";
import { diverging, paint } from "./units.js";

let grid = null;
let target = null; // {classKey, className, values} of the map shown
let api = "";
let detailUrl = "";
let templates = {};
let highlight = null; // the user's saved highlight of the class, if any

function status(text) {
  byId("correction-status").textContent = text;
  byId("correction-error").hidden = true;
}

function error(message) {
  byId("correction-error").textContent = message;
  byId("correction-error").hidden = false;
}

function showGuideOpacity() {
  const value = byId("correction-guide-opacity").value;
  byId("correction-guide").style.opacity = String(value / 100);
  byId("correction-guide-value").textContent = `${value}%`;
}

// Called by the attribution section each time a map is shown: the button follows it.
export function offerCorrection(request, values) {
  const button = byId("correction-open");
  if (!button || !grid) return;
  target = { classKey: request.classKey, className: request.className, values };
  button.hidden = false;
  button.textContent = `Mark the wrong reason in ${request.className}`;
}

// The map is gone (another request is on its way): no editor on a stale map.
export function withdrawCorrection() {
  const button = byId("correction-open");
  if (button) button.hidden = true;
}

async function openEditor() {
  if (!target) return;
  const { classKey, className, values } = target;
  byId("correction-panel").hidden = false;
  byId("correction-open").setAttribute("aria-expanded", "true");
  byId("correction-title").textContent = `Mark the wrong reason in ${className}`;
  paint(byId("correction-guide"), values, diverging(values));
  showGuideOpacity();
  status("Loading the class…");
  try {
    const [background, answer] = await Promise.all([
      pixelsFromImage(templates[classKey] || ""),
      apiFetch(`${api}highlights/`),
    ]);
    if (!answer.ok) throw new Error(describeErrors(answer.body, answer.status));
    highlight = (answer.body || []).find((item) => item.class === classKey) || null;
    grid.reset({ relevant: highlight && highlight.relevant, irrelevant: highlight && highlight.irrelevant }, background);
    status(highlight ? `${className} has a highlight: change it and save.` : `${className} has no highlight yet: paint red where the map shows a wrong reason.`);
    byId("correction-train").disabled = !(highlight && !isEmpty(highlight.irrelevant));
  } catch (failure) {
    error(failure.message);
  }
  byId("correction-canvas").focus({ preventScroll: true });
}

function isEmpty(rows) {
  return !rows || rows.every((row) => row.every((value) => !value));
}

function closeEditor() {
  byId("correction-panel").hidden = true;
  byId("correction-open").setAttribute("aria-expanded", "false");
}

async function save() {
  if (grid.isBlank("irrelevant")) {
    error("Paint a red region first: where the map shows a reason that must not matter.");
    return;
  }
  const payload = {
    class: target.classKey,
    relevant: grid.get("relevant"),
    irrelevant: grid.get("irrelevant"),
    strokes: grid.strokes,
  };
  const url = highlight ? `${api}highlights/${highlight.id}/` : `${api}highlights/`;
  const answer = await sendJson(url, highlight ? "PUT" : "POST", payload);
  if (!answer.ok) {
    error(describeErrors(answer.body, answer.status));
    return;
  }
  highlight = answer.body;
  status(`Saved the highlight of ${target.className}. Train again to use it.`);
  byId("correction-train").disabled = false;
}

async function trainAgain() {
  const button = byId("correction-train");
  button.disabled = true;
  const answer = await sendJson(`${detailUrl}correct/`, "POST");
  if (!answer.ok) {
    error(describeErrors(answer.body, answer.status));
    button.disabled = false;
    return;
  }
  const link = el("a", { href: `/experiments/${answer.body.id}/`, id: "correction-run", text: `run [${answer.body.number}]` });
  byId("correction-status").replaceChildren("Queued ", link, ": this run's settings with the penalty on the red regions, the same seed. Its page shows the maps before and after.");
}

export function setupCorrection(settings, detail) {
  detailUrl = settings.detailUrl;
  api = detailUrl.replace(/experiments\/\d+\/$/, "");
  templates = Object.fromEntries((detail.results || []).map((result) => [result.class, result.template_url]));
  if (!grid) {
    grid = new PixelGrid(byId("correction-canvas"), { layers: ["relevant", "irrelevant"] });
    grid.setLayer("irrelevant");
    grid.bindKeys(byId("correction-canvas"));
    for (const input of document.querySelectorAll("input[name=correction-layer]")) {
      input.addEventListener("change", () => {
        grid.setTool(input.value === "eraser" ? "eraser" : "pen");
        if (input.value !== "eraser") grid.setLayer(input.value);
      });
    }
    byId("correction-open").addEventListener("click", openEditor);
    byId("correction-close").addEventListener("click", closeEditor);
    byId("correction-save").addEventListener("click", save);
    byId("correction-train").addEventListener("click", trainAgain);
    byId("correction-guide-opacity").addEventListener("input", showGuideOpacity);
  }
  setupBeforeAfter(settings, detail);
}

// ------------------------------------------------------------ before and after

// The share of a map's absolute attribution inside a region (models_zoo's region_share):
// the source run's map is measured against the red region this run was trained with.
function shareIn(values, region) {
  let inside = 0;
  let total = 0;
  values.forEach((row, i) => row.forEach((value, j) => {
    total += Math.abs(value);
    if (region[i][j] > 0.5) inside += Math.abs(value);
  }));
  return total > 0 ? inside / total : null;
}

function shareText(share) {
  if (typeof share !== "number") return "no attribution to share out";
  return `${(share * 100).toFixed(1)}% of the attribution inside the red region`;
}

// The pairs of runs this page can set side by side: this run against its source where it was
// trained again with the penalty, and this run against each of its follow-ups trained so.
function beforeAfterPairs(settings, detail) {
  const url = (id) => detailUrl.replace(/\d+\/$/, `${id}/`);
  const pairs = [];
  if (detail.source && detail.config && detail.config.highlight === "rrr") {
    const source = `run [${detail.source_number}]`;
    pairs.push({
      label: `${source} (the source) and this run`,
      before: { url: url(detail.source), who: `the source, ${source}` },
      after: { url: detailUrl, who: "this run" },
      text: ["This run was trained again from ", { id: "before-after-source", href: `/experiments/${detail.source}/`, text: source }, " with the input-gradient penalty on the red regions, with the same seed."],
    });
  }
  for (const run of settings.corrections || []) {
    const name = `run [${run.number}]`;
    pairs.push({
      label: `This run and ${name} (trained with the penalty)`,
      before: { url: detailUrl, who: "this run" },
      after: { url: url(run.id), who: name },
      text: [{ id: "before-after-corrected", href: `/experiments/${run.id}/`, text: name }, " was trained again from this run with the input-gradient penalty on the red regions, with the same seed."],
    });
  }
  return pairs;
}

function showPairText(pair) {
  const parts = pair.text.map((part) => (typeof part === "string" ? part : el("a", part)));
  byId("before-after-pair-text").replaceChildren(...parts);
}

function askBoth(pair, methods) {
  const classKey = byId("before-after-class").value;
  const method = byId("before-after-method").value;
  const query = new URLSearchParams({ class: classKey, method, image: "template" });
  byId("before-after-error").hidden = true;
  byId("before-after-view").hidden = true;
  const found = {};
  byId("before-after-progress").textContent = "Asking…";
  for (const side of ["before", "after"]) {
    pollUntilDone(`${pair[side].url}attributions/?${query}`, {
      onWaiting: (seconds) => {
        byId("before-after-progress").textContent = waitingText(seconds);
      },
      onDone: (body) => {
        found[side] = body;
        if (found.before && found.after) showBoth(pair, found, classKey, methods[method] || method);
      },
      onError: (message) => {
        byId("before-after-progress").textContent = "";
        byId("before-after-error").textContent = `${side === "before" ? "Before" : "After"} (${pair[side].who}): ${message}`;
        byId("before-after-error").hidden = false;
      },
    });
  }
}

function showBoth(pair, found, classKey, methodName) {
  byId("before-after-progress").textContent = "";
  const region = found.after.red_region;
  if (!region) {
    const who = pair.after.who;
    byId("before-after-error").textContent = `${who[0].toUpperCase()}${who.slice(1)}'s copy of the class has no red region: choose a class you painted red.`;
    byId("before-after-error").hidden = false;
    return;
  }
  const shares = { before: shareIn(found.before.map || [], region), after: found.after.red_share };
  for (const side of ["before", "after"]) {
    const body = found[side];
    const values = body.map || [];
    paint(byId(`${side}-map`), values, diverging(values));
    byId(`${side}-base`).src = templates[classKey] || "";
    const label = side === "before" ? "Before" : "After";
    byId(`${side}-caption`).textContent = `${label} (${pair[side].who}): ${shareText(shares[side])}.`;
    byId(`${side}-map`).setAttribute("aria-label", `${methodName} map of ${classKey}, ${side}`);
  }
  byId("before-after-view").hidden = false;
}

function setupBeforeAfter(settings, detail) {
  const pairs = beforeAfterPairs(settings, detail);
  if (!pairs.length) return;
  const pairSelect = byId("before-after-pair");
  pairSelect.replaceChildren(...pairs.map((pair, i) => el("option", { value: String(i), text: pair.label })));
  byId("before-after-pair-field").hidden = pairs.length < 2;
  const chosen = () => pairs[Number(pairSelect.value) || 0];
  showPairText(chosen());
  pairSelect.addEventListener("change", () => {
    showPairText(chosen());
    byId("before-after-view").hidden = true;
    byId("before-after-error").hidden = true;
  });
  const classes = byId("attribution-class");
  byId("before-after-class").replaceChildren(...Array.from(classes.options, (option) => el("option", { value: option.value, text: option.textContent })));
  const methodSelect = byId("attribution-method");
  const methods = Object.fromEntries(Array.from(methodSelect.options, (option) => [option.value, option.textContent]));
  byId("before-after-method").replaceChildren(...Array.from(methodSelect.options, (option) => el("option", { value: option.value, text: option.textContent })));
  byId("before-after-form").addEventListener("submit", (event) => {
    event.preventDefault();
    askBoth(chosen(), methods);
  });
  byId("before-after-section").hidden = false;
}
