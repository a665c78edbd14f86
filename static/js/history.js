// The history page: rows come from the server (their titles drawn here from the page's data,
// by the same renderer as the builder's rows); this script edits tags and notes in place,
// keeps the selection of rows to compare (history/selection.js), draws the run table in the
// table view (history/table.js), deletes saved comparisons, starts the paper's scenarios,
// and follows the runs still going.
import { apiFetch, messagesOf } from "./lib/api.js";
import { el, readJson } from "./lib/dom.js";
import { STATUS_LABELS } from "./lib/format.js";
import { endAnnouncement, updateProgress } from "./lib/progress.js";
import { resultTitle } from "./lib/result_title.js";
import { startSelection } from "./history/selection.js";
import { startRunTable } from "./history/table.js";

const settings = readJson("history-settings");

// Each row's title, drawn from the page's data by the renderer of the builder's rows.
for (const detail of settings.titles) {
  document.getElementById(`experiment-${detail.id}-title`)?.replaceWith(resultTitle(detail, settings));
}

// ---------------------------------------------------------------- selection and the table

const selection = startSelection(settings);
if (document.getElementById("run-table")) startRunTable(settings, selection);

// ---------------------------------------------------------------- tags and notes

function parseTags(text) {
  return text
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
}

function showAnnotations(block, body) {
  const list = block.querySelector(".tag-list");
  list.replaceChildren(
    ...body.tags.map((tag) => {
      const item = document.createElement("li");
      item.className = "tag";
      item.textContent = tag;
      return item;
    }),
  );
  const note = block.querySelector(".note-text");
  note.textContent = body.note;
  note.hidden = body.note === "";
  block.querySelector("input[name=tags]").value = body.tags.join(", ");
  block.querySelector("textarea[name=note]").value = body.note;
}

for (const block of document.querySelectorAll(".annotations")) {
  const editButton = block.querySelector(".annotations-edit");
  const form = block.querySelector(".annotations-form");
  const error = block.querySelector(".annotations-error");
  const status = block.querySelector(".annotations-status");

  function close() {
    form.hidden = true;
    editButton.setAttribute("aria-expanded", "false");
    error.hidden = true;
    editButton.focus();
  }

  editButton.addEventListener("click", () => {
    const opening = form.hidden;
    form.hidden = !opening;
    editButton.setAttribute("aria-expanded", String(opening));
    status.textContent = "";
    if (opening) form.querySelector("input[name=tags]").focus();
  });
  block.querySelector(".annotations-cancel").addEventListener("click", close);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const payload = {
      tags: parseTags(form.querySelector("input[name=tags]").value),
      note: form.querySelector("textarea[name=note]").value,
    };
    const saveButton = form.querySelector("button[type=submit]");
    saveButton.disabled = true;
    try {
      const response = await apiFetch(`${settings.api}experiments/${block.dataset.id}/annotations/`, {
        method: "PATCH",
        body: JSON.stringify(payload),
      });
      if (response.ok && response.body) {
        showAnnotations(block, response.body);
        close();
        status.textContent = "Saved.";
        return;
      }
      error.textContent =
        messagesOf(response.body).join(" ") || `Not saved (HTTP ${response.status}).`;
    } catch (_error) {
      error.textContent = "The server could not be reached. Try again.";
    } finally {
      saveButton.disabled = false;
    }
    error.hidden = false;
  });
}

// ---------------------------------------------------------------- saved comparisons

for (const button of document.querySelectorAll(".saved-delete")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    const response = await apiFetch(`${settings.api}comparisons/${button.dataset.id}/`, {
      method: "DELETE",
    }).catch(() => ({ ok: false, status: 0 }));
    if (response.ok || response.status === 404) {
      const item = button.closest(".saved-item");
      const list = item.parentElement;
      item.remove();
      if (!list.children.length) {
        const empty = document.createElement("p");
        empty.className = "hint";
        empty.id = "saved-empty";
        empty.textContent = "None yet: open a comparison and save it with a name.";
        list.replaceWith(empty);
      }
    } else {
      button.disabled = false;
      button.textContent = "Delete (failed, try again)";
    }
  });
}

// ---------------------------------------------------------------- paper scenarios

const scenarioError = document.getElementById("scenario-error");
for (const button of document.querySelectorAll("[data-scenario]")) {
  button.addEventListener("click", async () => {
    scenarioError.hidden = true;
    button.disabled = true;
    const label = button.textContent;
    button.textContent = "Queueing…";
    try {
      const response = await apiFetch(`${settings.api}scenarios/${button.dataset.scenario}/`, {
        method: "POST",
      });
      if (response.status === 201 && response.body) {
        window.location.href = response.body.wait_url;
        return;
      }
      scenarioError.textContent =
        messagesOf(response.body).join(" ") || `Not queued (HTTP ${response.status}).`;
    } catch (_error) {
      scenarioError.textContent = "The server could not be reached. Try again.";
    }
    scenarioError.hidden = false;
    button.disabled = false;
    button.textContent = label;
  });
}

