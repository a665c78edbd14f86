// What a run that ended without results says, on every page that shows one: its own reason
// when it recorded one, else these words (the history page renders the same on the server).

export const CANCELLED_TEXT = "Cancelled before it finished.";
export const FAILED_TEXT = "The run failed.";

// detail: an experiment as the API gives it ({status, error}); null for other statuses.
export function endedText(detail) {
  if (detail.status === "cancelled") return detail.error || CANCELLED_TEXT;
  if (detail.status === "failed") return detail.error || FAILED_TEXT;
  return null;
}
