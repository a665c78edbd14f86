// Step 1's dataset tabs, and what picking a dataset's classes does to the run settings.
// The tabs follow the usual tab pattern: one stop of the Tab key, the arrow keys (and Home,
// End) move between them and show their panel. Once the picked classes all come from a
// dataset other than the one whose settings the fields hold, that dataset's defaults (or the
// page's own, for a setting it leaves alone) are written into the fields, which stay
// editable, and a line says which fields changed. A mix of datasets is named as an error.
import { byId, el } from "../lib/dom.js";

// The fields that choose among preset values, with a "custom" number beside them.
const PRESET_FIELDS = { epochs: "epochs_custom", step_size: "step_size_custom" };

// classes: the step's classes (setupClasses); onChange(): the fields' values were changed.
export function setupDatasets(settings, { classes, onChange }) {
  const form = byId("builder-form");
  const tabs = Array.from(document.querySelectorAll('.dataset-tab[role="tab"]'));
  const status = byId("dataset-status");
  const classError = byId("error-classes");
  const datasets = settings.datasets || {};
  // Every setting some dataset sets: switching datasets gives each a value again.
  const touched = [...new Set(Object.values(datasets).flatMap((d) => Object.keys(d.defaults || {})))];
  let applied = "shapes"; // the dataset whose defaults the fields hold
  let marked = [];

  function show(key, { focus = false } = {}) {
    for (const tab of tabs) {
      const active = tab.dataset.dataset === key;
      tab.setAttribute("aria-selected", active ? "true" : "false");
      tab.tabIndex = active ? 0 : -1;
      byId(tab.getAttribute("aria-controls")).hidden = !active;
      if (active && focus) tab.focus();
    }
  }

  for (const tab of tabs) {
    tab.addEventListener("click", () => show(tab.dataset.dataset));
    tab.addEventListener("keydown", (event) => {
      const at = tabs.indexOf(tab);
      const moves = {
        ArrowRight: (at + 1) % tabs.length,
        ArrowLeft: (at - 1 + tabs.length) % tabs.length,
        Home: 0,
        End: tabs.length - 1,
      };
      if (!(event.key in moves)) return;
      event.preventDefault();
      show(tabs[moves[event.key]].dataset.dataset, { focus: true });
    });
  }

  function unmark() {
    for (const node of marked) node.classList.remove("is-dataset-set");
    marked = [];
  }

  // Writes a value into a setting's field; returns the field shown for it, or null.
  function setField(name, value) {
    const customId = PRESET_FIELDS[name];
    if (customId) {
      const custom = byId(customId);
      const preset = form.querySelector(`input[name="${name}_choice"][value="${value}"]`);
      const choice = preset || form.querySelector(`input[name="${name}_choice"][value="custom"]`);
      choice.checked = true;
      custom.disabled = Boolean(preset);
      custom.value = preset ? "" : String(value);
      return preset ? preset.closest("label") : custom;
    }
    const radio = form.querySelector(`input[type="radio"][name="${name}"][value="${value}"]`);
    if (radio) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
      return radio.closest("label");
    }
    const input = byId(name);
    if (!input) return null;
    if (input.type === "checkbox") input.checked = Boolean(value);
    else input.value = value === null || value === undefined ? "" : String(value);
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return input;
  }

  function apply(dataset) {
    const own = datasets[dataset]?.defaults || {};
    const changed = [];
    unmark();
    for (const name of touched) {
      const value = name in own ? own[name] : settings.defaults[name];
      if (value === undefined) continue;
      const node = setField(name, value);
      if (!node) continue;
      node.classList.add("is-dataset-set");
      marked.push(node);
      changed.push(`${settings.labels[name] || name} ${value ?? "empty"}`);
    }
    applied = dataset;
    status.replaceChildren();
    if (!changed.length) return;
    const reveal = el("button", { type: "button", className: "button-link", text: "Show them" });
    reveal.addEventListener("click", () => {
      const advanced = byId("advanced");
      if (marked.some((node) => advanced.contains(node))) advanced.open = true;
      const first = marked.find((node) => node.matches("input, select")) || marked[0];
      first?.scrollIntoView({ block: "center" });
      first?.focus?.();
    });
    status.append(
      `Settings for ${datasets[dataset]?.title || dataset} applied: ${changed.join(", ")}. You may change them. `,
      reveal,
    );
    onChange();
  }

  // A field changed by hand is no longer marked as set by the dataset.
  form.addEventListener("input", (event) => {
    const node = marked.find((candidate) => candidate === event.target || candidate.contains(event.target));
    if (node) node.classList.remove("is-dataset-set");
  });

  function showCounts() {
    const counts = new Map(classes.pickedByDataset().map(([dataset, names]) => [dataset, names.length]));
    for (const tab of tabs) {
      const count = counts.get(tab.dataset.dataset) || 0;
      // A small figure to the eye; the words to a screen reader.
      tab.querySelector(".dataset-tab-count").replaceChildren(
        ...(count
          ? [
              el("span", { className: "count-pill", "aria-hidden": "true", text: String(count) }),
              el("span", { className: "visually-hidden", text: ` (${count} picked)` }),
            ]
          : []),
      );
    }
  }

  // After any change of the picked classes: the tabs' counts, the mix's error, the defaults.
  function sync({ reveal = false } = {}) {
    showCounts();
    const mix = classes.mixText();
    if (mix) {
      classError.textContent = `${settings.labels.classes}: ${mix}`;
      classError.hidden = false;
    } else if (classError.dataset.mix === "true") {
      classError.hidden = true;
      classError.textContent = "";
    }
    classError.dataset.mix = mix ? "true" : "false";
    const dataset = classes.dataset();
    if (dataset && reveal) show(dataset);
    if (dataset && dataset !== applied) apply(dataset);
  }

  return { sync, show };
}
