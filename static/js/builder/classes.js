// Step 1 of the Model Builder, the training data: the catalogue's shapes and the user's own
// drawn classes as thumbnails to pick, with each class's highlight laid over its thumbnail.
// The user's classes join the catalogue's thumbnails after the page loads, so the buttons
// are looked up each time and clicks are handled for the whole grid. The picked classes are
// kept for the browser tab's session, so a reload keeps them.
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
  const grid = document.querySelector(".thumb-grid");
  const ownStatus = byId("own-classes-status");
  const own = new Map(); // "drawn:<id>" -> {id, key, name, pixels}
  const highlights = new Map(); // class reference -> {id, class, relevant, irrelevant}

  function buttons() {
    return Array.from(grid.querySelectorAll(".thumb[data-class]"));
  }

  function chosenButtons() {
    return buttons().filter((button) => button.getAttribute("aria-pressed") === "true");
  }

  const catalogue = buttons().map((button) => ({
    key: button.dataset.class,
    name: button.dataset.name,
    noise: button.dataset.noise === "true",
    src: button.querySelector("img").getAttribute("src"),
  }));

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

  grid.addEventListener("click", (event) => {
    const button = event.target.closest(".thumb[data-class]");
    if (!button || !grid.contains(button)) return;
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
        dataset: { class: shapeClass.key, name: shapeClass.name, own: "true" },
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

  return {
    catalogue,
    own,
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
      const shapeClass = own.get(ref) || catalogue.find((entry) => entry.key === ref);
      return shapeClass ? shapeClass.name : ref;
    },
    // The pixels of a catalogue shape (read from its thumbnail) or of a drawn class.
    async pixelsOf(ref) {
      const drawn = own.get(ref);
      if (drawn) return drawn.pixels;
      const shape = catalogue.find((entry) => entry.key === ref);
      if (!shape) throw new Error(`No class ${ref}.`);
      return pixelsFromImage(shape.src);
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
