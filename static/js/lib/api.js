// Calls to the JSON API (/api/v1/) with the session's CSRF token, and the messages of its
// error bodies. Every page script goes through here: it is the one place that reads the token.

// Pages that send anything render a {% csrf_token %} field (signed-in pages have one in
// the header's log-out form); the cookie is the fallback where a page has none.
export function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// A request answered as {ok, status, body}, body being the parsed JSON or null. Writes carry
// the CSRF token; a string body is sent as JSON, FormData (a file upload) as it is.
export async function apiFetch(url, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (options.method && options.method !== "GET") {
    headers["X-CSRFToken"] = csrfToken();
    if (!(options.body instanceof FormData)) headers["Content-Type"] = "application/json";
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

// A JSON write: apiFetch with the method and the data serialised.
export function sendJson(url, method, data) {
  const options = { method };
  if (data !== undefined) options.body = JSON.stringify(data);
  return apiFetch(url, options);
}

// Every message in an error body ({field: [messages]}, {detail: "..."}, nested lists).
export function messagesOf(value) {
  if (value === null || value === undefined) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(messagesOf);
  if (typeof value === "object") return Object.values(value).flatMap(messagesOf);
  return [String(value)];
}

// What a person calls a field: its label from labels ({key: label}) when the page has one,
// else its key in words ("step_size" -> "Step size").
export function fieldLabel(field, labels = {}) {
  if (labels[field]) return labels[field];
  const words = String(field).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// An error body as one sentence, each message after the label of the field it names.
export function describeErrors(body, status, labels = {}) {
  if (!body) return `The server answered HTTP ${status}.`;
  const parts = [];
  for (const [field, value] of Object.entries(body)) {
    const text = messagesOf(value).join(" ");
    parts.push(["detail", "non_field_errors"].includes(field) ? text : `${fieldLabel(field, labels)}: ${text}`);
  }
  return parts.join(" ");
}
