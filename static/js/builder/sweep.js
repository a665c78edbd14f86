// The Model Builder's sweep form: the settings above (as the run button would send them) over
// several seeds and the values of up to two settings, counted live, sent to POST
// /api/v1/sweeps/; the sweep's page opens once it is queued. An error is shown beside the
// field it names: the seeds, a varied setting's values here, or a setting above.
import { apiFetch, fieldLabel, messagesOf } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { countOf } from "../lib/format.js";

// builder: {collect, showErrors, clearErrors} of the run settings (setupSettings).
export function setupSweep(settings, builder) {
  const sweep = settings.sweep;
  const form = byId("sweep-form");
  const seedsInput = byId("sweep-seeds");
  const countLine = byId("sweep-count");
  const button = byId("sweep-button");
  const general = byId("sweep-error");
  const label = (field) => fieldLabel(field, settings.labels);
  let sending = false;

  // A setting whose value is a list (the layer sizes) takes lists separated by semicolons.
  const isList = (name) => Array.isArray(settings.defaults[name]);
  const choicesOf = (name) => sweep.choices[name];

  // What the page calls a choice: the text of its option or radio button above.
  function choiceLabel(name, value) {
    if (name === "model") return settings.architectures[value] || value;
    if (name === "initial_image") return (settings.initialImages[value] || {}).name || value;
    const option = document.querySelector(`#builder-form select[name="${name}"] option[value="${value}"]`);
    if (option) return option.textContent.trim();
    const radio = document.querySelector(`#builder-form input[name="${name}"][value="${value}"]`);
    const text = radio && radio.closest("label") ? radio.closest("label").textContent.trim() : "";
    return text || value;
  }

  const rows = Array.from(form.querySelectorAll(".sweep-vary")).map((node) => ({
    node,
    select: node.querySelector(".sweep-setting"),
    textField: node.querySelector(".sweep-values-text"),
    input: node.querySelector(".sweep-values"),
    help: node.querySelector(".help"),
    choiceField: node.querySelector(".sweep-values-choices"),
    choices: node.querySelector(".sweep-choices"),
    error: byId(`error-sweep-vary-${node.dataset.row}`),
  }));

  for (const row of rows) {
    row.select.append(...sweep.variable.map((name) => el("option", { value: name, text: label(name) })));
    row.select.addEventListener("change", () => {
      showSetting(row);
      syncSelects();
      update();
    });
  }

  // A setting chosen in one row is not offered in the other.
  function syncSelects() {
    for (const row of rows) {
      const taken = new Set(rows.filter((other) => other !== row).map((other) => other.select.value));
      for (const option of row.select.options) option.disabled = option.value !== "" && taken.has(option.value);
    }
  }

  function showSetting(row) {
    const name = row.select.value;
    hideRowError(row);
    const choices = name ? choicesOf(name) : null;
    row.textField.hidden = !name || Boolean(choices);
    row.choiceField.hidden = !choices;
    row.input.value = "";
    row.choices.replaceChildren();
    if (!name) return;
    if (choices) {
      row.choices.append(
        ...choices.map((value) =>
          el("label", {}, el("input", { type: "checkbox", value, "data-setting": name }), ` ${choiceLabel(name, value)}`),
        ),
      );
      row.choiceField.querySelector("legend").textContent = `Values of ${label(name)}`;
      return;
    }
    row.textField.querySelector("label").textContent = `Values of ${label(name)}`;
    const bounds = settings.limits[name];
    if (isList(name)) {
      row.help.textContent = "Separate the values by semicolons; each is a list of sizes separated by commas, e.g. 64; 128, 64.";
      row.input.removeAttribute("inputmode");
    } else {
      const within = bounds ? ` Each from ${bounds[0]} to ${bounds[1]}.` : "";
      row.help.textContent = `Numbers separated by commas, e.g. ${examples(name)}.${within}`;
      row.input.setAttribute("inputmode", "decimal");
    }
  }

  function examples(name) {
    const current = settings.defaults[name];
    if (typeof current === "number" && current > 0) {
      return [current / 2, current, current * 2].map((v) => Number(v.toPrecision(3))).join(", ");
    }
    return "0, 0.1, 1";
  }

  // The values a row lists: {values} or {error}.
  function rowValues(row) {
    const name = row.select.value;
    if (choicesOf(name)) {
      return { values: Array.from(row.choices.querySelectorAll("input:checked")).map((input) => input.value) };
    }
    const text = row.input.value.trim();
    if (!text) return { values: [] };
    if (isList(name)) {
      const values = text
        .split(";")
        .map((part) => part.trim())
        .filter(Boolean)
        .map((part) => part.split(",").map((item) => Number(item.trim())));
      if (values.some((list) => list.some((item) => !Number.isFinite(item)))) {
        return { error: "each value is a list of numbers separated by commas." };
      }
      return { values };
    }
    const parts = text
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean);
    const bad = parts.find((part) => !Number.isFinite(Number(part)));
    if (bad !== undefined) return { error: `“${bad}” is not a number.` };
    return { values: parts.map(Number) };
  }

  // The sweep as the form stands: {seeds, vary, settingsCount, runs, errors}.
  function read() {
    const errors = {};
    const seeds = Number(seedsInput.value);
    if (!Number.isInteger(seeds) || seeds < sweep.minSeeds || seeds > sweep.maxSeeds) {
      errors.seeds = `a whole number from ${sweep.minSeeds} to ${sweep.maxSeeds}.`;
    }
    const vary = {};
    let settingsCount = 1;
    for (const row of rows) {
      const name = row.select.value;
      if (!name) continue;
      const { values, error } = rowValues(row);
      if (error) errors[`vary.${name}`] = error;
      else if (!values.length) errors[`vary.${name}`] = "list at least one value.";
      else if (values.length > sweep.maxValues) errors[`vary.${name}`] = `list at most ${sweep.maxValues} values.`;
      vary[name] = values || [];
      settingsCount *= (values || []).length;
    }
    const runs = settingsCount * (errors.seeds ? 0 : seeds);
    return { seeds, vary, settingsCount, runs, errors };
  }

  function update() {
    const { seeds, settingsCount, runs, errors } = read();
    const over = runs > sweep.maxRuns;
    if (errors.seeds) {
      countLine.textContent = `The number of seeds must be ${errors.seeds}`;
    } else {
      const sentence = `${countOf(settingsCount, "setting")} x ${countOf(seeds, "seed")} = ${countOf(runs, "run")}`;
      countLine.textContent = over ? `${sentence}: more than the ${sweep.maxRuns} a sweep may have.` : `${sentence}.`;
    }
    countLine.classList.toggle("is-over", over || Boolean(errors.seeds));
    button.disabled = sending || over;
  }

  // ---------------------------------------------------------------- errors

  function hideRowError(row) {
    row.error.hidden = true;
    row.error.textContent = "";
    row.input.removeAttribute("aria-invalid");
  }

  function clear() {
    for (const node of form.querySelectorAll(".field-error")) {
      node.hidden = true;
      node.textContent = "";
    }
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    general.hidden = true;
    general.replaceChildren();
  }

  function show(node, text, input) {
    node.textContent = text;
    node.hidden = false;
    if (input) input.setAttribute("aria-invalid", "true");
  }

  // errors: {field: messages}, fields as the API names them ("seeds", "vary", "vary.epochs",
  // "config.epochs" or {"config": {"epochs": ...}}, or a run setting's own name).
  function showErrors(errors) {
    const above = {};
    const rest = [];
    let first = null;
    const place = (field, value) => {
      if (value && typeof value === "object" && !Array.isArray(value) && ["vary", "config"].includes(field)) {
        for (const [inner, innerValue] of Object.entries(value)) place(`${field}.${inner}`, innerValue);
        return;
      }
      const text = messagesOf(value).join(" ");
      if (field === "seeds") {
        show(byId("error-sweep-seeds"), `Number of seeds: ${text}`, seedsInput);
        first = first || seedsInput;
      } else if (field === "vary") {
        show(byId("error-sweep-vary"), `Settings to vary: ${text}`);
      } else if (field.startsWith("vary.")) {
        const name = field.slice(5);
        const row = rows.find((candidate) => candidate.select.value === name);
        if (row) {
          show(row.error, `${label(name)}: ${text}`, row.textField.hidden ? null : row.input);
          first = first || (row.textField.hidden ? row.select : row.input);
        } else show(byId("error-sweep-vary"), `${label(name)}: ${text}`);
      } else {
        const name = field.startsWith("config.") ? field.slice(7) : field;
        if (byId(`error-${name}`) && name !== "config") above[name] = value;
        else rest.push(["detail", "non_field_errors", "config"].includes(name) ? text : `${label(name)}: ${text}`);
      }
    };
    for (const [field, value] of Object.entries(errors)) place(field, value);
    if (Object.keys(above).length) {
      builder.showErrors(above);
      rest.push(`Check the settings above: ${Object.keys(above).map(label).join(", ")}.`);
    }
    if (rest.length) {
      general.replaceChildren(...rest.map((text) => el("p", { text })));
      general.hidden = false;
    }
    if (first && !Object.keys(above).length) first.focus();
  }

  // ---------------------------------------------------------------- send

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    clear();
    builder.clearErrors();
    const { payload, errors: above } = builder.collect();
    const { seeds, vary, errors } = read();
    if (Object.keys(above).length || Object.keys(errors).length) {
      showErrors({ ...errors, ...Object.fromEntries(Object.entries(above).map(([k, v]) => [`config.${k}`, v])) });
      return;
    }
    sending = true;
    button.textContent = "Starting…";
    update();
    try {
      const response = await apiFetch(`${settings.api}sweeps/`, {
        method: "POST",
        body: JSON.stringify({ config: payload, seeds, vary, name: "" }),
      });
      if (response.status === 201 && response.body) {
        window.location.href = (response.body.urls && response.body.urls.page) || `/sweeps/${response.body.id}/`;
        return;
      }
      if (response.status === 400 && response.body) showErrors(response.body);
      else if (response.status === 403) showErrors({ detail: "Your session has ended. Reload the page and log in again." });
      else showErrors({ detail: messagesOf(response.body).join(" ") || `The sweep could not be started (HTTP ${response.status}).` });
    } catch (_error) {
      showErrors({ detail: "The server could not be reached. Check your connection and try again." });
    } finally {
      sending = false;
      button.textContent = "Train sweep";
      update();
    }
  });

  syncSelects();
  update();
}
