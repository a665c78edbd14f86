// Building elements and reading the data a template hands to its page script.

// el("p", {className: "hint", text: "…"}, child, …): props become attributes, except
// className, text (the text content) and dataset; false, null and undefined are left out.
export function el(tag, props = {}, ...children) {
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

export const byId = (id) => document.getElementById(id);

// The value of a {{ value|json_script:"id" }} block.
export function readJson(id) {
  return JSON.parse(byId(id).textContent);
}

// Smooth scrolling unless the reader asked for less motion.
export function scrollBehaviour() {
  return matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
}
