// Step 1 of the Model Builder, the training data: one tab per dataset, the shapes' tab with
// the catalogue's shapes and the user's own drawn classes, the others with their classes'
// thumbnails, each class's highlight laid over its thumbnail. The user's classes join the
// shapes' thumbnails after the page loads, so the buttons are looked up each time and clicks
// are handled for every grid. The picked classes are kept for the browser tab's session, so
// a reload keeps them. A run trains on the classes of one dataset (drawn classes count as
// shapes): a mix is named here before anything is sent.
import { apiFetch } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";
import { pixelsFromImage, renderOverlay, renderPixels } from "../lib/draw.js";
import { log } from "../lib/events.js";

const STORAGE_KEY = "shapeshop.builder.classes";

// The class keys picked before the reload; nothing when storage is off or holds junk.
function storedSelection() {
  try {
    const keys = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "[]");
    return Array.isArray(keys) ? keys.filter((key) => typeof key === "string") : [];
  } catch (_error) {
    return [];
  }
}

// onSelectionChange(): a class was picked or dropped, added or removed. actions: what a
// drawn class's Edit, Highlight and Delete buttons do, each given the class's key.
export function setupClasses(settings, { onSelectionChange, actions }) {
  const step = byId("step-data-title").closest("section");
  // The shapes' grid holds the catalogue and the user's drawn classes.
  const grid = step.querySelector('.thumb-grid[data-grid="shapes"]');
  const ownStatus = byId("own-classes-status");
  const own = new Map(); // "drawn:<id>" -> {id, key, name, pixels}
  const highlights = new Map(); // class reference -> {id, class, relevant, irrelevant}

  function buttons() {
    return Array.from(step.querySelectorAll(".thumb-grid .thumb[data-class]"));
  }

  function chosenButtons() {
    return buttons().filter((button) => button.getAttribute("aria-pressed") === "true");
  }

  // Every class of every dataset on the page; the catalogue is the shapes' part of it (what
  // a class may be drawn from or highlighted on).
  const known = buttons().map((button) => ({
    key: button.dataset.class,
    name: button.dataset.name,
    dataset: button.dataset.dataset || "shapes",
    noise: button.dataset.noise === "true",
    src: button.querySelector("img").getAttribute("src"),
    // A dataset class is highlighted on its mean training image, not on its thumbnail.
    template: button.dataset.template || null,
  }));
  const catalogue = known.filter((entry) => entry.dataset === "shapes");
  // The other datasets' classes, by dataset: [[title, [{key, name}, …]], …].
  const datasetClasses = Object.entries(settings.datasets || {})
    .filter(([key]) => key !== "shapes")
    .map(([key, dataset]) => [dataset.title, known.filter((entry) => entry.dataset === key)]);

  // Picked drawn classes whose thumbnails have not loaded yet: kept in storage meanwhile.
  let awaited = new Set();

  function remember() {
    const keys = [...chosenButtons().map((button) => button.dataset.class), ...awaited];
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(keys));
    } catch (_error) {
      // Storage is off or full: the selection simply does not outlive the page.
    }
  }

  // Picks the remembered classes that have a thumbnail; returns those that have none yet.
  function restore(keys) {
    const missing = new Set(keys);
    for (const button of buttons()) {
      if (missing.delete(button.dataset.class)) button.setAttribute("aria-pressed", "true");
    }
    return missing;
  }

  // Drawn classes load later; a remembered key that is neither is dropped at once.
  awaited = new Set([...restore(storedSelection())].filter((key) => key.startsWith("drawn:")));
  remember();

  function setPressed(button, pressed) {
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    remember();
  }

  step.addEventListener("click", (event) => {
    const button = event.target.closest(".thumb-grid .thumb[data-class]");
    if (!button || !step.contains(button)) return;
    const pressed = button.getAttribute("aria-pressed") === "true";
    setPressed(button, !pressed);
    // In a study, the interaction log records every class picked or dropped.
    log("classes_selected", { class: button.dataset.class, selected: !pressed });
    onSelectionChange();
  });

  function ownThumb(shapeClass, pressed) {
    const picture = el("canvas", { className: "pixelated", width: 28, height: 28 });
    renderPixels(picture, shapeClass.pixels);
    const button = el(
      "button",
      {
        type: "button",
        className: "thumb thumb-own",
        dataset: { class: shapeClass.key, name: shapeClass.name, own: "true", dataset: "shapes" },
        "aria-pressed": pressed ? "true" : "false",
      },
      el("span", { className: "thumb-picture" }, picture),
      el("span", { className: "thumb-label", text: shapeClass.name }),
      el("span", { className: "thumb-badge", text: "Yours" }),
    );
    const action = (text, handler) => {
      const node = el("button", {
        type: "button",
        className: "button-link thumb-action",
        text,
        "aria-label": `${text} ${shapeClass.name}`,
      });
      node.addEventListener("click", () => handler(shapeClass.key));
      return node;
    };
    return el(
      "div",
      { className: "thumb-item", dataset: { ownItem: shapeClass.key } },
      button,
      el(
        "div",
        { className: "thumb-actions" },
        action("Edit", actions.edit),
        action("Highlight", actions.highlight),
        action("Delete", actions.remove),
      ),
    );
  }

  // Adds or replaces a drawn class's thumbnail, keeping whether it is picked.
  function placeOwn(shapeClass) {
    own.set(shapeClass.key, shapeClass);
    const existing = grid.querySelector(`[data-own-item="${shapeClass.key}"]`);
    const pressed = existing
      ? existing.querySelector(".thumb").getAttribute("aria-pressed") === "true"
      : false;
    const item = ownThumb(shapeClass, pressed);
    if (existing) existing.replaceWith(item);
    else grid.append(item);
    return item;
  }

  function refreshOverlays() {
    for (const button of buttons()) {
      const holder = button.querySelector(".thumb-picture");
      if (!holder) continue;
      holder.querySelector(".thumb-overlay")?.remove();
      button.querySelector(".thumb-highlighted")?.remove();
      const highlight = highlights.get(button.dataset.class);
      button.dataset.highlighted = highlight ? "true" : "false";
      if (!highlight) continue;
      const overlay = el("canvas", { className: "thumb-overlay pixelated", "aria-hidden": "true" });
      renderOverlay(overlay, highlight);
      holder.append(overlay);
      button.append(el("span", { className: "visually-hidden thumb-highlighted", text: " (highlighted)" }));
    }
  }

  // The picked classes grouped by dataset, in the order of the tabs: [[dataset, names], …].
  function pickedByDataset() {
    const groups = new Map(Object.keys(settings.datasets || {}).map((key) => [key, []]));
    for (const button of chosenButtons()) {
      const dataset = button.dataset.dataset || "shapes";
      if (!groups.has(dataset)) groups.set(dataset, []);
      groups.get(dataset).push(button.dataset.name);
    }
    return [...groups].filter(([, names]) => names.length);
  }

  const titleOf = (dataset) => (settings.datasets?.[dataset] || {}).title || dataset;

  return {
    catalogue,
    datasetClasses,
    own,
    pickedByDataset,
    // The one dataset of the picked classes; null when none is picked or they mix datasets.
    dataset() {
      const groups = pickedByDataset();
      return groups.length === 1 ? groups[0][0] : null;
    },
    // The mask of pixels a class's dataset marks as not mattering, or null.
    defaultMaskOf(ref) {
      const entry = known.find((candidate) => candidate.key === ref);
      return (entry && settings.datasets?.[entry.dataset]?.defaultMask) || null;
    },
    // Why the picked classes cannot train together, naming them; null when they can.
    mixText() {
      const groups = pickedByDataset();
      if (groups.length < 2) return null;
      const parts = groups.map(([dataset, names]) => `${names.join(", ")} (${titleOf(dataset)})`);
      return `A run trains on one dataset's classes, not a mix: ${parts.join(" and ")}. Drop the classes of all but one dataset.`;
    },
    highlights,
    placeOwn,
    refreshOverlays,
    // The keys of the picked classes, in the grid's order, and their names.
    selected: () => chosenButtons().map((button) => button.dataset.class),
    selectedNames: () => chosenButtons().map((button) => button.dataset.name),
    // Picks or drops a class, as a click on its thumbnail does (without the click's log).
    select(ref, pressed = true) {
      const button = buttons().find((candidate) => candidate.dataset.class === ref);
      if (button) setPressed(button, pressed);
    },
    // Drops a deleted drawn class: its thumbnail, and its highlight with it.
    forget(ref) {
      own.delete(ref);
      highlights.delete(ref);
      grid.querySelector(`[data-own-item="${ref}"]`)?.remove();
      remember();
    },
    setStatus(text) {
      ownStatus.textContent = text;
    },
    label(ref) {
      const shapeClass = own.get(ref) || known.find((entry) => entry.key === ref);
      return shapeClass ? shapeClass.name : ref;
    },
    // The pixels of a catalogue shape (read from its thumbnail), of a dataset class (its
    // mean training image) or of a drawn class.
    async pixelsOf(ref) {
      const drawn = own.get(ref);
      if (drawn) return drawn.pixels;
      const shape = known.find((entry) => entry.key === ref);
      if (!shape) throw new Error(`No class ${ref}.`);
      return pixelsFromImage(shape.template || shape.src);
    },
    // The user's drawn classes and highlights, from the API.
    async loadOwn() {
      try {
        const [drawn, marks] = await Promise.all([
          apiFetch(`${settings.api}classes/`),
          apiFetch(`${settings.api}highlights/`),
        ]);
        if (!drawn.ok || !marks.ok) throw new Error("not loaded");
        for (const shapeClass of drawn.body) placeOwn(shapeClass);
        for (const highlight of marks.body) highlights.set(highlight.class, highlight);
        // A remembered class that no longer exists (deleted meanwhile) is forgotten.
        restore(awaited);
        awaited = new Set();
        remember();
        ownStatus.textContent = "";
      } catch (_error) {
        ownStatus.textContent = "Your own classes could not be loaded. Reload to try again.";
      }
      refreshOverlays();
    },
  };
}
