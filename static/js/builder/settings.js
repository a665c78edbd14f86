// Steps 2 to 4 of the Model Builder: the model and the run settings, checked against the
// bounds the page was given (settings.limits, read from the run configuration on the server),
// each error shown beside its field and named by the field's label, the run's estimated
// worker time against the server's limit, and the run button that starts a run.
import { apiFetch, describeErrors, fieldLabel, messagesOf } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { checkList, checkNumber as checkBounds } from "./checks.js";

// How long the page waits after the last change before asking for a new estimate.
const ESTIMATE_DELAY_MS = 250;

// Seconds as the server writes a run's budget: "40 s", "5 min".
function duration(seconds) {
  return seconds < 90 ? `${Math.max(1, Math.round(seconds))} s` : `${Math.round(seconds / 60)} min`;
}

// classes: the chosen classes (setupClasses); onStarted(detail): a run was created.
export function setupSettings(settings, { classes, onStarted }) {
  const form = byId("builder-form");
  const runButton = byId("run-button");
  const runMessage = byId("run-message");
  const formError = byId("form-error");
  const selectionCount = byId("selection-count");
  const seedInput = byId("seed");
  const advanced = byId("advanced");
  const initialInput = byId("initial_image");
  const stepCustom = byId("step_size_custom");
  const epochsCustom = byId("epochs_custom");
  const lambdaInput = byId("highlight_lambda");
  const outsideInput = byId("highlight_outside_relevant");
  const optimizerSelect = byId("optimizer");
  const learningRateInput = byId("learning_rate");
  const estimateLine = byId("run-estimate");
  const numberInputs = Array.from(form.querySelectorAll("input[data-setting]"));
  const label = (field) => fieldLabel(field, settings.labels);
  const checkNumber = (raw, name, options) => checkBounds(settings, raw, name, options);
  let submitting = false;

  // ---------------------------------------------------------------- the run button

  function updateRunState() {
    const names = classes.selectedNames();
    const count = names.length;
    selectionCount.textContent =
      count === 0 ? "No shapes selected." : `${count} selected: ${names.join(", ")}.`;
    const enough = count >= settings.minClasses;
    const tooMany = count > settings.maxClasses;
    const mixed = Boolean(classes.mixText());
    runButton.disabled = !enough || tooMany || mixed || submitting;
    runMessage.classList.toggle("is-blocking", !enough || tooMany || mixed);
    if (mixed) {
      runMessage.textContent = "Pick the classes of one dataset to train.";
    } else if (!enough) {
      const missing = settings.minClasses - count;
      runMessage.textContent = `Select at least ${settings.minClasses} shapes to train (${missing} more).`;
    } else if (tooMany) {
      runMessage.textContent = `Select at most ${settings.maxClasses} shapes.`;
    } else if (submitting) {
      runMessage.textContent = "Starting…";
    } else {
      runMessage.textContent = `Ready: ${count} classes.`;
    }
    if (!submitting) scheduleEstimate();
  }

  // ---------------------------------------------------------------- step 3: hyperparameters

  const initialButtons = Array.from(document.querySelectorAll(".thumb[data-initial]"));
  for (const button of initialButtons) {
    button.addEventListener("click", () => {
      for (const other of initialButtons) other.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-pressed", "true");
      initialInput.value = button.dataset.initial;
      hideError("initial_image");
    });
  }

  function wireCustomChoice(radioName, customInput) {
    for (const radio of form.querySelectorAll(`input[name="${radioName}"]`)) {
      radio.addEventListener("change", () => {
        const custom = radio.value === "custom" && radio.checked;
        customInput.disabled = !custom;
        if (custom) customInput.focus();
      });
    }
  }
  wireCustomChoice("step_size_choice", stepCustom);
  wireCustomChoice("epochs_choice", epochsCustom);

  // Highlighting: the weight applies to the penalty only; "outside yellow" to both methods.
  function highlightMethod() {
    return (form.querySelector('input[name="highlight"]:checked') || { value: "none" }).value;
  }
  function syncHighlighting() {
    const method = highlightMethod();
    lambdaInput.disabled = method !== "rrr";
    outsideInput.disabled = method === "none";
    hideError("highlight");
  }
  for (const radio of form.querySelectorAll('input[name="highlight"]')) {
    radio.addEventListener("change", syncHighlighting);
  }
  syncHighlighting();

  // An empty learning rate is the optimizer's own: the field shows which.
  function syncLearningRate() {
    const rate = settings.learningRates[optimizerSelect.value];
    learningRateInput.placeholder = rate === undefined ? "" : `${rate} (the optimizer's own)`;
  }
  optimizerSelect.addEventListener("change", syncLearningRate);
  syncLearningRate();

  // The model's shape: only the fields of the chosen model are shown and sent.
  const shapeFields = Array.from(form.querySelectorAll("[data-shape-for]"));
  const shapeFixed = byId("shape-fixed");
  function chosenModel() {
    return (form.querySelector('input[name="model"]:checked') || {}).value;
  }
  function syncShape() {
    const model = chosenModel();
    for (const field of shapeFields) field.hidden = field.dataset.shapeFor !== model;
    shapeFixed.hidden = (settings.shapeSettings[model] || []).length > 0;
  }
  for (const radio of form.querySelectorAll('input[name="model"]')) {
    radio.addEventListener("change", syncShape);
  }
  syncShape();

  byId("seed-random").addEventListener("click", () => {
    seedInput.value = "";
    hideError("seed");
    seedInput.focus();
  });

  // ---------------------------------------------------------------- field errors

  function fieldInput(field) {
    if (field === "step_size") return stepCustom.disabled ? null : stepCustom;
    if (field === "epochs") return epochsCustom.disabled ? null : epochsCustom;
    return byId(field);
  }

  function hideError(field) {
    const node = byId(`error-${field}`);
    if (node) {
      node.hidden = true;
      node.textContent = "";
    }
    const input = fieldInput(field);
    if (input) input.removeAttribute("aria-invalid");
  }

  function clearErrors() {
    for (const node of form.querySelectorAll(".field-error")) {
      node.hidden = true;
      node.textContent = "";
    }
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    formError.hidden = true;
    formError.replaceChildren();
  }

  // Shows each message beside the field it names; anything else goes above the run button.
  function showErrors(errors) {
    const general = [];
    let first = null;
    for (const [field, value] of Object.entries(errors)) {
      const text = messagesOf(value).join(" ");
      const node = byId(`error-${field}`);
      if (node) {
        node.textContent = `${label(field)}: ${text}`;
        node.hidden = false;
        if (advanced.contains(node)) advanced.open = true;
        const input = fieldInput(field);
        if (input) input.setAttribute("aria-invalid", "true");
        first = first || input || node;
      } else if (["detail", "non_field_errors", "config"].includes(field)) {
        general.push(text);
      } else {
        general.push(`${label(field)}: ${text}`);
      }
    }
    if (general.length) {
      formError.replaceChildren(...general.map((text) => el("p", { text })));
      formError.hidden = false;
    }
    if (first && typeof first.focus === "function" && first.tagName !== "P") first.focus();
  }

  // ---------------------------------------------------------------- collect and check

  function chosenValue(radioName, customInput) {
    const checked = form.querySelector(`input[name="${radioName}"]:checked`);
    if (!checked) return "";
    return checked.value === "custom" ? customInput.value : checked.value;
  }

  function collect() {
    const errors = {};
    const payload = {
      classes: classes.selected(),
      model: (form.querySelector('input[name="model"]:checked') || {}).value,
      initial_image: initialInput.value,
      objective: byId("objective").value,
      optimizer: optimizerSelect.value,
      clip: byId("clip").checked,
      highlight: highlightMethod(),
      diversity_starts: byId("diversity_starts").value,
      pool_gradient: byId("pool_gradient").value,
    };
    for (const name of settings.shapeSettings[payload.model] || []) {
      const input = byId(name);
      const checked = settings.listLimits[name]
        ? checkList(settings, input.value, name)
        : checkNumber(input.value, name, { integer: true });
      if (checked.error) errors[name] = checked.error;
      else payload[name] = checked.value;
    }
    if (payload.highlight !== "none") {
      payload.highlight_outside_relevant = outsideInput.checked;
    }
    if (payload.highlight === "rrr") {
      const checked = checkNumber(lambdaInput.value, "highlight_lambda");
      if (checked.error) errors.highlight_lambda = checked.error;
      else payload.highlight_lambda = checked.value;
    }
    if (payload.classes.length < settings.minClasses) {
      errors.classes = `Select at least ${settings.minClasses} shapes.`;
    } else if (classes.mixText()) {
      errors.classes = classes.mixText();
    }
    const numbers = [
      ["step_size", chosenValue("step_size_choice", stepCustom), {}],
      ["epochs", chosenValue("epochs_choice", epochsCustom), { integer: true }],
      ["seed", seedInput.value, { integer: true, optional: true }],
      // Advanced: each field says whether it takes whole numbers; only the learning rate may
      // be left empty (the optimizer's own).
      ...numberInputs.map((input) => [
        input.dataset.setting,
        input.value,
        { integer: input.step === "1", optional: input.dataset.setting === "learning_rate" },
      ]),
    ];
    for (const [name, raw, options] of numbers) {
      const checked = checkNumber(raw, name, options);
      if (checked.error) errors[name] = checked.error;
      else if (checked.value !== undefined) payload[name] = checked.value;
    }
    return { payload, errors };
  }

  // ---------------------------------------------------------------- the estimate

  let estimateTimer = null;
  let estimateAsked = 0; // the latest request: an older answer arriving late is dropped

  function scheduleEstimate() {
    clearTimeout(estimateTimer);
    estimateTimer = setTimeout(requestEstimate, ESTIMATE_DELAY_MS);
  }

  function showEstimate(text, { over = false } = {}) {
    estimateLine.textContent = text;
    estimateLine.classList.toggle("is-over", over);
  }

  async function requestEstimate() {
    const asked = ++estimateAsked;
    const { payload, errors } = collect();
    if (errors.classes) {
      showEstimate(
        classes.mixText()
          ? "No estimate of the run's worker time for classes of two datasets."
          : `Select at least ${settings.minClasses} shapes for an estimate of the run's worker time.`,
      );
      return;
    }
    if (Object.keys(errors).length) {
      const fields = Object.keys(errors).map(label).join(", ");
      showEstimate(`No estimate of the run's worker time until these are within bounds: ${fields}.`);
      return;
    }
    try {
      const response = await apiFetch(`${settings.api}experiments/estimate/`, {
        method: "POST",
        body: JSON.stringify(payload),
      });
      if (asked !== estimateAsked) return;
      if (response.ok && response.body) {
        const { seconds, limit } = response.body;
        if (seconds > limit) {
          showEstimate(
            `Estimated worker time: about ${duration(seconds)}, more than the ${duration(limit)} ` +
              "a run may take here: use fewer epochs, copies, classes or steps, a larger batch, or a smaller model.",
            { over: true },
          );
        } else {
          showEstimate(`Estimated worker time: about ${duration(seconds)} of the ${duration(limit)} a run may take here.`);
        }
      } else if (response.status === 400) {
        showEstimate(`No estimate: ${describeErrors(response.body, response.status, settings.labels)}`, {
          over: true,
        });
      } else {
        showEstimate("");
      }
    } catch (_error) {
      if (asked === estimateAsked) showEstimate("");
    }
  }

  // Any run setting changed (the drawing panel's fields are not run settings).
  const drawPanel = byId("draw-panel");
  for (const type of ["input", "change"]) {
    form.addEventListener(type, (event) => {
      if (!drawPanel.contains(event.target)) scheduleEstimate();
    });
  }

  // ---------------------------------------------------------------- step 4: run

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submitting) return;
    clearErrors();
    const { payload, errors } = collect();
    if (Object.keys(errors).length) {
      showErrors(errors);
      return;
    }
    submitting = true;
    updateRunState();
    try {
      const response = await apiFetch(`${settings.api}experiments/`, {
        method: "POST",
        body: JSON.stringify(payload),
      });
      if (response.status === 201 && response.body) {
        onStarted(response.body);
      } else if (response.status === 400 && response.body) {
        showErrors(response.body);
      } else if (response.status === 403) {
        showErrors({ detail: "Your session has ended. Reload the page and log in again." });
      } else {
        const detail = response.body && response.body.detail;
        showErrors({ detail: detail || `The run could not be started (HTTP ${response.status}).` });
      }
    } catch (_error) {
      showErrors({ detail: "The server could not be reached. Check your connection and try again." });
    } finally {
      submitting = false;
      updateRunState();
    }
  });

  return {
    updateRunState,
    hideError,
    // The sweep form sends these settings too, and shows their errors beside their fields.
    collect,
    showErrors,
    clearErrors,
    // "Reuse seed" on a row: its seed goes into the seed field.
    reuseSeed(seed) {
      seedInput.value = String(seed);
      hideError("seed");
      seedInput.focus();
      seedInput.scrollIntoView({ block: "center" });
    },
  };
}
