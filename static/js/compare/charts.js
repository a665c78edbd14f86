// The compare page's charts, drawn with D3, each with its numbers in a table beside it: |r|
// per class, its change against the base, the training curves and the cross-class heatmaps.
// data: the answer of GET /api/v1/compare/.
import { byId, el } from "../lib/dom.js";
import { gridKeys, rowLabels } from "../lib/grid.js";
import { STATUS_LABELS, formatLoss, formatPercent, isNumber } from "../lib/format.js";
import { endedText } from "../lib/status_text.js";
import { colorOf, d3, fillTable, fixed, signed } from "./common.js";

// Axes and a frame shared by the bar charts.
// A bar chart takes the width of the page (the room its bars need at least, scaled down to
// a narrow window by its viewBox).
function barFrame(data, svgNode, height) {
  const needed = 70 + data.classes.length * Math.max(48, 16 * data.experiments.length);
  const width = Math.max(360, needed, Math.floor(svgNode.parentElement.clientWidth || 0));
  const margin = { top: 12, right: 12, bottom: 42, left: 48 };
  const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
  svg.selectAll("*").remove();
  const x0 = d3
    .scaleBand()
    .domain(data.classes.map((row) => row.key))
    .range([margin.left, width - margin.right])
    .paddingInner(0.2);
  return { svg, width, height, margin, x0 };
}

function classAxis(data, frame, y) {
  const names = new Map(data.classes.map((row) => [row.key, row.name]));
  frame.svg
    .append("g")
    .attr("class", "axis")
    .attr("transform", `translate(0,${y})`)
    .call(d3.axisBottom(frame.x0).tickFormat((key) => names.get(key)))
    .selectAll("text")
    .attr("transform", "rotate(-12)")
    .style("text-anchor", "end");
}

export function renderRChart(data) {
  const frame = barFrame(data, byId("r-chart"), 260);
  const { svg, height, margin, x0 } = frame;
  const x1 = d3.scaleBand().domain(d3.range(data.experiments.length)).range([0, x0.bandwidth()]).padding(0.08);
  const y = d3.scaleLinear().domain([0, 1]).range([height - margin.bottom, margin.top]);
  svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left},0)`).call(d3.axisLeft(y).ticks(5));
  const bars = [];
  data.classes.forEach((row) =>
    row.cells.forEach((cell, index) => {
      if (cell && isNumber(cell.r)) bars.push({ row, index, r: cell.r });
    }),
  );
  svg
    .append("g")
    .selectAll("rect")
    .data(bars)
    .join("rect")
    .attr("class", "bar")
    .attr("x", (d) => x0(d.row.key) + x1(d.index))
    .attr("width", x1.bandwidth())
    .attr("y", (d) => y(d.r))
    .attr("height", (d) => y(0) - y(d.r))
    .attr("fill", (d) => colorOf(d.index))
    .append("title")
    .text((d) => `${d.row.name}, ${data.experiments[d.index].label}: |r| = ${d.r.toFixed(2)}`);
  classAxis(data, frame, height - margin.bottom);
  fillTable(
    byId("r-table"),
    ["Class", ...data.experiments.map((e) => e.label)],
    data.classes.map((row) => [row.name, ...row.cells.map((cell) => (cell ? fixed(cell.r) : "not trained"))]),
    "|r| per class and experiment",
  );
}

export function renderDeltaChart(data) {
  const base = data.experiments.find((experiment) => experiment.id === data.base);
  byId("delta-title").textContent = `Change in |r| against ${base.label}`;
  const others = data.experiments.map((e, index) => ({ e, index })).filter(({ e }) => e.id !== data.base);
  const frame = barFrame(data, byId("delta-chart"), 240);
  const { svg, width, height, margin, x0 } = frame;
  const bars = [];
  data.classes.forEach((row) =>
    others.forEach(({ index }) => {
      const cell = row.cells[index];
      if (cell && isNumber(cell.delta_r)) bars.push({ row, index, delta: cell.delta_r });
    }),
  );
  const extent = Math.max(0.1, d3.max(bars, (d) => Math.abs(d.delta)) || 0);
  const y = d3.scaleLinear().domain([-extent, extent]).nice().range([height - margin.bottom, margin.top]);
  const x1 = d3.scaleBand().domain(others.map(({ index }) => index)).range([0, x0.bandwidth()]).padding(0.08);
  svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left},0)`).call(d3.axisLeft(y).ticks(5).tickFormat(d3.format("+.2f")));
  svg.append("line").attr("class", "zero-line").attr("x1", margin.left).attr("x2", width - margin.right).attr("y1", y(0)).attr("y2", y(0));
  svg
    .append("g")
    .selectAll("rect")
    .data(bars)
    .join("rect")
    .attr("class", "delta-bar")
    .attr("x", (d) => x0(d.row.key) + x1(d.index))
    .attr("width", x1.bandwidth())
    .attr("y", (d) => y(Math.max(0, d.delta)))
    .attr("height", (d) => Math.abs(y(d.delta) - y(0)))
    .attr("fill", (d) => colorOf(d.index))
    .append("title")
    .text((d) => `${d.row.name}, ${data.experiments[d.index].label}: ${signed(d.delta)} against ${base.label}`);
  classAxis(data, frame, height - margin.bottom);
  fillTable(
    byId("delta-table"),
    ["Class", ...others.map(({ e }) => e.label)],
    data.classes.map((row) => [
      row.name,
      ...others.map(({ index }) => {
        const cell = row.cells[index];
        if (!cell) return "not trained";
        return isNumber(cell.delta_r) ? signed(cell.delta_r) : "–";
      }),
    ]),
    `Change in |r| against ${base.label}`,
  );
}

