// What the compare page's tables and charts share: each experiment's colour, how figures are
// written, and tables built from rows of cells. D3 is the classic script loaded before the
// page's modules (window.d3).
import { el } from "../lib/dom.js";
import { isNumber } from "../lib/format.js";

export const { d3 } = window;
export const CELL = 84; // pixels of a generated image in the grid and the exported PNG

const COLORS = d3.schemeTableau10;

export const colorOf = (index) => COLORS[index % COLORS.length];
export const fixed = (value, digits = 2) => (isNumber(value) ? value.toFixed(digits) : "–");
export const signed = (value) =>
  isNumber(value) ? `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(2)}` : "–";

// A table from a header row and body rows (each cell text, or a node).
export function fillTable(table, head, rows, caption) {
  const thead = el("thead", {}, el("tr", {}, ...head.map((text) => el("th", { scope: "col", text }))));
  const tbody = el(
    "tbody",
    {},
    ...rows.map((cells) =>
      el("tr", {}, ...cells.map((cell, i) => (i === 0 ? el("th", { scope: "row" }, cell) : el("td", {}, cell)))),
    ),
  );
  table.replaceChildren(...(caption ? [el("caption", { text: caption })] : []), thead, tbody);
}
