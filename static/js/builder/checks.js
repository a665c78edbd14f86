// The page's own checks of a run setting against the bounds the server gave (settings.limits,
// settings.listLimits), worded as the server words them.

// A number within the setting's bounds, or the reason it is not (after the field's label).
export function checkNumber(settings, raw, name, { integer = false, optional = false } = {}) {
  const [low, high] = settings.limits[name];
  const strictLow = settings.strictMin.includes(name);
  const strictHigh = settings.strictMax.includes(name);
  const text = String(raw ?? "").trim();
  if (text === "") {
    return optional ? { value: undefined } : { error: "enter a value." };
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: "enter a number." };
  if (integer && !Number.isInteger(value)) return { error: "enter a whole number." };
  const tooLow = strictLow ? value <= low : value < low;
  const tooHigh = strictHigh ? value >= high : value > high;
  if (tooLow || tooHigh) {
    const lowText = strictLow ? `more than ${low}` : `at least ${low}`;
    const highText = strictHigh ? `less than ${high}` : `at most ${high}`;
    return { error: `must be ${lowText} and ${highText}.` };
  }
  return { value };
}

// A list of whole numbers typed as "64, 32", or the reason it is not one (the server's rules).
export function checkList(settings, raw, name) {
  const { fewest, most, low, high, entry } = settings.listLimits[name];
  const text = String(raw ?? "").trim();
  const parts = text === "" ? [] : text.split(",").map((part) => part.trim());
  if (parts.length < fewest || parts.length > most) {
    return { error: `list ${fewest} to ${most} ${entry}s, separated by commas.` };
  }
  const values = [];
  for (const part of parts) {
    const value = Number(part);
    if (part === "" || !Number.isInteger(value)) {
      return { error: `each ${entry} must be a whole number, not “${part}”.` };
    }
    if (value < low || value > high) {
      return { error: `each ${entry} must be from ${low} to ${high}, not ${value}.` };
    }
    values.push(value);
  }
  return { value: values };
}