// Each chart's values are written as every page writes them: losses by formatLoss, and
// accuracies as percentages.
const CURVES = [
  { metric: "loss", svg: "loss-chart", series: ["loss", "val_loss"], format: formatLoss },
  { metric: "accuracy", svg: "accuracy-chart", series: ["accuracy", "val_accuracy"], format: formatPercent },
];

// The y scale of a chart: accuracy from 0 to 1; loss from 0, or on a logarithmic axis (which
// shows the late, small losses) from its smallest positive value.
function yScale(chart, values, logLoss, range) {
  if (chart.metric === "accuracy") return d3.scaleLinear().domain([0, 1]).range(range);
  const top = d3.max(values) || 1;
  if (!logLoss) return d3.scaleLinear().domain([0, top]).nice().range(range);
  const positive = values.filter((value) => value > 0);
  const bottom = d3.min(positive) || top / 10;
  return d3.scaleLog().domain([bottom, Math.max(top, bottom * 10)]).nice().range(range);
}

// One chart of training curves; returns the series it drew.
function renderCurve(data, chart, tooltip, logLoss) {
  const lines = [];
  data.experiments.forEach((experiment, index) => {
    for (const key of chart.series) {
      const values = (experiment.history || {})[key];
      if (Array.isArray(values) && values.length) lines.push({ experiment, index, key, values });
    }
  });
  const width = 500;
  const height = 260;
  const margin = { top: 12, right: 14, bottom: 34, left: 52 };
  const svg = d3.select(byId(chart.svg)).attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
  svg.selectAll("*").remove();
  const epochs = d3.max(lines, (line) => line.values.length) || 1;
  const x = d3.scaleLinear().domain([1, Math.max(2, epochs)]).range([margin.left, width - margin.right]);
  const values = lines.flatMap((line) => line.values.filter(isNumber));
  const log = chart.metric === "loss" && logLoss;
  const y = yScale(chart, values, logLoss, [height - margin.bottom, margin.top]);
  svg.attr("data-scale", log ? "log" : "linear");
  svg.append("g").attr("class", "axis").attr("transform", `translate(0,${height - margin.bottom})`).call(d3.axisBottom(x).ticks(Math.min(10, epochs)).tickFormat(d3.format("d")));
  const yAxis = d3.axisLeft(y);
  if (log) yAxis.ticks(5, "~g");
  else if (chart.metric === "accuracy") yAxis.ticks(5, "~%");
  else yAxis.ticks(5);
  svg.append("g").attr("class", "axis y-axis").attr("transform", `translate(${margin.left},0)`).call(yAxis);
  svg.append("text").attr("class", "axis-label").attr("x", width - margin.right).attr("y", height - 4).attr("text-anchor", "end").text("epoch");
  // A logarithmic axis has no place for a loss of 0: such a point is left out.
  const path = d3
    .line()
    .defined((value) => isNumber(value) && (!log || value > 0))
    .x((_value, i) => x(i + 1))
    .y((value) => y(value));
  svg
    .append("g")
    .selectAll("path")
    .data(lines)
    .join("path")
    .attr("class", (line) => `curve${line.key.startsWith("val_") ? " is-validation" : ""}`)
    .attr("fill", "none")
    .attr("stroke", (line) => colorOf(line.index))
    .attr("d", (line) => path(line.values))
    .append("title")
    .text((line) => `${line.experiment.label}, ${line.key.replace("_", " ")}`);
  // Hover: a rule at the nearest epoch and every series' value there.
  const rule = svg.append("line").attr("class", "hover-rule").attr("y1", margin.top).attr("y2", height - margin.bottom).style("display", "none");
  svg
    .append("rect")
    .attr("class", "hover-area")
    .attr("x", margin.left)
    .attr("y", margin.top)
    .attr("width", width - margin.left - margin.right)
    .attr("height", height - margin.top - margin.bottom)
    .attr("fill", "transparent")
    .on("mousemove", (event) => {
      const [px] = d3.pointer(event);
      const epoch = Math.max(1, Math.min(epochs, Math.round(x.invert(px))));
      rule.attr("x1", x(epoch)).attr("x2", x(epoch)).style("display", null);
      tooltip.replaceChildren(
        el("strong", { text: `${chart.metric}, epoch ${epoch}` }),
        ...lines.map((line) => {
          const swatch = el("span", { className: "legend-swatch" });
          swatch.style.background = colorOf(line.index);
          const kind = line.key.startsWith("val_") ? "validation" : "training";
          return el("div", {}, swatch, `${line.experiment.label} ${kind}: ${chart.format(line.values[epoch - 1])}`);
        }),
      );
      tooltip.hidden = false;
      const box = byId(chart.svg).getBoundingClientRect();
      tooltip.style.left = `${window.scrollX + box.left + (x(epoch) / width) * box.width + 12}px`;
      tooltip.style.top = `${window.scrollY + box.top + 8}px`;
    })
    .on("mouseleave", () => {
      rule.style("display", "none");
      tooltip.hidden = true;
    });
  return lines;
}

