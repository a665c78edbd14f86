// Asking an endpoint that answers 202 "computing" until a worker has stored its answer:
// again every second and a half, with the seconds waited so far shown; the asking stops on
// the answer, on an error, when the page is left, or when cancelled by a newer request.
import { apiFetch, describeErrors } from "../lib/api.js";

const EVERY_MS = 1500;
const running = new Set();

window.addEventListener("pagehide", () => {
  for (const cancel of running) cancel();
});

// Calls onWaiting(seconds) while computing, then onDone(body) or onError(message) once.
// Returns the function that stops asking.
export function pollUntilDone(url, { onWaiting, onDone, onError }) {
  const began = Date.now();
  let stopped = false;
  let timer = null;
  const cancel = () => {
    stopped = true;
    clearTimeout(timer);
    running.delete(cancel);
  };
  running.add(cancel);
  const ask = async () => {
    const answer = await apiFetch(url).catch(() => null);
    if (stopped) return;
    if (!answer) {
      cancel();
      onError("The server could not be reached. Try again in a moment.");
    } else if (answer.status === 202) {
      onWaiting(Math.round((Date.now() - began) / 1000));
      timer = setTimeout(ask, EVERY_MS);
    } else if (answer.ok) {
      cancel();
      onDone(answer.body);
    } else {
      cancel();
      onError(describeErrors(answer.body, answer.status));
    }
  };
  ask();
  return cancel;
}

// "Computing…" with the seconds waited, for a status line.
export function waitingText(seconds) {
  return seconds > 0 ? `Computing… ${seconds} s so far; a worker is on it.` : "Computing…";
}
