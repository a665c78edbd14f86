// Interaction log of an evaluation study: loaded by base.html for study participants only.
// Records page views and time on the page by itself, notices runs started, drawings and
// highlights saved and comparisons opened from the page's own API calls, and offers
// window.shapeshopLog(type, data) to the other scripts. Events are sent in batches to
// POST /api/v1/events/ with the browser's time; the server stamps its own time on each.
(function () {
  "use strict";

  var ENDPOINT = "/api/v1/events/";
  var FLUSH_MS = 5000;
  var MAX_BATCH = 50;
  var queue = [];
  var shownAt = Date.now();
  var visibleMs = 0;
  var timer = null;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function send(events, keepalive) {
    return window.fetch(ENDPOINT, {
      method: "POST",
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ events: events }),
    });
  }

  function flush(keepalive) {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    while (queue.length) {
      var batch = queue.splice(0, MAX_BATCH);
      // A failed batch goes back to the queue once, to be sent with the next one.
      send(batch, keepalive).then(
        function (response) {
          if (response.status >= 500) requeue(batch);
        },
        function () {
          requeue(batch);
        }
      );
    }
  }

  function requeue(batch) {
    batch.forEach(function (event) {
      if (!event.data.retried) {
        event.data.retried = true;
        queue.push(event);
      }
    });
    schedule();
  }

  function schedule() {
    if (timer === null) timer = window.setTimeout(flush, FLUSH_MS);
  }

  function log(type, data) {
    queue.push({
      type: String(type),
      client_time: new Date().toISOString(),
      page: window.location.pathname,
      data: data && typeof data === "object" ? data : {},
    });
    if (queue.length >= MAX_BATCH) flush(false);
    else schedule();
  }

  // Runs, drawings, highlights and comparisons go through the API: note them as they go.
  var originalFetch = window.fetch.bind(window);
  window.fetch = function (input, options) {
    try {
      var url = typeof input === "string" ? input : input.url;
      var method = ((options && options.method) || "GET").toUpperCase();
      var path = new URL(url, window.location.href).pathname;
      if (path !== ENDPOINT) noteApiCall(method, path, options && options.body);
    } catch (error) {
      // Logging must never break the page's own request.
    }
    return originalFetch(input, options);
  };

  function noteApiCall(method, path, body) {
    var payload = {};
    if (typeof body === "string") {
      try {
        payload = JSON.parse(body) || {};
      } catch (error) {
        payload = {};
      }
    }
    if (method === "POST" && path === "/api/v1/experiments/") {
      log("run_started", {
        classes: payload.classes || [],
        model: payload.model || null,
        highlight: payload.highlight || null,
      });
    } else if (method === "POST" && /\/rerun\/$|\/revisualize\/$/.test(path)) {
      log("run_started", { from: path });
    } else if ((method === "POST" || method === "PUT" || method === "PATCH") && /^\/api\/v1\/classes\//.test(path)) {
      log("drawing_saved", { strokes: payload.strokes !== undefined ? payload.strokes : null });
    } else if ((method === "POST" || method === "PUT") && /^\/api\/v1\/highlights\//.test(path)) {
      log("highlight_painted", { strokes: payload.strokes !== undefined ? payload.strokes : null });
    } else if (method === "GET" && path === "/api/v1/compare/") {
      log("comparison_opened", {});
    }
  }

  // Leaving a page fires both pagehide and visibilitychange: count the time once.
  var isHidden = false;

  function pageHidden() {
    if (isHidden) return;
    isHidden = true;
    visibleMs += Date.now() - shownAt;
    log("time_on_page", { ms: visibleMs });
    visibleMs = 0;
    flush(true);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      pageHidden();
    } else {
      isHidden = false;
      shownAt = Date.now();
    }
  });
  window.addEventListener("pagehide", pageHidden);

  // The study's tasks panel: "Start" and "Done" record the time spent on each task, also
  // across pages (the start time is kept in the tab's session storage).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-study-task]") : null;
    if (!button) return;
    var task = Number(button.getAttribute("data-study-task"));
    var key = "shapeshop-task-" + task;
    var status = button.parentElement.querySelector(".study-task-status");
    if (button.getAttribute("data-study-task-action") === "start") {
      window.sessionStorage.setItem(key, String(Date.now()));
      log("task_started", { task: task });
      if (status) status.textContent = "started";
    } else {
      var started = Number(window.sessionStorage.getItem(key));
      window.sessionStorage.removeItem(key);
      log("task_finished", { task: task, ms: started ? Date.now() - started : null });
      if (status) status.textContent = "done";
    }
    flush(false);
  });

  // The buttons arrive disabled: a click before this script listened would be lost.
  Array.prototype.forEach.call(document.querySelectorAll("[data-study-task]"), function (button) {
    button.disabled = false;
  });

  window.shapeshopLog = log;
  log("page_view", { title: document.title, referrer: document.referrer ? "yes" : "no" });
})();
