// A confusion matrix as a heatmap: one row per true class, one column per predicted class,
// each cell coloured by the share of the true class's images predicted as that column's
// class (so classes with more images do not look darker) and labelled with its count. A
// legend gives the colours' meaning; pointing at a cell, tapping it, or reaching it with the
// Tab key and the arrow keys shows its values beside it; the numbers are also a table.
// The SVG scales with its box, so it fits a phone's width. D3 is the classic script that
// sets window.d3 before the page's modules run.
import { el } from "./dom.js";
import { gridKeys, rowLabels } from "./grid.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const LABEL_CHARS = 14;
let figures = 0; // a page-wide count, for ids unique to each figure

// The " (…)" every label ends with, or "" when they do not all share one.
function sharedNote(labels) {
  const match = /\s\([^()]*\)$/.exec(labels[0] || "");
  if (!match || labels.length < 2) return "";
  const note = match[0];
  return labels.every((label) => label.endsWith(note) && label.length > note.length) ? note : "";
}

function share(count, total) {
  return total > 0 ? count / total : 0;
}

function percentText(value) {
  return `${(value * 100).toFixed(1)}%`;
}

function describe(cell, labels) {
  const images = `${cell.count} image${cell.count === 1 ? "" : "s"}`;
  const of = cell.total ? ` (${percentText(cell.share)} of the ${labels[cell.i]} images)` : "";
  return `true ${labels[cell.i]}, predicted ${labels[cell.j]}: ${images}${of}`;
}

// The colours, from white (none of the class's images) to deep blue (all of them).
function colourScale(d3) {
  return d3.scaleSequential(d3.interpolateBlues).domain([0, 1]);
}

function legend(d3, id) {
  const width = 200;
  const node = document.createElementNS(SVG_NS, "svg");
  node.setAttribute("class", "heatmap-legend-scale");
  node.setAttribute("aria-hidden", "true");
  const svg = d3.select(node).attr("viewBox", `0 0 ${width + 36} 34`).attr("width", width + 36).attr("height", 34);
  const colour = colourScale(d3);
  const gradient = svg.append("defs").append("linearGradient").attr("id", `${id}-gradient`);
  gradient
    .selectAll("stop")
    .data(d3.range(0, 1.0001, 0.1))
    .join("stop")
    .attr("offset", (t) => `${t * 100}%`)
    .attr("stop-color", (t) => colour(t));
  svg
    .append("rect")
    .attr("x", 12)
    .attr("y", 2)
    .attr("width", width)
    .attr("height", 12)
    .attr("fill", `url(#${id}-gradient)`)
    .attr("stroke", "#9aa6b2");
  const x = d3.scaleLinear().domain([0, 1]).range([12, 12 + width]);
  svg.append("g").attr("class", "axis").attr("transform", "translate(0,14)").call(d3.axisBottom(x).ticks(5, "~%").tickSize(4));
  return el(
    "div",
    { className: "heatmap-legend" },
    el("span", { text: "Share of the true class's images, from 0% (white) to 100% (deep blue):" }),
    node,
  );
}

function numbersTable(matrix, labels, caption) {
  const head = el(
    "tr",
    {},
    el("th", { scope: "col", text: "True \\ predicted" }),
    ...labels.map((label) => el("th", { scope: "col", text: label })),
  );
  const rows = matrix.map((row, i) =>
    el("tr", {}, el("th", { scope: "row", text: labels[i] }), ...row.map((count) => el("td", { text: String(count) }))),
  );
  return el(
    "details",
    { className: "chart-numbers" },
    el("summary", { text: "The numbers of this matrix" }),
    el(
      "div",
      { className: "table-scroll" },
      el("table", { className: "data-table" }, el("caption", { text: caption }), el("thead", {}, head), el("tbody", {}, ...rows)),
    ),
  );
}

// Shows the text beside the cell, kept inside the figure's box (a phone's width included).
function placeTip(tip, wrap, cellNode, text) {
  tip.textContent = text;
  tip.hidden = false;
  const box = wrap.getBoundingClientRect();
  const cell = cellNode.getBoundingClientRect();
  const left = Math.max(0, Math.min(cell.right - box.left + 4, box.width - tip.offsetWidth));
  const below = cell.bottom - box.top + 4;
  tip.style.left = `${left}px`;
  tip.style.top = `${below + tip.offsetHeight > box.height ? cell.top - box.top - tip.offsetHeight - 4 : below}px`;
}

