// A study participant's condition, enforced on the page: loaded by base.html for participants
// only, before the page's own script. It disables and hides what the condition does not allow
// (models outside allowed_models, semantic highlighting, drawing new classes). The API refuses
// such runs as well (400 naming the field); this keeps the page from offering them at all.
import { byId, readJson } from "./lib/dom.js";

const REASON = "Not part of your study condition";

function turnOff(element) {
  if (!element) return;
  element.disabled = true;
  element.hidden = true;
  element.setAttribute("data-study-disallowed", "");
}

function limitModels(allowed) {
  for (const input of document.querySelectorAll('input[name="model"]')) {
    if (allowed.includes(input.value)) continue;
    input.disabled = true;
    input.checked = false;
    const label = input.closest("label");
    if (label) {
      label.setAttribute("data-study-disallowed", "");
      label.title = REASON;
    }
  }
  if (!document.querySelector('input[name="model"]:checked')) {
    const first = document.querySelector('input[name="model"]:not([disabled])');
    if (first) first.checked = true;
  }
}

function applyCondition(rules) {
  const allowed = rules.allowed_models || [];
  if (allowed.length) limitModels(allowed);
  if (!rules.highlighting) {
    const off = document.querySelector('input[name="highlight"][value="none"]');
    if (off) off.checked = true;
    turnOff(byId("highlighting-group"));
    turnOff(byId("highlight-open"));
  }
  if (!rules.drawing) turnOff(byId("draw-open"));
}

if (byId("study-condition")) applyCondition(readJson("study-condition"));