// logLoss: whether the loss axis is logarithmic.
export function renderCurves(data, { logLoss = false } = {}) {
  const tooltip = byId("curve-tooltip");
  const allSeries = CURVES.flatMap((chart) =>
    renderCurve(data, chart, tooltip, logLoss).map((line) => ({ ...line, format: chart.format })),
  );
  const epochs = d3.max(allSeries, (line) => line.values.length) || 0;
  fillTable(
    byId("curves-table"),
    ["Epoch", ...allSeries.map((line) => `${line.experiment.label} ${line.key.replace("_", " ")}`)],
    d3.range(epochs).map((i) => [String(i + 1), ...allSeries.map((line) => line.format(line.values[i]))]),
    "Loss and accuracy per epoch, training and validation",
  );
}

// Cross-class |r| runs from 0 (white) to 1 (deep blue); a cell without a value is grey.
const HEAT = d3.scaleSequential(d3.interpolateBlues).domain([0, 1]);
const NO_VALUE = "#d8dde4";

// What a heatmap's column says when its run has no results.
function noResultsText(experiment) {
  const ended = endedText(experiment);
  if (ended) return ended;
  return `${STATUS_LABELS[experiment.status] || experiment.status}: no results yet.`;
}

// The value of the cell under the pointer or the keyboard focus, beside it.
function showHeatTooltip(cellNode, text) {
  const tooltip = byId("heat-tooltip");
  tooltip.textContent = text;
  tooltip.hidden = false;
  const box = cellNode.getBoundingClientRect();
  tooltip.style.left = `${window.scrollX + box.right + 6}px`;
  tooltip.style.top = `${window.scrollY + box.top - 4}px`;
}

function hideHeatTooltip() {
  byId("heat-tooltip").hidden = true;
}

