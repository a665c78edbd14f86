// The runs picked for a comparison, kept for this tab across pages, filters and both views
// of the history (rows with images and the table). Any checkbox of class select-experiment
// (value: the run's id, data-number: its number) takes part, including those a script adds
// later: the selection listens on the document.
import { byId } from "../lib/dom.js";

const SELECTION_KEY = "shapeshop.history.selection";

// id -> number, in the order the user picked them (the comparison's column order).
function load() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SELECTION_KEY) || "[]");
    return Array.isArray(stored) ? stored.filter((item) => Number.isInteger(item.id)) : [];
  } catch (_error) {
    return [];
  }
}

export function startSelection({ compareUrl }) {
  const compareButton = byId("compare-button");
  const clearButton = byId("clear-selection");
  const status = byId("selection-status");
  let selection = load();

  function save() {
    sessionStorage.setItem(SELECTION_KEY, JSON.stringify(selection));
  }

  // Every box on the page shows the selection; so does the row (or table row) around it.
  function show() {
    const count = selection.length;
    const numbers = selection.map((item) => `[${item.number}]`).join(", ");
    status.textContent =
      count === 0
        ? "Select two or more experiments to compare."
        : `${count} selected: ${numbers}.${count < 2 ? " Select one more to compare." : ""}`;
    compareButton.disabled = count < 2;
    clearButton.hidden = count === 0;
    for (const box of document.querySelectorAll(".select-experiment")) {
      box.checked = selection.some((item) => item.id === Number(box.value));
      box.closest(".history-row, tr")?.classList.toggle("is-selected", box.checked);
    }
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.classList.contains("select-experiment")) return;
    const id = Number(box.value);
    selection = selection.filter((item) => item.id !== id);
    if (box.checked) selection.push({ id, number: Number(box.dataset.number) });
    save();
    show();
  });

  clearButton.addEventListener("click", () => {
    selection = [];
    save();
    show();
  });

  compareButton.addEventListener("click", () => {
    if (selection.length < 2) return;
    const ids = selection.map((item) => item.id);
    window.location.href = `${compareUrl}?ids=${ids.join(",")}&all=0&base=${ids[0]}`;
  });

  show();
  return { show };
}
