// The Model Builder page: the four steps, then one result row per experiment.
// Everything goes through the JSON API (/api/v1/): the page never reloads while a run trains.
(() => {
  "use strict";

  const settings = JSON.parse(document.getElementById("builder-settings").textContent);
  const form = document.getElementById("builder-form");
  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const runButton = document.getElementById("run-button");
  const runMessage = document.getElementById("run-message");
  const formError = document.getElementById("form-error");
  const selectionCount = document.getElementById("selection-count");
  const seedInput = document.getElementById("seed");
  const advanced = document.getElementById("advanced");
  const resultsList = document.getElementById("results");
  const resultsEmpty = document.getElementById("results-empty");
  const resultsLoading = document.getElementById("results-loading");
  const loadMoreButton = document.getElementById("load-more");
  const announcer = document.getElementById("announcer");

  const FINISHED = new Set(["done", "failed", "cancelled"]);
  const STATUS_LABELS = {
    queued: "Queued",
    running: "Running",
    done: "Done",
    failed: "Failed",
    cancelled: "Cancelled",
  };
  // Settings worth repeating in a row's header when they differ from the defaults.
  const EXTRA_SETTINGS = {
    objective: "objective",
    max_steps: "iteration cap",
    optimizer: "optimizer",
    copies: "copies per class",
    clip: "clipping",
    learning_rate: "learning rate",
    batch_size: "batch size",
  };

  let submitting = false;
  let nextPageUrl = null;
  const rows = new Map(); // experiment id -> {element, timer, failures}

  // ---------------------------------------------------------------- small helpers

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "className") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  async function apiFetch(url, options = {}) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (options.method && options.method !== "GET") {
      headers["X-CSRFToken"] = csrfToken;
      headers["Content-Type"] = "application/json";
    }
    const response = await fetch(url, { credentials: "same-origin", ...options, headers });
    let body = null;
    try {
      body = await response.json();
    } catch (_error) {
      body = null;
    }
    return { ok: response.ok, status: response.status, body };
  }

  function formatNumber(value, digits) {
    return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "–";
  }

  // Losses shrink towards zero over training: keep a few significant digits when they do.
  function formatLoss(value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return "–";
    return value !== 0 && Math.abs(value) < 0.001 ? value.toExponential(1) : value.toFixed(4);
  }

  function formatPercent(value) {
    return typeof value === "number" && Number.isFinite(value)
      ? `${(value * 100).toFixed(1)}%`
      : "–";
  }

  function messagesOf(value) {
    if (value === null || value === undefined) return [];
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(messagesOf);
    if (typeof value === "object") return Object.values(value).flatMap(messagesOf);
    return [String(value)];
  }

  // ---------------------------------------------------------------- step 1: training data

  const classButtons = Array.from(document.querySelectorAll(".thumb[data-class]"));

  function selectedClasses() {
    return classButtons
      .filter((button) => button.getAttribute("aria-pressed") === "true")
      .map((button) => button.dataset.class);
  }

  function updateRunState() {
    const chosen = classButtons.filter((b) => b.getAttribute("aria-pressed") === "true");
    const names = chosen.map((b) => b.dataset.name);
    selectionCount.textContent =
      chosen.length === 0
        ? "No shapes selected."
        : `${chosen.length} selected: ${names.join(", ")}.`;
    const enough = chosen.length >= settings.minClasses;
    const tooMany = chosen.length > settings.maxClasses;
    runButton.disabled = !enough || tooMany || submitting;
    runMessage.classList.toggle("is-blocking", !enough || tooMany);
    if (!enough) {
      const missing = settings.minClasses - chosen.length;
      runMessage.textContent = `Select at least ${settings.minClasses} shapes to train (${missing} more).`;
    } else if (tooMany) {
      runMessage.textContent = `Select at most ${settings.maxClasses} shapes.`;
    } else if (submitting) {
      runMessage.textContent = "Starting…";
    } else {
      runMessage.textContent = `Ready: ${chosen.length} classes.`;
    }
  }

  for (const button of classButtons) {
    button.addEventListener("click", () => {
      const pressed = button.getAttribute("aria-pressed") === "true";
      button.setAttribute("aria-pressed", pressed ? "false" : "true");
      hideError("classes");
      updateRunState();
    });
  }

  // ---------------------------------------------------------------- step 3: hyperparameters

  const initialInput = document.getElementById("initial_image");
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
    const radios = Array.from(form.querySelectorAll(`input[name="${radioName}"]`));
    for (const radio of radios) {
      radio.addEventListener("change", () => {
        const custom = radio.value === "custom" && radio.checked;
        customInput.disabled = !custom;
        if (custom) customInput.focus();
      });
    }
  }
  const stepCustom = document.getElementById("step_size_custom");
  const epochsCustom = document.getElementById("epochs_custom");
  wireCustomChoice("step_size_choice", stepCustom);
  wireCustomChoice("epochs_choice", epochsCustom);

  document.getElementById("seed-random").addEventListener("click", () => {
    seedInput.value = "";
    hideError("seed");
    seedInput.focus();
  });

  // ---------------------------------------------------------------- field errors

  function errorNode(field) {
    return document.getElementById(`error-${field}`);
  }

  function fieldInput(field) {
    if (field === "step_size") return stepCustom.disabled ? null : stepCustom;
    if (field === "epochs") return epochsCustom.disabled ? null : epochsCustom;
    return document.getElementById(field);
  }

  function hideError(field) {
    const node = errorNode(field);
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
    for (const input of form.querySelectorAll("[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
    }
    formError.hidden = true;
    formError.replaceChildren();
  }

  // Shows each message beside the field it names; anything else goes above the run button.
  function showErrors(errors) {
    const general = [];
    let first = null;
    for (const [field, value] of Object.entries(errors)) {
      const text = messagesOf(value).join(" ");
      const node = errorNode(field);
      if (node) {
        node.textContent = text;
        node.hidden = false;
        if (advanced.contains(node)) advanced.open = true;
        const input = fieldInput(field);
        if (input) input.setAttribute("aria-invalid", "true");
        first = first || input || node;
      } else if (["detail", "non_field_errors", "config"].includes(field)) {
        general.push(text);
      } else {
        general.push(`${field.replaceAll("_", " ")}: ${text}`);
      }
    }
    if (general.length) {
      formError.replaceChildren(...general.map((text) => el("p", { text })));
      formError.hidden = false;
    }
    if (first && typeof first.focus === "function" && first.tagName !== "P") first.focus();
  }

  // ---------------------------------------------------------------- collect and validate

  function checkNumber(raw, name, { integer = false, optional = false } = {}) {
    const [low, high] = settings.limits[name];
    const strictLow = settings.strictMin.includes(name);
    const text = String(raw ?? "").trim();
    if (text === "") {
      return optional ? { value: undefined } : { error: "Enter a value." };
    }
    const value = Number(text);
    if (!Number.isFinite(value)) return { error: "Enter a number." };
    if (integer && !Number.isInteger(value)) return { error: "Enter a whole number." };
    const lowText = strictLow ? `more than ${low}` : `at least ${low}`;
    if ((strictLow && value <= low) || (!strictLow && value < low) || value > high) {
      return { error: `Must be ${lowText} and at most ${high}.` };
    }
    return { value };
  }

  function chosenValue(radioName, customInput) {
    const checked = form.querySelector(`input[name="${radioName}"]:checked`);
    if (!checked) return "";
    return checked.value === "custom" ? customInput.value : checked.value;
  }

  function collect() {
    const errors = {};
    const payload = {
      classes: selectedClasses(),
      model: (form.querySelector('input[name="model"]:checked') || {}).value,
      initial_image: initialInput.value,
      objective: document.getElementById("objective").value,
      optimizer: document.getElementById("optimizer").value,
      clip: document.getElementById("clip").checked,
    };
    if (payload.classes.length < settings.minClasses) {
      errors.classes = `Select at least ${settings.minClasses} shapes.`;
    }
    const numbers = [
      ["step_size", chosenValue("step_size_choice", stepCustom), {}],
      ["epochs", chosenValue("epochs_choice", epochsCustom), { integer: true }],
      ["seed", seedInput.value, { integer: true, optional: true }],
      ["max_steps", document.getElementById("max_steps").value, { integer: true }],
      ["copies", document.getElementById("copies").value, { integer: true }],
    ];
    for (const [name, raw, options] of numbers) {
      const checked = checkNumber(raw, name, options);
      if (checked.error) errors[name] = checked.error;
      else if (checked.value !== undefined) payload[name] = checked.value;
    }
    return { payload, errors };
  }

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
        const row = upsertRow(response.body, { prepend: true });
        row.scrollIntoView({
          behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth",
          block: "nearest",
        });
        watch(response.body);
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

  // ---------------------------------------------------------------- result rows

  function reuseSeed(seed) {
    seedInput.value = String(seed);
    hideError("seed");
    seedInput.focus();
    seedInput.scrollIntoView({ block: "center" });
  }

  function headerTitle(detail) {
    const config = detail.config || {};
    const modelLabel = settings.architectures[config.model] || config.model || "?";
    const initial = settings.initialImages[config.initial_image];
    const title = el("h3", { className: "result-title" });
    title.append(`[${detail.number ?? detail.id}]: ${modelLabel}, `);
    if (initial) {
      title.append(
        el("img", {
          className: "pixelated",
          src: initial.src,
          width: 24,
          height: 24,
          alt: `${initial.name} initial image`,
          title: `Initial image: ${initial.name}`,
        }),
      );
    } else {
      title.append(String(config.initial_image ?? "?"));
    }
    title.append(`, ${config.step_size}, ${config.epochs} epochs`);
    return title;
  }

  function extraSettings(config) {
    const parts = [];
    for (const [key, label] of Object.entries(EXTRA_SETTINGS)) {
      if (!(key in config)) continue;
      const value = config[key];
      const fallback = settings.defaults[key];
      if (value === fallback || value === null) continue;
      parts.push(typeof value === "boolean" ? `${label} ${value ? "on" : "off"}` : `${label} ${value}`);
    }
    return parts;
  }

  function metaLine(detail) {
    const meta = el("p", { className: "result-meta" });
    if (detail.status === "done") {
      meta.append(
        el("span", {}, "accuracy ", el("strong", { text: formatPercent(detail.accuracy) })),
        el("span", {}, "loss ", el("strong", { text: formatLoss(detail.loss) })),
      );
      if (typeof detail.val_accuracy === "number") {
        meta.append(
          el("span", {}, "validation ", el("strong", { text: formatPercent(detail.val_accuracy) })),
        );
      }
    }
    const classes = (detail.config && detail.config.classes) || [];
    meta.append(el("span", { text: `${classes.length} classes` }));
    if (detail.seed !== null && detail.seed !== undefined) {
      const reuse = el("button", {
        type: "button",
        className: "button-link reuse-seed",
        text: "Reuse seed",
        "aria-label": `Reuse seed ${detail.seed}`,
      });
      reuse.addEventListener("click", () => reuseSeed(detail.seed));
      meta.append(el("span", {}, "seed ", el("strong", { text: String(detail.seed) }), " ", reuse));
    }
    const extras = extraSettings(detail.config || {});
    if (extras.length) meta.append(el("span", { text: extras.join(" · ") }));
    return meta;
  }

  function progressText(detail) {
    const progress = detail.progress || {};
    const metrics = progress.metrics || {};
    if (detail.status === "queued") return "Queued: waiting for a worker…";
    if (progress.phase === "train") {
      const parts = [`Training: epoch ${progress.done ?? 0} of ${progress.total ?? "?"}`];
      if (typeof metrics.loss === "number") parts.push(`loss ${formatLoss(metrics.loss)}`);
      if (typeof metrics.accuracy === "number") parts.push(`accuracy ${formatPercent(metrics.accuracy)}`);
      return parts.join(" · ");
    }
    if (progress.phase === "generate") {
      return `Generating images: step ${progress.done ?? 0} of ${progress.total ?? "?"}`;
    }
    if (progress.phase === "done") return "Saving the results…";
    return "Starting: building the model…";
  }

  function progressBlock(detail) {
    const fraction = Math.max(0, Math.min(1, (detail.progress && detail.progress.fraction) || 0));
    const percent = Math.round(fraction * 100);
    const text = progressText(detail);
    const fill = el("div", { className: "progress-fill" });
    fill.style.width = `${percent}%`;
    const track = el(
      "div",
      {
        className: "progress-track",
        role: "progressbar",
        "aria-label": `Progress of experiment ${detail.number ?? detail.id}`,
        "aria-valuemin": 0,
        "aria-valuemax": 100,
        "aria-valuenow": percent,
        "aria-valuetext": `${percent}%: ${text}`,
      },
      fill,
    );
    const cancel = el("button", {
      type: "button",
      className: "button button-secondary button-small cancel-button",
      text: "Cancel",
      "aria-label": `Cancel experiment ${detail.number ?? detail.id}`,
    });
    cancel.addEventListener("click", () => cancelExperiment(detail.id, cancel));
    return el(
      "div",
      { className: "progress-block" },
      track,
      el(
        "div",
        { className: "progress-line" },
        el("p", { className: "progress-text", text: `${percent}% · ${text}` }),
        cancel,
      ),
    );
  }

  function rCell(result) {
    const cell = el("p", { className: "card-r" }, "|r| = ");
    if (typeof result.r === "number" && Number.isFinite(result.r)) {
      cell.append(el("strong", { text: result.r.toFixed(2) }));
    } else {
      cell.append(
        el("abbr", {
          text: "—",
          tabindex: 0,
          title: "Undefined: the generated image is constant, so it has no correlation.",
          "aria-label": "undefined, the generated image is constant",
        }),
      );
    }
    return cell;
  }

  function card(result, config) {
    // Generation stops once the class probability exceeds the threshold, whatever the objective.
    const threshold = config.threshold ?? settings.defaults.threshold;
    const cap = config.max_steps ?? result.steps;
    const reachedText = result.reached
      ? `✓ reached p > ${threshold} in ${result.steps} steps`
      : `✗ not reached within the cap of ${cap} steps (p = ${formatNumber(result.probability, 2)})`;
    return el(
      "li",
      { className: "card", dataset: { class: result.class } },
      el(
        "div",
        { className: "card-images" },
        el("img", {
          className: "pixelated card-generated",
          src: result.image_url,
          width: 84,
          height: 84,
          alt: `Generated image for ${result.name}`,
          loading: "lazy",
        }),
        el("img", {
          className: "pixelated card-template",
          src: result.template_url,
          width: 42,
          height: 42,
          alt: `Original ${result.name}`,
          loading: "lazy",
        }),
      ),
      el("p", { className: "card-name", text: result.name }),
      rCell(result),
      el("p", {
        className: `card-reached ${result.reached ? "is-reached" : "is-capped"}`,
        text: reachedText,
      }),
    );
  }

  function rowBody(detail) {
    const parts = [];
    if (detail.status === "queued" || detail.status === "running") {
      parts.push(progressBlock(detail));
    }
    if (detail.status === "failed" || detail.status === "cancelled") {
      const fallback = detail.status === "cancelled" ? "Cancelled before it finished." : "The run failed.";
      parts.push(
        el("p", {
          className: `result-error${detail.status === "cancelled" ? " is-cancelled" : ""}`,
          text: detail.error || fallback,
        }),
      );
    }
    if (detail.status === "done") {
      const config = detail.config || {};
      const cards = el("ul", { className: "cards", "aria-label": "Generated images per class" });
      for (const result of detail.results || []) cards.append(card(result, config));
      parts.push(cards);
    }
    return parts;
  }

  function renderRow(detail) {
    const badge = el("span", {
      className: `status-badge status-${detail.status}`,
      text: STATUS_LABELS[detail.status] || detail.status,
    });
    return el(
      "li",
      {
        className: "result-row",
        id: `experiment-${detail.id}`,
        dataset: { id: detail.id, status: detail.status },
        "aria-labelledby": `experiment-${detail.id}-title`,
      },
      el(
        "div",
        { className: "result-header" },
        (() => {
          const title = headerTitle(detail);
          title.id = `experiment-${detail.id}-title`;
          return title;
        })(),
        badge,
      ),
      metaLine(detail),
      ...rowBody(detail),
    );
  }

  // While a run stays queued or running only its progress changes: update it in place so the
  // bar glides and keyboard focus on the cancel button is kept.
  function updateProgressInPlace(element, detail) {
    const track = element.querySelector(".progress-track");
    const fill = element.querySelector(".progress-fill");
    const text = element.querySelector(".progress-text");
    if (!track || !fill || !text) return false;
    const fraction = Math.max(0, Math.min(1, (detail.progress && detail.progress.fraction) || 0));
    const percent = Math.round(fraction * 100);
    const description = progressText(detail);
    fill.style.width = `${percent}%`;
    track.setAttribute("aria-valuenow", String(percent));
    track.setAttribute("aria-valuetext", `${percent}%: ${description}`);
    text.textContent = `${percent}% · ${description}`;
    return true;
  }

  function upsertRow(detail, { prepend = false } = {}) {
    const known = rows.get(detail.id);
    if (
      known &&
      known.element.dataset.status === detail.status &&
      !FINISHED.has(detail.status) &&
      updateProgressInPlace(known.element, detail)
    ) {
      return known.element;
    }
    const element = renderRow(detail);
    if (known && known.element.dataset.status !== detail.status && FINISHED.has(detail.status)) {
      announce(detail);
    }
    if (known) {
      // Keep keyboard focus on the row's cancel button (or the row) across a redraw.
      const hadFocus = known.element.contains(document.activeElement);
      known.element.replaceWith(element);
      known.element = element;
      if (hadFocus) (element.querySelector(".cancel-button") || element).focus?.();
    } else {
      rows.set(detail.id, { element, timer: null, failures: 0 });
      if (prepend) resultsList.prepend(element);
      else resultsList.append(element);
    }
    resultsEmpty.hidden = rows.size > 0;
    return element;
  }

  // Screen readers hear when a run they started ends, without the chatter of every poll.
  function announce(detail) {
    const label = `Experiment ${detail.number ?? detail.id}`;
    if (detail.status === "done") {
      announcer.textContent = `${label} finished: accuracy ${formatPercent(detail.accuracy)}.`;
    } else if (detail.status === "failed") {
      announcer.textContent = `${label} failed: ${detail.error || "no reason given"}.`;
    } else {
      announcer.textContent = `${label} was cancelled.`;
    }
  }

  function watch(detail) {
    const entry = rows.get(detail.id);
    if (!entry || FINISHED.has(detail.status) || entry.timer) return;
    entry.timer = setTimeout(() => poll(detail.id), settings.pollMs);
  }

  async function poll(id) {
    const entry = rows.get(id);
    if (!entry) return;
    entry.timer = null;
    try {
      const response = await apiFetch(`${settings.api}experiments/${id}/`);
      if (response.ok && response.body) {
        entry.failures = 0;
        upsertRow(response.body);
        watch(response.body);
        return;
      }
      if (response.status === 404) return;
      entry.failures += 1;
    } catch (_error) {
      entry.failures += 1;
    }
    // The server is busy or unreachable: try again, a little more slowly each time.
    const delay = Math.min(5000, settings.pollMs * 2 ** Math.min(entry.failures, 4));
    entry.timer = setTimeout(() => poll(id), delay);
  }

  async function cancelExperiment(id, button) {
    button.disabled = true;
    button.textContent = "Cancelling…";
    try {
      const response = await apiFetch(`${settings.api}experiments/${id}/cancel/`, { method: "POST" });
      if (response.ok && response.body) {
        upsertRow(response.body);
        return;
      }
    } catch (_error) {
      // The next poll shows the true state either way.
    }
    const entry = rows.get(id);
    if (entry && !entry.timer) entry.timer = setTimeout(() => poll(id), settings.pollMs);
  }

  async function loadPage(url) {
    loadMoreButton.disabled = true;
    try {
      const response = await apiFetch(url);
      if (!response.ok || !response.body) {
        resultsLoading.textContent = `Your experiments could not be loaded (HTTP ${response.status}). Reload to try again.`;
        resultsLoading.hidden = false;
        return;
      }
      resultsLoading.hidden = true;
      for (const detail of response.body.results || []) {
        if (rows.has(detail.id)) continue;
        upsertRow(detail);
        watch(detail);
      }
      nextPageUrl = response.body.next;
      loadMoreButton.hidden = !nextPageUrl;
      resultsEmpty.hidden = rows.size > 0;
    } catch (_error) {
      resultsLoading.textContent = "Your experiments could not be loaded. Reload to try again.";
      resultsLoading.hidden = false;
    } finally {
      loadMoreButton.disabled = false;
    }
  }

  loadMoreButton.addEventListener("click", () => {
    if (nextPageUrl) loadPage(nextPageUrl);
  });

  updateRunState();
  loadPage(`${settings.api}experiments/?page_size=${settings.pageSize}`);
})();