function heatmap(experiment, index) {
  const matrix = experiment.cross_r || [];
  const names = experiment.class_names.length ? experiment.class_names : experiment.classes;
  const figure = el("figure", { className: "heatmap-figure", "data-id": experiment.id });
  const titleId = `heatmap-title-${experiment.id}`;
  figure.append(el("figcaption", { id: titleId }, experiment.label));
  if (!matrix.length) {
    figure.append(el("p", { className: "hint", text: noResultsText(experiment) }));
    return figure;
  }
  const n = matrix.length;
  const cell = Math.max(18, Math.min(40, Math.floor(240 / n)));
  // Room for the class names: down the left, and slanted below (reaching right).
  const left = 110;
  const top = 8;
  const size = left + n * cell + 80;
  const height = top + n * cell + 100;
  const svgNode = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svgNode.setAttribute("class", "chart heatmap");
  svgNode.setAttribute("role", "group");
  svgNode.setAttribute("aria-labelledby", titleId);
  const svg = d3.select(svgNode).attr("viewBox", `0 0 ${size} ${height}`).attr("width", size).attr("height", height);
  const cells = matrix.flatMap((row, i) => row.map((value, j) => ({ i, j, value })));
  const describe = (d) => `image of ${names[d.i]} vs shape ${names[d.j]}: |r| = ${fixed(d.value)}`;
  svg
    .append("g")
    .selectAll("rect")
    .data(cells)
    .join("rect")
    .attr("class", "heat-cell")
    .attr("x", (d) => left + d.j * cell)
    .attr("y", (d) => top + d.i * cell)
    .attr("width", cell - 1)
    .attr("height", cell - 1)
    .attr("fill", (d) => (isNumber(d.value) ? HEAT(d.value) : NO_VALUE))
    .attr("role", "img")
    .attr("aria-label", describe)
    .attr("tabindex", (_d, k) => (k === 0 ? 0 : -1))
    .on("mouseenter focus", (event, d) => showHeatTooltip(event.currentTarget, describe(d)))
    .on("mouseleave blur", hideHeatTooltip);
  rowLabels(svg, names, { className: "heat-label", left, top, cell, gap: 4 });
  svg
    .append("g")
    .selectAll("text")
    .data(names)
    .join("text")
    .attr("class", "heat-label")
    .attr("transform", (_d, j) => `translate(${left + j * cell + cell / 2},${top + n * cell + 6}) rotate(50)`)
    .text((d) => d);
  gridKeys(svgNode, ".heat-cell", n);
  figure.append(svgNode);
  const table = el("table", { className: "data-table" });
  fillTable(
    table,
    ["Image of \\ shape", ...names],
    matrix.map((row, i) => [names[i], ...row.map((v) => fixed(v))]),
    `Cross-class |r| of ${experiment.label}`,
  );
  figure.append(
    el(
      "details",
      { className: "chart-numbers" },
      el("summary", { text: "The numbers of this heatmap" }),
      el("div", { className: "table-scroll" }, table),
    ),
  );
  figure.style.setProperty("--accent-line", colorOf(index));
  return figure;
}

// The colour scale every heatmap shares, from 0 to 1, and the grey of a cell with no value.
function heatLegend() {
  const width = 260;
  const svgNode = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svgNode.setAttribute("class", "heat-legend-scale");
  svgNode.setAttribute("aria-hidden", "true");
  const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width + 20} 40`).attr("width", width + 20).attr("height", 40);
  const gradient = svg.append("defs").append("linearGradient").attr("id", "heat-gradient");
  gradient
    .selectAll("stop")
    .data(d3.range(0, 1.0001, 0.1))
    .join("stop")
    .attr("offset", (t) => `${t * 100}%`)
    .attr("stop-color", (t) => HEAT(t));
  svg.append("rect").attr("x", 10).attr("y", 4).attr("width", width).attr("height", 14).attr("fill", "url(#heat-gradient)").attr("stroke", "#9aa6b2");
  const x = d3.scaleLinear().domain([0, 1]).range([10, 10 + width]);
  svg.append("g").attr("class", "axis").attr("transform", "translate(0,18)").call(d3.axisBottom(x).ticks(5).tickSize(4));
  const none = el("span", { className: "legend-swatch heat-none" });
  none.style.background = NO_VALUE;
  return [
    el("span", { className: "heat-legend-label", text: "|r|, from 0 (white) to 1 (deep blue):" }),
    svgNode,
    el("span", { className: "heat-legend-none" }, none, "no value (a constant image)"),
  ];
}

export function renderHeatmaps(data) {
  byId("heatmap-legend").replaceChildren(...heatLegend());
  byId("heatmaps").replaceChildren(...data.experiments.map(heatmap));
}
