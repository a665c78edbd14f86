// The interaction log of an evaluation study. Page modules call log(type, data) for what only
// the page knows (a class picked, time spent on a page); what goes through the API (runs
// started, drawings and highlights saved, comparisons opened) the server records itself.
// The log is off until startLog() turns it on, which static/js/events.js does on a study
// participant's pages only: elsewhere log() does nothing. Events are sent in batches to
// POST /api/v1/events/ with the browser's time; the server stamps its own time on each.
import { apiFetch } from "./api.js";

const ENDPOINT = "/api/v1/events/";
const FLUSH_MS = 5000;
const MAX_BATCH = 50;

const queue = [];
let started = false;
let timer = null;

function send(events, keepalive) {
  return apiFetch(ENDPOINT, {
    method: "POST",
    keepalive: Boolean(keepalive),
    body: JSON.stringify({ events }),
  });
}

export function flush(keepalive = false) {
  if (timer !== null) {
    window.clearTimeout(timer);
    timer = null;
  }
  while (queue.length) {
    const batch = queue.splice(0, MAX_BATCH);
    // A failed batch goes back to the queue once, to be sent with the next one.
    send(batch, keepalive).then(
      (response) => {
        if (response.status >= 500) requeue(batch);
      },
      () => requeue(batch),
    );
  }
}

function requeue(batch) {
  for (const event of batch) {
    if (!event.data.retried) {
      event.data.retried = true;
      queue.push(event);
    }
  }
  schedule();
}

function schedule() {
  if (timer === null) timer = window.setTimeout(() => flush(), FLUSH_MS);
}

export function log(type, data) {
  if (!started) return;
  queue.push({
    type: String(type),
    client_time: new Date().toISOString(),
    page: window.location.pathname,
    data: data && typeof data === "object" ? data : {},
  });
  if (queue.length >= MAX_BATCH) flush();
  else schedule();
}

// Turns the log on for this page: notes the page view, and the time the page was visible
// whenever it is hidden or left (sending what is queued then, as the page may not come back).
export function startLog() {
  if (started) return;
  started = true;
  let shownAt = Date.now();
  // Leaving a page fires both pagehide and visibilitychange: count the time once.
  let hidden = false;
  const pageHidden = () => {
    if (hidden) return;
    hidden = true;
    log("time_on_page", { ms: Date.now() - shownAt });
    flush(true);
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      pageHidden();
    } else {
      hidden = false;
      shownAt = Date.now();
    }
  });
  window.addEventListener("pagehide", pageHidden);
  log("page_view", { title: document.title, referrer: document.referrer ? "yes" : "no" });
}
