// The Model Builder's result rows: one per experiment, newest first, loaded a page at a
// time, each polled until its run finishes, with a Cancel button while it runs.
import { apiFetch } from "../lib/api.js";
import { byId, scrollBehaviour } from "../lib/dom.js";
import { FINISHED } from "../lib/format.js";
import { endAnnouncement, updateProgress } from "../lib/progress.js";
import { renderRow } from "./result_row.js";

// onReuseSeed(seed): what a row's "Reuse seed" does. The returned object lets other parts
// add blocks under finished rows (addSection) and hear of every row drawn (onUpdate).
export function setupResults(settings, { onReuseSeed }) {
  const list = byId("results");
  const empty = byId("results-empty");
  const loading = byId("results-loading");
  const loadMoreButton = byId("load-more");
  const announcer = byId("announcer");
  const rows = new Map(); // experiment id -> {element, timer, failures, detail}
  const sections = [];
  const listeners = [];
  let nextPageUrl = null;

  const context = {
    settings,
    sections,
    onReuseSeed,
    onCancel: cancelExperiment,
  };

  function upsertRow(detail, { prepend = false } = {}) {
    const known = rows.get(detail.id);
    if (
      known &&
      known.element.dataset.status === detail.status &&
      !FINISHED.has(detail.status) &&
      updateProgress(known.element, detail)
    ) {
      known.detail = detail;
      for (const listener of listeners) listener(detail);
      return known.element;
    }
    const element = renderRow(detail, context);
    if (known && known.element.dataset.status !== detail.status && FINISHED.has(detail.status)) {
      announce(detail);
    }
    if (known) {
      // Keep keyboard focus on the row's cancel button (or the row) across a redraw.
      const hadFocus = known.element.contains(document.activeElement);
      known.element.replaceWith(element);
      known.element = element;
      known.detail = detail;
      if (hadFocus) (element.querySelector(".cancel-button") || element).focus?.();
    } else {
      rows.set(detail.id, { element, timer: null, failures: 0, detail });
      if (prepend) list.prepend(element);
      else list.append(element);
    }
    empty.hidden = rows.size > 0;
    for (const listener of listeners) listener(detail);
    return element;
  }

  // Draws a row again from what is known of it (after something shown inside it changed).
  function redraw(id) {
    const entry = rows.get(id);
    if (!entry || !entry.detail) return;
    const element = renderRow(entry.detail, context);
    entry.element.replaceWith(element);
    entry.element = element;
  }

  // Screen readers hear when a run they started ends, without the chatter of every poll.
  function announce(detail) {
    const label = `Experiment ${detail.number ?? detail.id}`;
    announcer.textContent = endAnnouncement(label, detail);
  }

  function watch(detail) {
    const entry = rows.get(detail.id);
    if (!entry || FINISHED.has(detail.status) || entry.timer) return;
    entry.timer = setTimeout(() => poll(detail.id), settings.pollMs);
  }

  async function poll(id) {
    const entry = rows.get(id);
    if (!entry) return;
    entry.timer = null;
    try {
      const response = await apiFetch(`${settings.api}experiments/${id}/`);
      if (response.ok && response.body) {
        entry.failures = 0;
        upsertRow(response.body);
        watch(response.body);
        return;
      }
      if (response.status === 404) return;
      entry.failures += 1;
    } catch (_error) {
      entry.failures += 1;
    }
    // The server is busy or unreachable: try again, a little more slowly each time.
    const delay = Math.min(5000, settings.pollMs * 2 ** Math.min(entry.failures, 4));
    entry.timer = setTimeout(() => poll(id), delay);
  }

  async function cancelExperiment(id, button) {
    button.disabled = true;
    button.textContent = "Cancelling…";
    try {
      const response = await apiFetch(`${settings.api}experiments/${id}/cancel/`, { method: "POST" });
      if (response.ok && response.body) {
        upsertRow(response.body);
        return;
      }
    } catch (_error) {
      // The next poll shows the true state either way.
    }
    const entry = rows.get(id);
    if (entry && !entry.timer) entry.timer = setTimeout(() => poll(id), settings.pollMs);
  }

  async function loadPage(url) {
    loadMoreButton.disabled = true;
    try {
      const response = await apiFetch(url);
      if (!response.ok || !response.body) {
        loading.textContent = `Your experiments could not be loaded (HTTP ${response.status}). Reload to try again.`;
        loading.hidden = false;
        return;
      }
      loading.hidden = true;
      for (const detail of response.body.results || []) {
        if (rows.has(detail.id)) continue;
        upsertRow(detail);
        watch(detail);
      }
      nextPageUrl = response.body.next;
      loadMoreButton.hidden = !nextPageUrl;
      empty.hidden = rows.size > 0;
    } catch (_error) {
      loading.textContent = "Your experiments could not be loaded. Reload to try again.";
      loading.hidden = false;
    } finally {
      loadMoreButton.disabled = false;
    }
  }

  loadMoreButton.addEventListener("click", () => {
    if (nextPageUrl) loadPage(nextPageUrl);
  });

  return {
    rows,
    redraw,
    watch,
    // A run just started: its row on top, followed until it finishes.
    showStarted(detail, { scroll = false } = {}) {
      const element = upsertRow(detail, { prepend: true });
      if (scroll) element.scrollIntoView({ behavior: scrollBehaviour(), block: "nearest" });
      watch(detail);
      return element;
    },
    // Takes a newer detail of a row (or a new row at the end).
    update: upsertRow,
    addSection(section) {
      sections.push(section);
    },
    onUpdate(listener) {
      listeners.push(listener);
    },
    loadFirstPage() {
      return loadPage(`${settings.api}experiments/?page_size=${settings.pageSize}`);
    },
  };
}
