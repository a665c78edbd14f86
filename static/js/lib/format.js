// How numbers, statuses and progress are written on every page.

export const STATUS_LABELS = {
  queued: "Queued",
  running: "Running",
  done: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

export const FINISHED = new Set(["done", "failed", "cancelled"]);

export const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

// "1 step", "12 steps": a count with its noun in the right number.
export function countOf(count, singular, plural = `${singular}s`) {
  return `${count} ${count === 1 ? singular : plural}`;
}

export function formatNumber(value, digits) {
  return isNumber(value) ? value.toFixed(digits) : "–";
}

// Losses shrink towards zero over training: keep a few significant digits when they do.
export function formatLoss(value) {
  if (!isNumber(value)) return "–";
  return value !== 0 && Math.abs(value) < 0.001 ? value.toExponential(1) : value.toFixed(4);
}

export function formatPercent(value) {
  return isNumber(value) ? `${(value * 100).toFixed(1)}%` : "–";
}

// The share of a run done, from its API progress, as a whole percentage.
export function progressPercent(detail) {
  const fraction = Math.max(0, Math.min(1, (detail.progress && detail.progress.fraction) || 0));
  return Math.round(fraction * 100);
}

// One line on where a queued or running experiment stands, from its API progress.
export function progressText(detail) {
  const progress = detail.progress || {};
  const metrics = progress.metrics || {};
  if (detail.status === "queued") return "Queued: waiting for a worker…";
  if (progress.phase === "train") {
    const parts = [`Training: epoch ${progress.done ?? 0} of ${progress.total ?? "?"}`];
    if (typeof metrics.loss === "number") parts.push(`loss ${formatLoss(metrics.loss)}`);
    if (typeof metrics.accuracy === "number") parts.push(`accuracy ${formatPercent(metrics.accuracy)}`);
    return parts.join(" · ");
  }
  if (progress.phase === "generate") {
    return `Generating images: step ${progress.done ?? 0} of ${progress.total ?? "?"}`;
  }
  if (progress.phase === "done") return "Saving the results…";
  return "Starting: building the model…";
}
