// The Model Builder page: the four steps, then one result row per experiment.
// Everything goes through the JSON API (/api/v1/): the page never reloads while a run trains.
(() => {
  "use strict";

  const { apiFetch, el, formatLoss, formatPercent, messagesOf, progressText } = window.ShapeShop;

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

  function formatNumber(value, digits) {
    return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "–";
  }

  // ---------------------------------------------------------------- step 1: training data

  // The user's own classes join the catalogue's thumbnails after the page loads, so the
  // buttons are looked up each time and clicks are handled for the whole grid.
  const thumbGrid = document.querySelector(".thumb-grid");

  function classButtons() {
    return Array.from(thumbGrid.querySelectorAll(".thumb[data-class]"));
  }

  function selectedClasses() {
    return classButtons()
      .filter((button) => button.getAttribute("aria-pressed") === "true")
      .map((button) => button.dataset.class);
  }

  function updateRunState() {
    const chosen = classButtons().filter((b) => b.getAttribute("aria-pressed") === "true");
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

  thumbGrid.addEventListener("click", (event) => {
    const button = event.target.closest(".thumb[data-class]");
    if (!button || !thumbGrid.contains(button)) return;
    const pressed = button.getAttribute("aria-pressed") === "true";
    button.setAttribute("aria-pressed", pressed ? "false" : "true");
    // In a study, the interaction log (events.js) records every class picked or dropped.
    if (window.shapeshopLog) {
      window.shapeshopLog("classes_selected", { class: button.dataset.class, selected: !pressed });
    }
    hideError("classes");
    updateRunState();
  });

  // ---------------------------------------------------------------- step 1: own classes

  const Draw = window.ShapeShopDraw;
  const catalogue = classButtons().map((button) => ({
    key: button.dataset.class,
    name: button.dataset.name,
    noise: button.dataset.noise === "true",
    src: button.querySelector("img").getAttribute("src"),
  }));
  const ownClasses = new Map(); // "drawn:<id>" -> {id, key, name, pixels}
  const highlights = new Map(); // class reference -> {id, class, relevant, irrelevant}
  const ownStatus = document.getElementById("own-classes-status");
  const panel = document.getElementById("draw-panel");
  const panelTitle = document.getElementById("draw-title");
  const panelIntro = document.getElementById("draw-intro");
  const drawOpen = document.getElementById("draw-open");
  const highlightOpen = document.getElementById("highlight-open");
  const drawCanvas = document.getElementById("draw-canvas");
  const highlightCanvas = document.getElementById("highlight-canvas");
  const nameInput = document.getElementById("draw-name");
  const deriveSelect = document.getElementById("draw-derive");
  const uploadInput = document.getElementById("draw-upload");
  const highlightSelect = document.getElementById("highlight-class");
  const undoButton = document.getElementById("draw-undo");
  const redoButton = document.getElementById("draw-redo");
  const saveButton = document.getElementById("draw-save");
  const highlightDelete = document.getElementById("highlight-delete");
  const drawError = document.getElementById("draw-error");
  const drawStatus = document.getElementById("draw-status");

  let panelMode = null; // "draw" or "highlight" while the panel is open
  let editingId = null; // the drawn class being changed, null for a new one
  let highlightRef = null; // the class being highlighted

  const syncHistoryButtons = (grid) => {
    if (grid !== activeGrid()) return;
    undoButton.disabled = !grid.canUndo();
    redoButton.disabled = !grid.canRedo();
  };
  const drawGrid = new Draw.PixelGrid(drawCanvas, { layers: ["ink"], onChange: syncHistoryButtons });
  const maskGrid = new Draw.PixelGrid(highlightCanvas, {
    layers: ["relevant", "irrelevant"],
    onChange: syncHistoryButtons,
  });
  maskGrid.setLayer("irrelevant");
  drawGrid.bindKeys(drawCanvas);
  maskGrid.bindKeys(highlightCanvas);

  function activeGrid() {
    return panelMode === "highlight" ? maskGrid : drawGrid;
  }

  function showDrawError(messages) {
    drawError.textContent = messages;
    drawError.hidden = !messages;
  }

  function describeErrors(body, status) {
    if (!body) return `The server answered HTTP ${status}.`;
    const parts = [];
    for (const [field, value] of Object.entries(body)) {
      const text = messagesOf(value).join(" ");
      parts.push(["detail", "non_field_errors"].includes(field) ? text : `${field}: ${text}`);
    }
    return parts.join(" ");
  }

  function classLabel(ref) {
    const own = ownClasses.get(ref);
    if (own) return own.name;
    const shape = catalogue.find((entry) => entry.key === ref);
    return shape ? shape.name : ref;
  }

  async function pixelsOf(ref) {
    const own = ownClasses.get(ref);
    if (own) return own.pixels;
    const shape = catalogue.find((entry) => entry.key === ref);
    if (!shape) throw new Error(`No class ${ref}.`);
    return Draw.pixelsFromImage(shape.src);
  }

  // ---- thumbnails of the user's own classes, and highlight overlays on every thumbnail

  function ownThumb(shapeClass, pressed) {
    const picture = el("canvas", { className: "pixelated", width: 28, height: 28 });
    Draw.renderPixels(picture, shapeClass.pixels);
    const button = el(
      "button",
      {
        type: "button",
        className: "thumb thumb-own",
        dataset: { class: shapeClass.key, name: shapeClass.name, own: "true" },
        "aria-pressed": pressed ? "true" : "false",
      },
      el("span", { className: "thumb-picture" }, picture),
      el("span", { className: "thumb-label", text: shapeClass.name }),
      el("span", { className: "thumb-badge", text: "Yours" }),
    );
    const action = (text, label, handler) => {
      const node = el("button", {
        type: "button",
        className: "button-link thumb-action",
        text,
        "aria-label": `${label} ${shapeClass.name}`,
      });
      node.addEventListener("click", handler);
      return node;
    };
    return el(
      "div",
      { className: "thumb-item", dataset: { ownItem: shapeClass.key } },
      button,
      el(
        "div",
        { className: "thumb-actions" },
        action("Edit", "Edit", () => openDraw(shapeClass.key)),
        action("Highlight", "Highlight", () => openHighlight(shapeClass.key)),
        action("Delete", "Delete", () => deleteClass(shapeClass.key)),
      ),
    );
  }

  function placeOwnThumb(shapeClass) {
    const existing = thumbGrid.querySelector(`[data-own-item="${shapeClass.key}"]`);
    const pressed = existing
      ? existing.querySelector(".thumb").getAttribute("aria-pressed") === "true"
      : false;
    const item = ownThumb(shapeClass, pressed);
    if (existing) existing.replaceWith(item);
    else thumbGrid.append(item);
    return item;
  }

  function refreshOverlays() {
    for (const button of classButtons()) {
      const holder = button.querySelector(".thumb-picture");
      if (!holder) continue;
      holder.querySelector(".thumb-overlay")?.remove();
      button.querySelector(".thumb-highlighted")?.remove();
      const highlight = highlights.get(button.dataset.class);
      button.dataset.highlighted = highlight ? "true" : "false";
      if (!highlight) continue;
      const overlay = el("canvas", { className: "thumb-overlay pixelated", "aria-hidden": "true" });
      Draw.renderOverlay(overlay, highlight);
      holder.append(overlay);
      button.append(el("span", { className: "visually-hidden thumb-highlighted", text: " (highlighted)" }));
    }
  }

  function fillSelects() {
    const options = (entries) => entries.map(([value, text]) => el("option", { value, text }));
    const own = Array.from(ownClasses.values()).map((c) => [c.key, c.name]);
    const derive = deriveSelect.value;
    deriveSelect.replaceChildren(
      el("optgroup", { label: "Catalogue" }, ...options(catalogue.map((c) => [c.key, c.name]))),
      own.length ? el("optgroup", { label: "Your classes" }, ...options(own)) : null,
    );
    if (derive) deriveSelect.value = derive;
    const paintable = catalogue.filter((c) => !c.noise).map((c) => [c.key, c.name]);
    highlightSelect.replaceChildren(
      el("optgroup", { label: "Catalogue" }, ...options(paintable)),
      own.length ? el("optgroup", { label: "Your classes" }, ...options(own)) : null,
    );
    if (highlightRef) highlightSelect.value = highlightRef;
  }

  async function loadOwn() {
    try {
      const [classes, marks] = await Promise.all([
        apiFetch(`${settings.api}classes/`),
        apiFetch(`${settings.api}highlights/`),
      ]);
      if (!classes.ok || !marks.ok) throw new Error("not loaded");
      for (const shapeClass of classes.body) {
        ownClasses.set(shapeClass.key, shapeClass);
        placeOwnThumb(shapeClass);
      }
      for (const highlight of marks.body) highlights.set(highlight.class, highlight);
      ownStatus.textContent = "";
    } catch (_error) {
      ownStatus.textContent = "Your own classes could not be loaded. Reload to try again.";
    }
    fillSelects();
    refreshOverlays();
    updateRunState();
  }

  // ---- the panel

  function showPanel(mode) {
    panelMode = mode;
    panel.hidden = false;
    for (const fields of panel.querySelectorAll(".draw-mode-fields")) {
      fields.hidden = fields.dataset.mode !== mode;
    }
    drawCanvas.hidden = mode !== "draw";
    highlightCanvas.hidden = mode !== "highlight";
    drawOpen.setAttribute("aria-expanded", String(mode === "draw"));
    highlightOpen.setAttribute("aria-expanded", String(mode === "highlight"));
    showDrawError("");
    drawStatus.textContent = "";
    applyTools();
    syncHistoryButtons(activeGrid());
    panel.scrollIntoView({ block: "nearest" });
  }

  function closePanel() {
    panel.hidden = true;
    panelMode = null;
    drawOpen.setAttribute("aria-expanded", "false");
    highlightOpen.setAttribute("aria-expanded", "false");
  }

  function openDraw(ref = null) {
    const shapeClass = ref ? ownClasses.get(ref) : null;
    editingId = shapeClass ? shapeClass.id : null;
    showPanel("draw");
    panelTitle.textContent = shapeClass ? `Edit “${shapeClass.name}”` : "Draw a class";
    panelIntro.textContent =
      "Draw with the mouse on the 28 × 28 grid: a light shape on black, like the shapes above.";
    saveButton.textContent = shapeClass ? "Save changes" : "Save class";
    highlightDelete.hidden = true;
    nameInput.value = shapeClass ? shapeClass.name : "";
    uploadInput.value = "";
    drawGrid.reset({ ink: shapeClass ? shapeClass.pixels : null });
    nameInput.focus();
  }

  async function openHighlight(ref = null) {
    highlightRef = ref || highlightRef || highlightSelect.value;
    showPanel("highlight");
    panelTitle.textContent = "Highlight a class";
    panelIntro.textContent =
      "Paint yellow over what is the class and red over what is not part of it (a spurious mark). Highlighted training uses the red region, and optionally everything outside yellow.";
    saveButton.textContent = "Save highlight";
    highlightSelect.value = highlightRef;
    await loadHighlightTarget(highlightRef);
    highlightCanvas.focus({ preventScroll: true });
  }

  async function loadHighlightTarget(ref) {
    highlightRef = ref;
    const existing = highlights.get(ref);
    highlightDelete.hidden = !existing;
    try {
      const background = await pixelsOf(ref);
      if (highlightRef !== ref) return;
      maskGrid.reset(
        { relevant: existing && existing.relevant, irrelevant: existing && existing.irrelevant },
        background,
      );
      drawStatus.textContent = existing
        ? `${classLabel(ref)} has a highlight: change it and save.`
        : `${classLabel(ref)} has no highlight yet.`;
    } catch (error) {
      showDrawError(error.message);
    }
  }

  function applyTools() {
    const tool = panel.querySelector('input[name="draw-tool"]:checked').value;
    const size = panel.querySelector('input[name="draw-size"]:checked').value;
    const layer = panel.querySelector('input[name="draw-layer"]:checked').value;
    for (const grid of [drawGrid, maskGrid]) {
      grid.setTool(tool);
      grid.setSize(size);
    }
    maskGrid.setLayer(layer);
  }

  for (const input of panel.querySelectorAll('input[type="radio"]')) {
    input.addEventListener("change", applyTools);
  }

  drawOpen.addEventListener("click", () => openDraw());
  highlightOpen.addEventListener("click", () => openHighlight());
  document.getElementById("draw-close").addEventListener("click", () => {
    closePanel();
    drawOpen.focus();
  });
  undoButton.addEventListener("click", () => activeGrid().undo());
  redoButton.addEventListener("click", () => activeGrid().redo());
  document.getElementById("draw-clear").addEventListener("click", () => activeGrid().clear());
  highlightSelect.addEventListener("change", () => loadHighlightTarget(highlightSelect.value));

  document.getElementById("draw-derive-load").addEventListener("click", async () => {
    const ref = deriveSelect.value;
    showDrawError("");
    try {
      drawGrid.load({ ink: await pixelsOf(ref) });
      if (!nameInput.value.trim()) nameInput.value = `${classLabel(ref)} variant`.slice(0, 40);
      drawStatus.textContent = `Started from ${classLabel(ref)}.`;
    } catch (error) {
      showDrawError(error.message);
    }
  });

  uploadInput.addEventListener("change", async () => {
    const file = uploadInput.files && uploadInput.files[0];
    if (!file) return;
    showDrawError("");
    drawStatus.textContent = "Converting the picture…";
    const body = new FormData();
    body.append("image", file);
    try {
      const response = await fetch(`${settings.api}classes/convert/`, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
        body,
      });
      const answer = await response.json().catch(() => null);
      if (!response.ok || !answer || !answer.pixels) {
        drawStatus.textContent = "";
        showDrawError(describeErrors(answer, response.status));
        return;
      }
      drawGrid.load({ ink: answer.pixels });
      if (!nameInput.value.trim()) {
        nameInput.value = file.name.replace(/\.[^.]*$/, "").slice(0, 40);
      }
      drawStatus.textContent = "The picture is on the grid: touch it up, name it and save.";
    } catch (_error) {
      drawStatus.textContent = "";
      showDrawError("The server could not be reached. Try again.");
    }
  });

  async function saveClass() {
    const name = nameInput.value.trim();
    if (!name) {
      showDrawError("Give the class a name.");
      nameInput.focus();
      return;
    }
    if (drawGrid.isBlank()) {
      showDrawError("The drawing is blank: draw a shape first.");
      return;
    }
    const url = editingId ? `${settings.api}classes/${editingId}/` : `${settings.api}classes/`;
    const response = await apiFetch(url, {
      method: editingId ? "PUT" : "POST",
      body: JSON.stringify({ name, pixels: drawGrid.get("ink"), strokes: drawGrid.strokes }),
    });
    if (!response.ok) {
      showDrawError(describeErrors(response.body, response.status));
      return;
    }
    const shapeClass = response.body;
    const created = !editingId;
    ownClasses.set(shapeClass.key, shapeClass);
    const item = placeOwnThumb(shapeClass);
    if (created) item.querySelector(".thumb").setAttribute("aria-pressed", "true");
    editingId = shapeClass.id;
    panelTitle.textContent = `Edit “${shapeClass.name}”`;
    saveButton.textContent = "Save changes";
    fillSelects();
    refreshOverlays();
    updateRunState();
    drawStatus.textContent = created
      ? `Saved “${shapeClass.name}”: it is selected for training.`
      : `Saved the changes to “${shapeClass.name}”.`;
  }

  async function saveHighlight() {
    const ref = highlightRef;
    const existing = highlights.get(ref);
    if (maskGrid.isBlank()) {
      showDrawError("Paint a yellow or red region first (or delete the highlight).");
      return;
    }
    const payload = {
      class: ref,
      relevant: maskGrid.get("relevant"),
      irrelevant: maskGrid.get("irrelevant"),
      strokes: maskGrid.strokes,
    };
    const response = await apiFetch(
      existing ? `${settings.api}highlights/${existing.id}/` : `${settings.api}highlights/`,
      { method: existing ? "PUT" : "POST", body: JSON.stringify(payload) },
    );
    if (!response.ok) {
      showDrawError(describeErrors(response.body, response.status));
      return;
    }
    highlights.set(ref, response.body);
    highlightDelete.hidden = false;
    refreshOverlays();
    drawStatus.textContent = `Saved the highlight of ${classLabel(ref)}.`;
  }

  saveButton.addEventListener("click", async () => {
    showDrawError("");
    saveButton.disabled = true;
    try {
      if (panelMode === "highlight") await saveHighlight();
      else await saveClass();
    } catch (_error) {
      showDrawError("The server could not be reached. Try again.");
    } finally {
      saveButton.disabled = false;
    }
  });

  highlightDelete.addEventListener("click", async () => {
    const existing = highlights.get(highlightRef);
    if (!existing) return;
    const response = await apiFetch(`${settings.api}highlights/${existing.id}/`, {
      method: "DELETE",
    });
    if (response.status !== 204 && response.status !== 404) {
      showDrawError(describeErrors(response.body, response.status));
      return;
    }
    highlights.delete(highlightRef);
    highlightDelete.hidden = true;
    refreshOverlays();
    await loadHighlightTarget(highlightRef);
    drawStatus.textContent = `Deleted the highlight of ${classLabel(highlightRef)}.`;
  });

  async function deleteClass(ref) {
    const shapeClass = ownClasses.get(ref);
    if (!shapeClass) return;
    const question = `Delete your class “${shapeClass.name}”? Past experiments keep their own copy of it.`;
    if (!window.confirm(question)) return;
    const response = await apiFetch(`${settings.api}classes/${shapeClass.id}/`, {
      method: "DELETE",
    });
    if (response.status !== 204 && response.status !== 404) {
      ownStatus.textContent = `“${shapeClass.name}” could not be deleted (HTTP ${response.status}).`;
      return;
    }
    ownClasses.delete(ref);
    highlights.delete(ref);
    thumbGrid.querySelector(`[data-own-item="${ref}"]`)?.remove();
    if (panelMode === "draw" && editingId === shapeClass.id) closePanel();
    if (panelMode === "highlight" && highlightRef === ref) closePanel();
    if (highlightRef === ref) highlightRef = null;
    fillSelects();
    updateRunState();
    ownStatus.textContent = `Deleted “${shapeClass.name}”.`;
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

  // Highlighting: the weight applies to the penalty only; "outside yellow" to both methods.
  const lambdaInput = document.getElementById("highlight_lambda");
  const outsideInput = document.getElementById("highlight_outside_relevant");
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
      highlight: highlightMethod(),
    };
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

  function highlightSetting(config) {
    if (!config.highlight || config.highlight === "none") return null;
    let text = config.highlight === "rrr" ? `highlighting: penalty, λ ${config.highlight_lambda}` : "highlighting: augment";
    if (config.highlight_outside_relevant) text += ", outside yellow too";
    return text;
  }

  function extraSettings(config) {
    const parts = [];
    const highlighting = highlightSetting(config);
    if (highlighting) parts.push(highlighting);
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
    const origin = originText(detail);
    if (origin) meta.append(el("span", { className: "result-origin", text: origin }));
    return meta;
  }

  // Where a follow-up run came from: its source's number when that row is on the page.
  function originText(detail) {
    if (!detail.source) return null;
    const source = rows.get(detail.source);
    const name = source && source.detail ? `[${source.detail.number}]` : `experiment ${detail.source}`;
    return detail.kind === "revisualize" ? `new images from the weights of ${name}` : `a re-run of ${name}`;
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
      const effects = effectsBlock(detail);
      if (effects) parts.push(effects);
      parts.push(followUps(detail));
    }
    return parts;
  }

  // ---------------------------------------------------------------- follow-up runs

  // Under a finished row: train the same settings again with a new seed (is the picture
  // stable?), or generate new images from its stored weights with other image settings.
  function followUps(detail) {
    const label = detail.number ?? detail.id;
    const status = el("p", { className: "follow-up-status", role: "status" });
    const rerun = el("button", {
      type: "button",
      className: "button button-secondary button-small follow-up-rerun",
      text: "Run again with a new seed",
      "aria-label": `Run experiment ${label} again with a new seed`,
    });
    rerun.addEventListener("click", () =>
      startFollowUp(detail, "rerun", { seed: Math.floor(Math.random() * 2 ** 31) }, rerun, status),
    );
    const form = revisualizeForm(detail, status, () => showForm(false));
    const toggle = el("button", {
      type: "button",
      className: "button button-secondary button-small follow-up-images",
      text: "New images from these weights…",
      "aria-expanded": "false",
      "aria-controls": form.id,
      "aria-label": `New images from the weights of experiment ${label}`,
    });
    function showForm(shown) {
      form.hidden = !shown;
      toggle.setAttribute("aria-expanded", String(shown));
    }
    toggle.addEventListener("click", () => {
      showForm(form.hidden);
      if (!form.hidden) form.querySelector("select").focus();
    });
    return el("div", { className: "follow-ups" }, el("div", { className: "follow-up-buttons" }, rerun, toggle), form, status);
  }

  function revisualizeForm(detail, status, onStarted) {
    const config = detail.config || {};
    const prefix = `revisualize-${detail.id}`;
    const field = (name, label, control) =>
      el("div", { className: "follow-up-field" }, el("label", { for: `${prefix}-${name}`, text: label }), control);
    const initial = el("select", { id: `${prefix}-initial_image`, name: "initial_image" });
    for (const [key, image] of Object.entries(settings.initialImages)) {
      initial.append(el("option", { value: key, text: image.name, selected: key === config.initial_image }));
    }
    const [stepLow, stepHigh] = settings.limits.step_size;
    const step = el("input", {
      id: `${prefix}-step_size`,
      name: "step_size",
      type: "number",
      step: "any",
      min: stepLow,
      max: stepHigh,
      required: true,
      value: config.step_size ?? settings.defaults.step_size,
    });
    const objective = el("select", { id: `${prefix}-objective`, name: "objective" });
    for (const [value, text] of [["probability", "Class probability"], ["logit", "Logit"]]) {
      objective.append(el("option", { value, text, selected: value === (config.objective ?? "probability") }));
    }
    const form = el(
      "form",
      { className: "follow-up-form", id: `${prefix}-form`, hidden: true, novalidate: true },
      field("initial_image", "Initial image", initial),
      field("step_size", "Step size", step),
      field("objective", "Objective", objective),
      el("button", { type: "submit", className: "button button-small", text: "Generate" }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // The server checks the step (an empty field arrives as null) and names it when it refuses.
      const body = { initial_image: initial.value, step_size: step.valueAsNumber, objective: objective.value };
      if (await startFollowUp(detail, "revisualize", body, form.querySelector("[type=submit]"), status)) onStarted();
    });
    return form;
  }

  async function startFollowUp(detail, path, body, button, status) {
    button.disabled = true;
    status.classList.remove("is-error");
    status.textContent = "Starting…";
    try {
      const response = await apiFetch(`${settings.api}experiments/${detail.id}/${path}/`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      if (response.status === 201 && response.body) {
        upsertRow(response.body, { prepend: true });
        watch(response.body);
        status.textContent = `Started [${response.body.number}]: its row is at the top.`;
        return true;
      }
      status.textContent = describeErrors(response.body, response.status);
    } catch (_error) {
      status.textContent = "The server could not be reached. Try again.";
    } finally {
      button.disabled = false;
    }
    status.classList.add("is-error");
    return false;
  }

  // ---------------------------------------------------------------- highlight effects

  const baselines = new Map(); // experiment id -> the latest detail of a comparison run
  const baselineFetches = new Set();

  function shareText(value) {
    return typeof value === "number" && Number.isFinite(value) ? value.toFixed(3) : "–";
  }

  // For each class with a red region: the red area, and the share of the generated image's
  // energy and of the saliency inside it; beside them the same run without highlighting.
  function effectsBlock(detail) {
    const effects = detail.highlight_effects || [];
    if (!effects.length) return null;
    const config = detail.config || {};
    const highlighted = config.highlight && config.highlight !== "none";
    const names = new Map((detail.results || []).map((result) => [result.class, result.name]));
    const baselineId = detail.highlight_baseline;
    const baseline = baselineId ? baselines.get(baselineId) : null;
    if (baselineId && !baseline) requestBaseline(baselineId, detail.id);
    const compared = baseline && baseline.status === "done";
    const plain = new Map(compared ? (baseline.highlight_effects || []).map((e) => [e.key, e]) : []);
    const runLabel = highlighted
      ? `This run (${config.highlight === "rrr" ? `penalty, λ ${config.highlight_lambda}` : "augment"})`
      : "This run (highlighting off)";
    const head = el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col", rowspan: 2, text: "Class" }),
        el("th", { scope: "col", rowspan: 2, text: "Red area" }),
        el("th", { scope: "colgroup", colspan: 2, text: runLabel }),
        compared
          ? el("th", { scope: "colgroup", colspan: 2, text: `Without highlighting [${baseline.number}]` })
          : null,
      ),
      el(
        "tr",
        {},
        el("th", { scope: "col", text: "energy share" }),
        el("th", { scope: "col", text: "saliency share" }),
        compared ? el("th", { scope: "col", text: "energy share" }) : null,
        compared ? el("th", { scope: "col", text: "saliency share" }) : null,
      ),
    );
    const body = el("tbody");
    for (const effect of effects) {
      const other = plain.get(effect.key);
      body.append(
        el(
          "tr",
          { dataset: { class: effect.key } },
          el("th", { scope: "row", text: names.get(effect.key) || effect.key }),
          el("td", { text: formatPercent(effect.area_share) }),
          el("td", { className: "effect-energy", text: shareText(effect.energy_share) }),
          el("td", { className: "effect-saliency", text: shareText(effect.saliency_share) }),
          compared ? el("td", { className: "baseline-energy", text: shareText(other && other.energy_share) }) : null,
          compared ? el("td", { className: "baseline-saliency", text: shareText(other && other.saliency_share) }) : null,
        ),
      );
    }
    const table = el(
      "table",
      { className: "effects-table" },
      el("caption", {
        text: "Inside each red region: share of the generated image's energy and of the model's saliency (0 = ignored)",
      }),
      head,
      body,
    );
    const block = el("div", { className: "effects" }, table);
    if (highlighted) block.append(baselineControls(detail, baseline));
    return block;
  }

  function baselineControls(detail, baseline) {
    const line = el("p", { className: "effects-compare" });
    const failed = baseline && (baseline.status === "failed" || baseline.status === "cancelled");
    if (!detail.highlight_baseline || failed) {
      const button = el("button", {
        type: "button",
        className: "button button-secondary button-small compare-baseline",
        text: failed ? "Run the comparison again" : "Compare without highlighting",
        "aria-label": `Run experiment ${detail.number} again without highlighting, same seed`,
      });
      button.addEventListener("click", () => startBaseline(detail, button));
      line.append(button);
      if (failed) line.append(` The comparison run [${baseline.number}] ${baseline.status}.`);
      else line.append(" Runs the same settings and seed with highlighting off, for the figures beside these.");
    } else if (!baseline || baseline.status !== "done") {
      const state = baseline ? STATUS_LABELS[baseline.status] || baseline.status : "Loading";
      line.append(`Comparison without highlighting${baseline ? ` [${baseline.number}]` : ""}: ${state.toLowerCase()}…`);
    } else {
      line.append(`Beside: run [${baseline.number}], the same settings and seed without highlighting.`);
    }
    return line;
  }

  async function startBaseline(detail, button) {
    button.disabled = true;
    button.textContent = "Starting…";
    try {
      const response = await apiFetch(`${settings.api}experiments/${detail.id}/highlight-baseline/`, {
        method: "POST",
      });
      if ((response.status === 201 || response.status === 200) && response.body) {
        const baseline = response.body;
        baselines.set(baseline.id, baseline);
        const entry = rows.get(detail.id);
        if (entry) entry.detail = { ...entry.detail, highlight_baseline: baseline.id };
        upsertRow(baseline, { prepend: true });
        watch(baseline);
        redraw(detail.id);
        return;
      }
      const message = describeErrors(response.body, response.status);
      button.replaceWith(el("span", { className: "result-error", role: "alert", text: message }));
    } catch (_error) {
      button.disabled = false;
      button.textContent = "Compare without highlighting";
    }
  }

  // A comparison run that is not among the loaded rows is fetched (and polled) on its own.
  async function requestBaseline(id, originalId) {
    if (baselineFetches.has(id)) return;
    baselineFetches.add(id);
    try {
      const response = await apiFetch(`${settings.api}experiments/${id}/`);
      if (response.ok && response.body) {
        baselines.set(id, response.body);
        redraw(originalId);
        if (!FINISHED.has(response.body.status) && !rows.has(id)) {
          setTimeout(() => {
            baselineFetches.delete(id);
            baselines.delete(id);
            requestBaseline(id, originalId);
          }, settings.pollMs * 2);
          return;
        }
      }
    } catch (_error) {
      // The next redraw asks again.
    }
    baselineFetches.delete(id);
  }

  function redraw(id) {
    const entry = rows.get(id);
    if (!entry || !entry.detail) return;
    const element = renderRow(entry.detail);
    entry.element.replaceWith(element);
    entry.element = element;
  }

  // When a comparison run changes, the row of the experiment it belongs to shows it.
  function noteBaseline(detail) {
    for (const [id, entry] of rows) {
      if (entry.detail && entry.detail.highlight_baseline === detail.id) {
        const known = baselines.get(detail.id);
        baselines.set(detail.id, detail);
        if (!known || known.status !== detail.status) redraw(id);
      }
    }
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
      known.detail = detail;
      noteBaseline(detail);
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
      known.detail = detail;
      if (hadFocus) (element.querySelector(".cancel-button") || element).focus?.();
    } else {
      rows.set(detail.id, { element, timer: null, failures: 0, detail });
      if (prepend) resultsList.prepend(element);
      else resultsList.append(element);
    }
    resultsEmpty.hidden = rows.size > 0;
    noteBaseline(detail);
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
  fillSelects();
  loadOwn();
  loadPage(`${settings.api}experiments/?page_size=${settings.pageSize}`);
})();
