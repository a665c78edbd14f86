// The parallel-coordinates chart: one axis per varied setting, then mean |r| and mean
// accuracy; one line per value combination through its values and its means. Drawn only
// when the sweep varies something.
import { el } from "../lib/dom.js";
import { formatPercent, isNumber } from "../lib/format.js";
import { comboText, d3, fixed, meanSd, settingLabel, valueText, variedSettings } from "./common.js";

const HEIGHT = 280;
const MARGIN = { top: 34, right: 40, bottom: 18, left: 40 };

export function renderParallel(section, svgNode, table, data) {
  const names = variedSettings(data);
  section.hidden = names.length === 0;
  if (!names.length) return;
  const groups = (data.groups || []).filter((group) => isNumber(group.mean_r) || isNumber(group.mean_accuracy));
  const axes = [
    ...names.map((name) => ({
      key: name,
      label: settingLabel(name),
      scale: d3.scalePoint().domain((data.vary[name] || []).map(valueText)).padding(0.3),
      value: (group) => valueText(group.values[name]),
    })),
    { key: "mean_r", label: "mean |r|", scale: d3.scaleLinear().domain([0, 1]), value: (group) => group.mean_r, format: fixed },
    { key: "mean_accuracy", label: "accuracy", scale: d3.scaleLinear().domain([0, 1]), value: (group) => group.mean_accuracy, format: formatPercent },
  ];
  const available = Math.floor(svgNode.parentElement.clientWidth || 0);
  const width = Math.max(320, Math.min(available || 640, 120 + axes.length * 200));
  const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width} ${HEIGHT}`).attr("width", width).attr("height", HEIGHT);
  svg.selectAll("*").remove();
  const x = d3.scalePoint().domain(axes.map((axis) => axis.key)).range([MARGIN.left, width - MARGIN.right]);
  for (const axis of axes) axis.scale.range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const colour = d3.scaleSequential(d3.interpolateViridis).domain([0, 1]);
  const line = d3
    .line()
    .defined(([, value]) => value !== undefined && value !== null && !Number.isNaN(value))
    .x(([axis]) => x(axis.key))
    .y(([axis, value]) => axis.scale(value));
  svg
    .append("g")
    .selectAll("path")
    .data(groups)
    .join("path")
    .attr("class", "parallel-line")
    .attr("fill", "none")
    .attr("stroke", (group) => (isNumber(group.mean_r) ? colour(group.mean_r) : "#9aa6b2"))
    .attr("d", (group) => line(axes.map((axis) => [axis, axis.value(group)])))
    .append("title")
    .text((group) => `${comboText(data, group.values, { named: true })}: mean |r| ${fixed(group.mean_r)}, accuracy ${formatPercent(group.mean_accuracy)}`);
  for (const axis of axes) {
    const g = svg.append("g").attr("class", "axis parallel-axis").attr("transform", `translate(${x(axis.key)},0)`);
    const generator = d3.axisLeft(axis.scale);
    if (axis.format === formatPercent) generator.ticks(5).tickFormat(d3.format(".0%"));
    else if (axis.format) generator.ticks(5);
    g.call(generator);
    g.append("text").attr("class", "parallel-title").attr("y", MARGIN.top - 14).attr("text-anchor", "middle").text(axis.label);
  }
  const head = [...names.map(settingLabel), "n", "Mean |r| ± sd", "Accuracy ± sd", "Validation accuracy ± sd"];
  const rows = groups.map((group) => [
    ...names.map((name) => valueText(group.values[name])),
    String(group.n ?? 0),
    meanSd(group.mean_r, group.sd_r),
    meanSd(group.mean_accuracy, group.sd_accuracy, formatPercent),
    meanSd(group.mean_val_accuracy, group.sd_val_accuracy, formatPercent),
  ]);
  table.replaceChildren(
    el("caption", { text: "Each combination of values: its runs and their means" }),
    el("thead", {}, el("tr", {}, ...head.map((text) => el("th", { scope: "col", text })))),
    el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((text) => el("td", { text }))))),
  );
}
