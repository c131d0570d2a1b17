// Tiny DOM helpers: every text goes in through textContent, never as HTML.

/** Create an element: h("div", {class: "x", onclick: fn}, child, "text"). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Replace the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** Pretty JSON. */
export function pretty(value) {
  return JSON.stringify(value, null, 2);
}

/** A two-column table of header names and values. */
export function headerTable(headers, label) {
  const rows = Object.entries(headers || {}).map(([name, value]) =>
    h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value)),
  );
  return h("table", { class: "headers", "aria-label": label }, h("tbody", {}, rows));
}

/** A URL or path that may wrap after its separators, never inside a word. */
export function breakable(url) {
  return url.split(/(?<=[/?&=])/).flatMap((part, i) => (i ? [h("wbr"), part] : [part]));
}
