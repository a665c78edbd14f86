// The sweep page's dot charts: for each value combination, every seed's value as a dot and
// the mean ± sd as a bar with whiskers (written out above it too), each chart with its
// numbers in a table below. One chart of |r| per class, then accuracy and validation accuracy.
import { el } from "../lib/dom.js";
import { formatPercent, isNumber } from "../lib/format.js";
import { combos, comboKey, d3, fixed, meanSd, seedsOf, settingLabel, variedSettings } from "./common.js";

const HEIGHT = 250;
const MARGIN = { top: 26, right: 12, bottom: 52, left: 46 };

function fillTable(table, head, rows, caption) {
  table.replaceChildren(
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, ...head.map((text) => el("th", { scope: "col", text })))),
    el(
      "tbody",
      {},
      ...rows.map((cells) => el("tr", {}, ...cells.map((cell, i) => el(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : {}, cell)))),
    ),
  );
}

// Mean ± sd over a chart's bar: percentages to whole points ("80 ± 5%"), to leave room.
function shortMeanSd(mean, sd, format) {
  if (format !== formatPercent) return meanSd(mean, sd, format);
  const points = (value) => (value * 100).toFixed(0);
  return isNumber(sd) ? `${points(mean)} ± ${points(sd)}%` : `${points(mean)}%`;
}

