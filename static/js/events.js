// A study participant's pages (loaded by base.html for participants only): turns the
// interaction log on (page views, time on each page) and runs the study's tasks panel.
import { flush, log, startLog } from "./lib/events.js";

startLog();

// The tasks panel: "Start" and "Done" record the time spent on each task, also across pages
// (the start time is kept in the tab's session storage).
document.addEventListener("click", (event) => {
  const button = event.target.closest ? event.target.closest("[data-study-task]") : null;
  if (!button) return;
  const task = Number(button.getAttribute("data-study-task"));
  const key = `shapeshop-task-${task}`;
  const status = button.parentElement.querySelector(".study-task-status");
  if (button.getAttribute("data-study-task-action") === "start") {
    window.sessionStorage.setItem(key, String(Date.now()));
    log("task_started", { task });
    if (status) status.textContent = "started";
  } else {
    const startedAt = Number(window.sessionStorage.getItem(key));
    window.sessionStorage.removeItem(key);
    log("task_finished", { task, ms: startedAt ? Date.now() - startedAt : null });
    if (status) status.textContent = "done";
  }
  flush();
});

// The buttons arrive disabled: a click before this script listened would be lost.
for (const button of document.querySelectorAll("[data-study-task]")) button.disabled = false;
