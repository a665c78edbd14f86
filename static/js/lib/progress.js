// What every page that follows a run says while it runs and when it ends: the progress bar,
// updated in place, and the sentence a screen reader hears at the end.

import { formatPercent, progressPercent, progressText } from "./format.js";

// While a run stays queued or running only its progress changes: update it in place so the
// bar glides and keyboard focus on the cancel button is kept. False when there is no bar.
export function updateProgress(element, detail) {
  const track = element.querySelector(".progress-track");
  const fill = element.querySelector(".progress-fill");
  const text = element.querySelector(".progress-text");
  if (!track || !fill || !text) return false;
  const percent = progressPercent(detail);
  const description = progressText(detail);
  fill.style.width = `${percent}%`;
  track.setAttribute("aria-valuenow", String(percent));
  track.setAttribute("aria-valuetext", `${percent}%: ${description}`);
  text.textContent = `${percent}% · ${description}`;
  return true;
}

// label: how the page names the run ("Experiment 3"); detail: the run as the API gives it.
export function endAnnouncement(label, detail) {
  if (detail.status === "done") {
    return `${label} finished: accuracy ${formatPercent(detail.accuracy)}.`;
  }
  if (detail.status === "failed") {
    return `${label} failed: ${detail.error || "no reason given"}.`;
  }
  return `${label} was cancelled.`;
}