// ---------------------------------------------------------------- runs still going

// A queued or running row shows its progress as the builder's rows do, with a Cancel button,
// and asks the experiment API how far it is until it ends. Then the server's new rendering
// of the row's changing parts (status, figures, error or cards) takes the place of the old
// ones; its title, selection box, tags and note (perhaps being edited) stay as they are.
const ACTIVE = new Set(["queued", "running"]);
const announcer = document.getElementById("history-announcer");
const followed = new Map(); // experiment id -> {failures}

function showBadge(row, status) {
  const badge = row.querySelector(".status-badge");
  badge.className = `status-badge status-${status}`;
  badge.textContent = STATUS_LABELS[status] || status;
  row.dataset.status = status;
}

function showProgress(row, detail) {
  showBadge(row, detail.status);
  updateProgress(row, detail);
}

// Screen readers hear when a run on the page ends, in the builder's words.
function announce(row, detail) {
  const label = `Experiment ${row.querySelector(".select-experiment")?.dataset.number ?? detail.number}`;
  announcer.textContent = endAnnouncement(label, detail);
}

// The row as the server now renders it on this page of the list: null when the request
// failed, false when the row is no longer on this page (a filter on its old status, say).
async function freshRow(id) {
  try {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) return null;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    return page.getElementById(`experiment-${id}`) || false;
  } catch (_error) {
    return null;
  }
}

async function showFinished(row, detail) {
  const fresh = await freshRow(detail.id);
  if (fresh === null) return false;
  const hadFocus = row.contains(document.activeElement);
  if (fresh) {
    for (const part of row.querySelectorAll("[data-live]")) {
      const replacement = fresh.querySelector(`[data-live="${part.dataset.live}"]`);
      if (replacement) part.replaceWith(document.importNode(replacement, true));
    }
    row.dataset.status = fresh.dataset.status;
  } else {
    showBadge(row, detail.status);
    row.querySelector("[data-live=body]").replaceChildren(
      el("p", { className: "hint", text: "It no longer matches these filters or this page of the list." }),
    );
  }
  // Keep keyboard focus in the row whose Cancel button went away.
  if (hadFocus && !row.contains(document.activeElement)) row.querySelector(".select-experiment").focus();
  selection.show();
  announce(row, detail);
  return true;
}

// One answer of the experiment API for a followed row; true once the row needs no more polls.
async function update(row, detail) {
  if (ACTIVE.has(detail.status)) {
    showProgress(row, detail);
    return false;
  }
  return showFinished(row, detail);
}

async function poll(row) {
  const id = Number(row.dataset.id);
  let response;
  try {
    response = await apiFetch(`${settings.api}experiments/${id}/`);
  } catch (_error) {
    response = { ok: false, status: 0 };
  }
  const entry = followed.get(id);
  // Shown already (its Cancel answered first), or deleted meanwhile.
  if (!entry || response.status === 404) return;
  if (response.ok && response.body) {
    entry.failures = 0;
    if (await update(row, response.body)) {
      followed.delete(id);
      return;
    }
  } else {
    entry.failures += 1;
  }
  // The server is busy or unreachable: try again, a little more slowly each time.
  setTimeout(() => poll(row), Math.min(10_000, settings.pollMs * 2 ** Math.min(entry.failures, 3)));
}

async function cancel(row, button) {
  button.disabled = true;
  button.textContent = "Cancelling…";
  try {
    const response = await apiFetch(`${settings.api}experiments/${row.dataset.id}/cancel/`, {
      method: "POST",
    });
    // The cancelled run's row is shown at once; a run that ended first shows at the next poll.
    if (response.ok && response.body && (await update(row, response.body))) {
      followed.delete(Number(row.dataset.id));
      return;
    }
  } catch (_error) {
    // The next poll shows the true state either way.
  }
  if (button.isConnected) {
    button.disabled = false;
    button.textContent = "Cancel";
  }
}

for (const detail of settings.active) {
  const row = document.getElementById(`experiment-${detail.id}`);
  if (!row) continue;
  showProgress(row, detail);
  row.querySelector(".cancel-button")?.addEventListener("click", (event) => cancel(row, event.currentTarget));
  followed.set(detail.id, { failures: 0 });
  setTimeout(() => poll(row), settings.pollMs);
}
