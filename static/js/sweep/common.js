// What the sweep page's parts share: D3 (the classic script loaded before the page's
// modules), how a setting and its values are written, and the value combinations of a sweep
// in the order the server lists them. data: the answer of GET /api/v1/sweeps/{id}/.
import { fieldLabel } from "../lib/api.js";
import { isNumber } from "../lib/format.js";

export const { d3 } = window;

export const fixed = (value, digits = 2) => (isNumber(value) ? value.toFixed(digits) : "–");

// "0.72 ± 0.15"; the sd is left out where there is none (fewer than two values).
export function meanSd(mean, sd, format = fixed) {
  if (!isNumber(mean)) return "–";
  return isNumber(sd) ? `${format(mean)} ± ${format(sd)}` : format(mean);
}

export const percentOf = (value) => (isNumber(value) ? value * 100 : value);
export const formatShare = (value) => (isNumber(value) ? `${Math.round(value * 100)}%` : "–");

// The builder's names of the settings ("Hidden layers", not "Mlp layers"), from the page.
const settingsElement = document.getElementById("sweep-settings");
const labels = settingsElement ? JSON.parse(settingsElement.textContent).labels || {} : {};

export function settingLabel(name) {
  return fieldLabel(name, labels);
}

export function valueText(value) {
  if (value === null || value === undefined) return "default";
  if (Array.isArray(value)) return value.join("-");
  if (typeof value === "boolean") return value ? "on" : "off";
  return String(value);
}

// The settings a sweep varies, in the order of its vary object.
export const variedSettings = (data) => Object.keys(data.vary || {});

// A stable key of a combination of values (the same for a member and its group).
export function comboKey(data, values) {
  return JSON.stringify(variedSettings(data).map((name) => (values || {})[name] ?? null));
}

// A combination in words: "cnn, 0.01"; with the settings named when asked ("Model cnn, ...").
export function comboText(data, values, { named = false } = {}) {
  const names = variedSettings(data);
  if (!names.length) return "every seed";
  return names
    .map((name) => (named ? `${settingLabel(name)} ${valueText(values[name])}` : valueText(values[name])))
    .join(", ");
}

// The combinations in the server's order (its groups), each once: {key, values, text}.
export function combos(data) {
  const seen = new Map();
  const add = (values) => {
    const key = comboKey(data, values);
    if (!seen.has(key)) seen.set(key, { key, values: values || {}, text: comboText(data, values || {}) });
  };
  for (const group of data.groups || []) add(group.values);
  for (const member of data.experiments || []) add(member.values);
  return Array.from(seen.values());
}

// The sweep's seeds, in order.
export function seedsOf(data) {
  return Array.from(new Set((data.experiments || []).map((member) => member.seed))).sort((a, b) => a - b);
}

// The member of a combination and a seed, or undefined.
export function memberAt(data, key, seed) {
  return (data.experiments || []).find((member) => member.seed === seed && comboKey(data, member.values) === key);
}
