// Helpers shared by the page scripts: building elements, JSON calls to /api/v1/ with the
// session's CSRF token, and how numbers and progress are written. Loaded before each page's
// own script, as window.ShapeShop.
(() => {
  "use strict";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "className") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  async function apiFetch(url, options = {}) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (options.method && options.method !== "GET") {
      headers["X-CSRFToken"] = csrfToken();
      headers["Content-Type"] = "application/json";
    }
    const response = await fetch(url, { credentials: "same-origin", ...options, headers });
    let body = null;
    try {
      body = await response.json();
    } catch (_error) {
      body = null;
    }
    return { ok: response.ok, status: response.status, body };
  }

  // Every message in an error body ({field: [messages]}, {detail: "..."}, nested lists).
  function messagesOf(value) {
    if (value === null || value === undefined) return [];
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(messagesOf);
    if (typeof value === "object") return Object.values(value).flatMap(messagesOf);
    return [String(value)];
  }

  // Losses shrink towards zero over training: keep a few significant digits when they do.
  function formatLoss(value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return "–";
    return value !== 0 && Math.abs(value) < 0.001 ? value.toExponential(1) : value.toFixed(4);
  }

  function formatPercent(value) {
    return typeof value === "number" && Number.isFinite(value)
      ? `${(value * 100).toFixed(1)}%`
      : "–";
  }

  // One line on where a queued or running experiment stands, from its API progress.
  function progressText(detail) {
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

  window.ShapeShop = Object.freeze({
    apiFetch,
    el,
    formatLoss,
    formatPercent,
    messagesOf,
    progressText,
  });
})();