// matrix: rows true class, columns predicted (counts); labels: the classes' names in that
// order; title: the figure's caption.
export function confusionHeatmap({ matrix, labels, title }) {
  const id = `confusion-${++figures}`;
  const n = matrix.length;
  const total = matrix.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  const figure = el("figure", { className: "confusion", dataset: { total } });
  figure.append(el("figcaption", { id: `${id}-title`, text: title }));
  const { d3 } = window;
  if (!d3 || !n) {
    figure.append(numbersTable(matrix, labels, title));
    return figure;
  }
  // On the axes, a note every name shares ("3 (decoy)") is said once, and long names (a
  // drawn class's may have 40 characters) are cut; the tip and the table give them whole.
  const shared = sharedNote(labels);
  const shortLabels = labels
    .map((label) => (shared ? label.slice(0, -shared.length) : label))
    .map((label) => (label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label));
  const longest = Math.max(...shortLabels.map((label) => label.length));
  const cell = Math.max(24, Math.min(40, Math.floor(300 / n)));
  const left = 14 + longest * 6.5;
  // Column names slant up to the right when they are longer than a cell is wide.
  const slanted = longest > 3;
  const top = slanted ? 16 + longest * 4.6 : 30;
  const right = slanted ? longest * 4 : 6;
  const width = left + n * cell + right;
  const height = top + n * cell + 6;
  const cells = matrix.flatMap((row, i) => {
    const rowTotal = row.reduce((a, b) => a + b, 0);
    return row.map((count, j) => ({ i, j, count, total: rowTotal, share: share(count, rowTotal) }));
  });
  const colour = colourScale(d3);
  const svgNode = document.createElementNS(SVG_NS, "svg");
  svgNode.setAttribute("class", "confusion-svg");
  svgNode.setAttribute("role", "group");
  svgNode.setAttribute("aria-labelledby", `${id}-title`);
  svgNode.style.maxWidth = `${Math.round(width * 1.25)}px`;
  const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width} ${height}`);
  const wrap = el("div", { className: "confusion-wrap" }, svgNode);
  const tip = el("div", { className: "confusion-tip", role: "status", hidden: true });
  wrap.append(tip);
  const groups = svg
    .append("g")
    .selectAll("g")
    .data(cells)
    .join("g")
    .attr("class", "confusion-cell")
    .attr("data-row", (d) => d.i)
    .attr("data-col", (d) => d.j)
    .attr("role", "img")
    .attr("aria-label", (d) => describe(d, labels))
    .attr("tabindex", (_d, k) => (k === 0 ? 0 : -1))
    .on("mouseenter focus click", (event, d) => placeTip(tip, wrap, event.currentTarget, describe(d, labels)))
    .on("mouseleave blur", () => {
      tip.hidden = true;
    });
  groups
    .append("rect")
    .attr("x", (d) => left + d.j * cell)
    .attr("y", (d) => top + d.i * cell)
    .attr("width", cell - 1)
    .attr("height", cell - 1)
    .attr("fill", (d) => colour(d.share))
    .attr("class", (d) => (d.i === d.j ? "is-diagonal" : null));
  groups
    .append("text")
    .attr("class", "confusion-count")
    .attr("x", (d) => left + d.j * cell + (cell - 1) / 2)
    .attr("y", (d) => top + d.i * cell + (cell - 1) / 2 + 4)
    .attr("text-anchor", "middle")
    .attr("fill", (d) => (d.share > 0.55 ? "#fff" : "#1d2530"))
    .text((d) => d.count);
  rowLabels(svg, shortLabels, { className: "confusion-label", left, top, cell, gap: 5 });
  svg
    .append("g")
    .selectAll("text")
    .data(shortLabels)
    .join("text")
    .attr("class", "confusion-label")
    .attr("text-anchor", slanted ? "start" : "middle")
    .attr("transform", (_d, j) =>
      slanted
        ? `translate(${left + j * cell + cell / 2 - 2},${top - 6}) rotate(-50)`
        : `translate(${left + j * cell + cell / 2},${top - 8})`,
    )
    .text((d) => d);
  gridKeys(svgNode, ".confusion-cell", n);
  const every = shared ? ` The names end in “${shared.trim()}”, left out here.` : "";
  const axes = el("p", { className: "help", text: `Rows: the true class; columns: the class the model predicted.${every}` });
  figure.append(axes, legend(d3, id), wrap, numbersTable(matrix, labels, title));
  return figure;
}
