// The Model Builder's drawing panel: draw a class of one's own (or derive it from another,
// or upload a picture), and paint a class's highlight, yellow for what is the class and red
// for what is not. Saved through the API; the class thumbnails show the result.
import { apiFetch, describeErrors } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { PixelGrid } from "../lib/draw.js";

// classes: the thumbnails (setupClasses); onClassesChange(): a drawn class was added,
// changed or deleted.
export function setupDrawPanel(settings, { classes, onClassesChange }) {
  const panel = byId("draw-panel");
  const panelTitle = byId("draw-title");
  const panelIntro = byId("draw-intro");
  const drawOpen = byId("draw-open");
  const highlightOpen = byId("highlight-open");
  const drawCanvas = byId("draw-canvas");
  const highlightCanvas = byId("highlight-canvas");
  const nameInput = byId("draw-name");
  const deriveSelect = byId("draw-derive");
  const uploadInput = byId("draw-upload");
  const highlightSelect = byId("highlight-class");
  const undoButton = byId("draw-undo");
  const redoButton = byId("draw-redo");
  const saveButton = byId("draw-save");
  const highlightDelete = byId("highlight-delete");
  const drawError = byId("draw-error");
  const drawStatus = byId("draw-status");

  let mode = null; // "draw" or "highlight" while the panel is open
  let editingId = null; // the drawn class being changed, null for a new one
  let highlightRef = null; // the class being highlighted
  let suggestedName = ""; // the name a derive or an upload filled in, until the user types

  const syncHistoryButtons = (grid) => {
    if (grid !== activeGrid()) return;
    undoButton.disabled = !grid.canUndo();
    redoButton.disabled = !grid.canRedo();
  };
  const drawGrid = new PixelGrid(drawCanvas, { layers: ["ink"], onChange: syncHistoryButtons });
  const maskGrid = new PixelGrid(highlightCanvas, {
    layers: ["relevant", "irrelevant"],
    onChange: syncHistoryButtons,
  });
  maskGrid.setLayer("irrelevant");
  drawGrid.bindKeys(drawCanvas);
  maskGrid.bindKeys(highlightCanvas);

  function activeGrid() {
    return mode === "highlight" ? maskGrid : drawGrid;
  }

  function showError(message) {
    drawError.textContent = message;
    drawError.hidden = !message;
  }

  // The classes to derive from and to highlight: the catalogue's, then the user's own (and,
  // to highlight, the other datasets' classes).
  function fillSelects() {
    const options = (entries) => entries.map(([value, text]) => el("option", { value, text }));
    const own = Array.from(classes.own.values()).map((c) => [c.key, c.name]);
    const derive = deriveSelect.value;
    deriveSelect.replaceChildren(
      el("optgroup", { label: "Catalogue" }, ...options(classes.catalogue.map((c) => [c.key, c.name]))),
      own.length ? el("optgroup", { label: "Your classes" }, ...options(own)) : null,
    );
    if (derive) deriveSelect.value = derive;
    const paintable = classes.catalogue.filter((c) => !c.noise).map((c) => [c.key, c.name]);
    highlightSelect.replaceChildren(
      el("optgroup", { label: "Catalogue" }, ...options(paintable)),
      own.length ? el("optgroup", { label: "Your classes" }, ...options(own)) : null,
      ...classes.datasetClasses.map(([title, entries]) =>
        el("optgroup", { label: title }, ...options(entries.map((c) => [c.key, c.name]))),
      ),
    );
    if (highlightRef) highlightSelect.value = highlightRef;
  }

  // ---------------------------------------------------------------- opening and closing

  function showPanel(newMode) {
    mode = newMode;
    panel.hidden = false;
    for (const fields of panel.querySelectorAll(".draw-mode-fields")) {
      fields.hidden = fields.dataset.mode !== newMode;
    }
    drawCanvas.hidden = newMode !== "draw";
    highlightCanvas.hidden = newMode !== "highlight";
    drawOpen.setAttribute("aria-expanded", String(newMode === "draw"));
    highlightOpen.setAttribute("aria-expanded", String(newMode === "highlight"));
    showError("");
    drawStatus.textContent = "";
    applyTools();
    syncHistoryButtons(activeGrid());
    panel.scrollIntoView({ block: "nearest" });
  }

  function closePanel() {
    panel.hidden = true;
    mode = null;
    drawOpen.setAttribute("aria-expanded", "false");
    highlightOpen.setAttribute("aria-expanded", "false");
  }

  function openDraw(ref = null) {
    const shapeClass = ref ? classes.own.get(ref) : null;
    editingId = shapeClass ? shapeClass.id : null;
    showPanel("draw");
    panelTitle.textContent = shapeClass ? `Edit “${shapeClass.name}”` : "Draw a class";
    panelIntro.textContent =
      "Draw with the mouse on the 28 × 28 grid: a light shape on black, like the shapes above.";
    saveButton.textContent = shapeClass ? "Save changes" : "Save class";
    highlightDelete.hidden = true;
    nameInput.value = shapeClass ? shapeClass.name : "";
    suggestedName = "";
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
    const existing = classes.highlights.get(ref);
    highlightDelete.hidden = !existing;
    try {
      const background = await classes.pixelsOf(ref);
      if (highlightRef !== ref) return;
      // A dataset's own mask (the decoy digits' corners) is what its runs use until the
      // class is highlighted: the grid starts from it, in red.
      const own = existing ? null : classes.defaultMaskOf(ref);
      maskGrid.reset(
        { relevant: existing && existing.relevant, irrelevant: existing ? existing.irrelevant : own },
        background,
      );
      if (existing) drawStatus.textContent = `${classes.label(ref)} has a highlight: change it and save.`;
      else if (own) {
        drawStatus.textContent = `${classes.label(ref)} has no highlight yet: the red is its dataset's own mask, which its runs use until you save one.`;
      } else drawStatus.textContent = `${classes.label(ref)} has no highlight yet.`;
    } catch (error) {
      showError(error.message);
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

  // ---------------------------------------------------------------- saving and deleting

  async function saveClass() {
    const name = nameInput.value.trim();
    if (!name) {
      showError("Give the class a name.");
      nameInput.focus();
      return;
    }
    if (drawGrid.isBlank()) {
      showError("The drawing is blank: draw a shape first.");
      return;
    }
    const url = editingId ? `${settings.api}classes/${editingId}/` : `${settings.api}classes/`;
    const response = await apiFetch(url, {
      method: editingId ? "PUT" : "POST",
      body: JSON.stringify({ name, pixels: drawGrid.get("ink"), strokes: drawGrid.strokes }),
    });
    if (!response.ok) {
      showError(describeErrors(response.body, response.status, settings.labels));
      return;
    }
    const shapeClass = response.body;
    const created = !editingId;
    classes.placeOwn(shapeClass);
    if (created) classes.select(shapeClass.key);
    editingId = shapeClass.id;
    panelTitle.textContent = `Edit “${shapeClass.name}”`;
    saveButton.textContent = "Save changes";
    fillSelects();
    classes.refreshOverlays();
    onClassesChange();
    drawStatus.textContent = created
      ? `Saved “${shapeClass.name}”: it is selected for training.`
      : `Saved the changes to “${shapeClass.name}”.`;
  }

  async function saveHighlight() {
    const ref = highlightRef;
    const existing = classes.highlights.get(ref);
    if (maskGrid.isBlank()) {
      showError("Paint a yellow or red region first (or delete the highlight).");
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
      showError(describeErrors(response.body, response.status, settings.labels));
      return;
    }
    classes.highlights.set(ref, response.body);
    highlightDelete.hidden = false;
    classes.refreshOverlays();
    drawStatus.textContent = `Saved the highlight of ${classes.label(ref)}.`;
  }

  async function deleteHighlight() {
    const existing = classes.highlights.get(highlightRef);
    if (!existing) return;
    const response = await apiFetch(`${settings.api}highlights/${existing.id}/`, { method: "DELETE" });
    if (response.status !== 204 && response.status !== 404) {
      showError(describeErrors(response.body, response.status, settings.labels));
      return;
    }
    classes.highlights.delete(highlightRef);
    highlightDelete.hidden = true;
    classes.refreshOverlays();
    await loadHighlightTarget(highlightRef);
    drawStatus.textContent = `Deleted the highlight of ${classes.label(highlightRef)}.`;
  }

  async function deleteClass(ref) {
    const shapeClass = classes.own.get(ref);
    if (!shapeClass) return;
    const question = `Delete your class “${shapeClass.name}”? Past experiments keep their own copy of it.`;
    if (!window.confirm(question)) return;
    const response = await apiFetch(`${settings.api}classes/${shapeClass.id}/`, { method: "DELETE" });
    if (response.status !== 204 && response.status !== 404) {
      classes.setStatus(`“${shapeClass.name}” could not be deleted (HTTP ${response.status}).`);
      return;
    }
    classes.forget(ref);
    if (mode === "draw" && editingId === shapeClass.id) closePanel();
    if (mode === "highlight" && highlightRef === ref) closePanel();
    if (highlightRef === ref) highlightRef = null;
    fillSelects();
    onClassesChange();
    classes.setStatus(`Deleted “${shapeClass.name}”.`);
  }

  // A PNG or JPEG, turned into 28 x 28 pixels by the server, lands on the grid.
  async function loadUpload() {
    const file = uploadInput.files && uploadInput.files[0];
    if (!file) return;
    showError("");
    drawStatus.textContent = "Converting the picture…";
    const body = new FormData();
    body.append("image", file);
    try {
      const response = await apiFetch(`${settings.api}classes/convert/`, { method: "POST", body });
      if (!response.ok || !response.body || !response.body.pixels) {
        drawStatus.textContent = "";
        showError(describeErrors(response.body, response.status, settings.labels));
        return;
      }
      drawGrid.load({ ink: response.body.pixels });
      suggestName(file.name.replace(/\.[^.]*$/, ""));
      drawStatus.textContent = "The picture is on the grid: touch it up, name it and save.";
    } catch (_error) {
      drawStatus.textContent = "";
      showError("The server could not be reached. Try again.");
    }
  }

  // Deriving or uploading starts a new class, even right after saving one (which leaves the
  // panel editing it): the saved class is neither overwritten nor its name carried over.
  function startNewClass() {
    if (editingId === null) return;
    editingId = null;
    nameInput.value = "";
    suggestedName = "";
    panelTitle.textContent = "Draw a class";
    saveButton.textContent = "Save class";
  }

  // A new class is named after what it started from, unless the user named it: a second
  // derive renames it (no stale "Triangle variant" on a box), a typed name is kept.
  function suggestName(name) {
    startNewClass();
    const current = nameInput.value.trim();
    if (current && current !== suggestedName) return;
    suggestedName = name.slice(0, nameInput.maxLength);
    nameInput.value = suggestedName;
  }

  async function deriveFrom(ref) {
    showError("");
    try {
      drawGrid.load({ ink: await classes.pixelsOf(ref) });
      suggestName(`${classes.label(ref)} variant`);
      drawStatus.textContent = `Started from ${classes.label(ref)}.`;
    } catch (error) {
      showError(error.message);
    }
  }

  // ---------------------------------------------------------------- controls

  for (const input of panel.querySelectorAll('input[type="radio"]')) {
    input.addEventListener("change", applyTools);
  }
  drawOpen.addEventListener("click", () => openDraw());
  highlightOpen.addEventListener("click", () => openHighlight());
  byId("draw-close").addEventListener("click", () => {
    closePanel();
    drawOpen.focus();
  });
  undoButton.addEventListener("click", () => activeGrid().undo());
  redoButton.addEventListener("click", () => activeGrid().redo());
  byId("draw-clear").addEventListener("click", () => activeGrid().clear());
  highlightSelect.addEventListener("change", () => loadHighlightTarget(highlightSelect.value));
  byId("draw-derive-load").addEventListener("click", () => deriveFrom(deriveSelect.value));
  uploadInput.addEventListener("change", loadUpload);
  saveButton.addEventListener("click", async () => {
    showError("");
    saveButton.disabled = true;
    try {
      if (mode === "highlight") await saveHighlight();
      else await saveClass();
    } catch (_error) {
      showError("The server could not be reached. Try again.");
    } finally {
      saveButton.disabled = false;
    }
  });
  highlightDelete.addEventListener("click", deleteHighlight);

  return { openDraw, openHighlight, deleteClass, fillSelects };
}
