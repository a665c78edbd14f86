// Seed groups: the compared runs whose settings differ only in the seed, each group as one
// column with the mean ± sample standard deviation of every figure and each seed as a dot,
// beside the runs that stand alone. Shown only when at least one group is among them.
import { byId, el } from "../lib/dom.js";
import { countOf, isNumber } from "../lib/format.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 120;
const HEIGHT = 18;
const PAD = 5;

function svgNode(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text) node.textContent = text;
  return node;
}

// The members' values on a 0 to 1 line: a dot each, the mean as a tick, ± sd as a bar.
function dotStrip(figure, write) {
  const x = (value) => PAD + Math.max(0, Math.min(1, value)) * (WIDTH - 2 * PAD);
  const dots = figure.values.filter((dot) => isNumber(dot.value));
  const words = dots.map((dot) => `seed ${dot.seed} [${dot.number}]: ${write(dot.value)}`).join("; ");
  const svg = svgNode("svg", {
    class: "group-dots",
    width: WIDTH,
    height: HEIGHT,
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-label": words || "no values",
  });
  const middle = HEIGHT / 2;
  svg.append(svgNode("line", { class: "track", x1: PAD, x2: WIDTH - PAD, y1: middle, y2: middle }));
  if (isNumber(figure.sd)) {
    svg.append(
      svgNode("line", {
        class: "sd-bar",
        x1: x(figure.mean - figure.sd),
        x2: x(figure.mean + figure.sd),
        y1: middle,
        y2: middle,
      }),
    );
  }
  for (const dot of dots) {
    const circle = svgNode("circle", { class: "dot", cx: x(dot.value), cy: middle, r: 3.5, "data-seed": dot.seed });
    circle.append(svgNode("title", {}, `seed ${dot.seed} [${dot.number}]: ${write(dot.value)}`));
    svg.append(circle);
  }
  if (isNumber(figure.mean) && figure.n > 1) {
    svg.append(svgNode("line", { class: "mean-mark", x1: x(figure.mean), x2: x(figure.mean), y1: 2, y2: HEIGHT - 2 }));
  }
  return svg;
}

const asR = (value) => value.toFixed(2);
const asPercent = (value) => `${(value * 100).toFixed(1)}%`;
// A spread of accuracies is written in percentage points, like the mean.
const asPoints = (value) => `${(value * 100).toFixed(1)}`;

function statCell(figure, unit, write, writeSd) {
  if (!figure) return el("td", { className: "is-empty", text: "–" });
  let text = "–";
  if (isNumber(figure.mean)) {
    text = isNumber(figure.sd) ? `${write(figure.mean)} ± ${writeSd(figure.sd)}` : write(figure.mean);
  }
  return el(
    "td",
    { dataset: { n: figure.n } },
    el("span", { className: "group-stat", text }),
    unit.kind === "group" ? el("span", { className: "group-n", text: `n = ${figure.n}` }) : null,
    dotStrip(figure, write),
  );
}

function settingsText(settings) {
  return Object.entries(settings)
    // The label names the model; the classes are the table's rows.
    .filter(([name]) => name !== "classes" && name !== "model")
    .map(([name, value]) => `${name.replaceAll("_", " ")} ${Array.isArray(value) ? value.join(", ") : value}`)
    .join(" · ");
}

function unitHead(unit) {
  const parts = [el("span", { text: unit.label })];
  const differs = settingsText(unit.settings);
  if (differs) parts.push(el("span", { className: "group-members", text: differs }));
  if (unit.kind === "group") {
    parts.push(el("span", { className: "group-members", text: `${countOf(unit.n, "run")}, seeds ${unit.seeds.join(", ")}` }));
  }
  return el("th", { scope: "col", className: "group-head", dataset: { kind: unit.kind } }, ...parts);
}

export function renderGroups(data) {
  const section = byId("groups-section");
  const groups = data.seed_groups;
  section.hidden = !groups || groups.groups === 0;
  if (section.hidden) return;
  const units = groups.units;
  const row = (name, cells, className) =>
    el("tr", { className }, el("th", { scope: "row", text: name }), ...cells);
  byId("group-table").replaceChildren(
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Figure" }), ...units.map(unitHead))),
    el(
      "tbody",
      {},
      row("Accuracy", units.map((unit) => statCell(unit.accuracy, unit, asPercent, asPoints))),
      row("Validation accuracy", units.map((unit) => statCell(unit.val_accuracy, unit, asPercent, asPoints))),
      // On held-out test images: only where some run's dataset has them.
      units.some((unit) => isNumber(unit.test_accuracy?.mean))
        ? row("Test accuracy", units.map((unit) => statCell(unit.test_accuracy, unit, asPercent, asPoints)), "group-test")
        : null,
      ...data.classes.map((klass, position) =>
        row(
          `|r| ${klass.name}`,
          units.map((unit) => statCell(unit.classes[position], unit, asR, asR)),
          "group-class",
        ),
      ),
    ),
  );
}