// One chart into svgNode. points: [{key, seed, value, experiment}]; stats: key -> {mean, sd, n};
// format: how a value is written; what: the measure in words ("|r| of box").
function dotChart(svgNode, data, { points, stats, format, what }) {
  const all = combos(data);
  const seeds = seedsOf(data);
  const available = Math.floor(svgNode.parentElement.clientWidth || 0);
  const width = Math.max(300, Math.min(available || 600, 60 + all.length * 130), 60 + all.length * 56);
  const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width} ${HEIGHT}`).attr("width", width).attr("height", HEIGHT);
  svg.selectAll("*").remove();
  const x = d3.scaleBand().domain(all.map((combo) => combo.key)).range([MARGIN.left, width - MARGIN.right]).padding(0.18);
  const y = d3.scaleLinear().domain([0, 1]).range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const yAxis = d3.axisLeft(y).ticks(5);
  if (format === formatPercent) yAxis.tickFormat(d3.format(".0%"));
  svg.append("g").attr("class", "axis").attr("transform", `translate(${MARGIN.left},0)`).call(yAxis);
  const texts = new Map(all.map((combo) => [combo.key, combo.text]));
  const xAxis = svg
    .append("g")
    .attr("class", "axis")
    .attr("transform", `translate(0,${HEIGHT - MARGIN.bottom})`)
    .call(d3.axisBottom(x).tickFormat((key) => texts.get(key)));
  if (x.bandwidth() < 70) xAxis.selectAll("text").attr("transform", "rotate(-20)").style("text-anchor", "end");
  const names = variedSettings(data);
  svg
    .append("text")
    .attr("class", "axis-label")
    .attr("x", width - MARGIN.right)
    .attr("y", HEIGHT - 4)
    .attr("text-anchor", "end")
    .text(names.length ? names.map(settingLabel).join(", ") : "");
  // Mean ± sd: a bar at the mean, whiskers one sd either side, the numbers above.
  const summaries = all.map((combo) => ({ combo, ...(stats.get(combo.key) || {}) })).filter((s) => isNumber(s.mean));
  const bar = svg.append("g").attr("class", "summary-marks");
  for (const s of summaries) {
    const centre = x(s.combo.key) + x.bandwidth() / 2;
    const half = Math.min(26, x.bandwidth() / 2.5);
    const group = bar.append("g").attr("class", "summary-mark").attr("data-combo", s.combo.key);
    if (isNumber(s.sd)) {
      const low = y(Math.max(0, s.mean - s.sd));
      const high = y(Math.min(1, s.mean + s.sd));
      group.append("line").attr("class", "whisker").attr("x1", centre).attr("x2", centre).attr("y1", low).attr("y2", high);
      for (const at of [low, high]) {
        group.append("line").attr("class", "whisker").attr("x1", centre - half / 2).attr("x2", centre + half / 2).attr("y1", at).attr("y2", at);
      }
    }
    group.append("line").attr("class", "mean-bar").attr("x1", centre - half).attr("x2", centre + half).attr("y1", y(s.mean)).attr("y2", y(s.mean));
    group
      .append("text")
      .attr("class", "mean-text")
      .attr("x", centre)
      .attr("y", Math.max(11, y(Math.min(1, s.mean + (s.sd || 0))) - 6))
      .attr("text-anchor", "middle")
      .text(shortMeanSd(s.mean, s.sd, format));
    group.append("title").text(`${what}, ${s.combo.text}: mean ${meanSd(s.mean, s.sd, format)} over ${s.n ?? "?"} seeds`);
  }
  // Every seed a dot, spread across the band in seed order so the same seed sits at the
  // same place in every chart.
  const spread = (seed) => {
    const at = seeds.indexOf(seed);
    return seeds.length > 1 ? 0.15 + (0.7 * at) / (seeds.length - 1) : 0.5;
  };
  svg
    .append("g")
    .selectAll("circle")
    .data(points.filter((point) => isNumber(point.value) && x(point.key) !== undefined))
    .join("circle")
    .attr("class", "seed-dot")
    .attr("data-seed", (point) => point.seed)
    .attr("data-experiment", (point) => point.experiment)
    .attr("cx", (point) => x(point.key) + x.bandwidth() * spread(point.seed))
    .attr("cy", (point) => y(Math.max(0, Math.min(1, point.value))))
    .attr("r", 4)
    .append("title")
    .text((point) => `${what}, ${texts.get(point.key)}, seed ${point.seed}: ${format(point.value)}`);
  return { all, seeds };
}

// The figure of one chart: caption, chart, numbers.
function figure(id, caption) {
  const svgNode = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svgNode.setAttribute("class", "chart sweep-chart");
  svgNode.setAttribute("role", "img");
  svgNode.setAttribute("aria-labelledby", `${id}-caption`);
  svgNode.id = id;
  const table = el("table", { className: "data-table" });
  const node = el(
    "figure",
    { className: "sweep-figure" },
    el("figcaption", { id: `${id}-caption`, text: caption }),
    el("div", { className: "chart-scroll" }, svgNode),
    el("details", { className: "chart-numbers" }, el("summary", { text: "The numbers of this chart" }), el("div", { className: "table-scroll" }, table)),
  );
  return { node, svgNode, table };
}

function seedTable(table, data, all, seeds, stats, valueOf, format, caption) {
  fillTable(
    table,
    ["Setting", "Mean ± sd", "n", ...seeds.map((seed) => `Seed ${seed}`)],
    all.map((combo) => {
      const s = stats.get(combo.key) || {};
      return [combo.text, meanSd(s.mean, s.sd, format), String(s.n ?? 0), ...seeds.map((seed) => format(valueOf(combo.key, seed)))];
    }),
    caption,
  );
}

// |r| per class: one chart per class of the sweep.
export function renderRCharts(container, data) {
  const figures = data.classes.map((cls, index) => {
    const rows = (data.summary || []).filter((row) => row.class === cls.key);
    const stats = new Map(rows.map((row) => [comboKey(data, row.values), { mean: row.mean_r, sd: row.sd_r, n: row.n }]));
    const points = [];
    for (const member of data.experiments) {
      const result = (member.classes || []).find((c) => c.key === cls.key);
      if (result && isNumber(result.r)) {
        points.push({ key: comboKey(data, member.values), seed: member.seed, value: result.r, experiment: member.id });
      }
    }
    const part = figure(`r-chart-${index}`, `|r| of ${cls.name}`);
    part.node.dataset.class = cls.key;
    return { part, stats, points, cls };
  });
  container.replaceChildren(...figures.map(({ part }) => part.node));
  for (const { part, stats, points, cls } of figures) {
    const { all, seeds } = dotChart(part.svgNode, data, { points, stats, format: fixed, what: `|r| of ${cls.name}` });
    const byPlace = new Map(points.map((p) => [`${p.key}|${p.seed}`, p.value]));
    seedTable(part.table, data, all, seeds, stats, (key, seed) => byPlace.get(`${key}|${seed}`), fixed, `|r| of ${cls.name} per setting and seed`);
  }
}

// Accuracy or validation accuracy (metric "accuracy" or "val_accuracy").
export function renderMetricChart(container, data, metric, caption) {
  const stats = new Map(
    (data.groups || []).map((group) => [
      comboKey(data, group.values),
      { mean: group[`mean_${metric}`], sd: group[`sd_${metric}`], n: group.n },
    ]),
  );
  const points = data.experiments
    .filter((member) => isNumber(member[metric]))
    .map((member) => ({ key: comboKey(data, member.values), seed: member.seed, value: member[metric], experiment: member.id }));
  const part = figure(`${metric}-chart`, caption);
  container.replaceChildren(part.node);
  const { all, seeds } = dotChart(part.svgNode, data, { points, stats, format: formatPercent, what: caption });
  const byPlace = new Map(points.map((p) => [`${p.key}|${p.seed}`, p.value]));
  seedTable(part.table, data, all, seeds, stats, (key, seed) => byPlace.get(`${key}|${seed}`), formatPercent, `${caption} per setting and seed`);
}

