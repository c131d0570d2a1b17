// The palette: the whole catalogue by API then tag, or a search's ranked matches.
//
// `renderPalette` draws only from the palette's state: the tree shows the tasks of the open
// tags alone, and a search shows its best matches (the service ranks them as `connector
// search` does), so a keystroke never redraws the whole catalogue. Events are handled once on
// the list (delegation): a redraw adds no listeners.

import { breakable, fill, h } from "./dom.js";

/** The palette's part of the page state. */
export const newPalette = () => ({
  status: "loading", // "loading" | "ready" | "failed": the whole catalogue
  error: "", // why the catalogue could not be loaded
  groups: [], // [{api, source, count, tags: [{tag, tasks}]}]
  total: 0,
  query: "", // what is in the search box
  searching: false, // a search is on its way
  result: null, // {query, hits} of the last answered search, or {query, error}
  open: new Set(), // keys of the expanded APIs and tags
  notice: "", // why the last task could not be added
});

export const groupKey = (group) => `${group.source}:${group.api}`;
export const tagKey = (group, tag) => `${groupKey(group)}:${tag.tag}`;

/** Open the shipped APIs and their tags (or the only API there is); imported ones stay closed. */
export function openByDefault(palette) {
  const only = palette.groups.length === 1;
  for (const group of palette.groups) {
    if (!only && group.source !== "shipped") continue;
    palette.open.add(groupKey(group));
    for (const tag of group.tags) palette.open.add(tagKey(group, tag));
  }
}

/** A one-line status: what the list shows. */
function statusLine(palette) {
  if (palette.notice) return palette.notice;
  if (palette.status === "loading") return "Loading the catalogue…";
  if (palette.status === "failed") return "";
  const query = palette.query.trim();
  if (!query) {
    const apis = palette.groups.length;
    return `${palette.total} ${palette.total === 1 ? "task" : "tasks"} in ${apis} ${apis === 1 ? "API" : "APIs"}`;
  }
  if (palette.searching || palette.result?.query !== query) return "Searching…";
  if (palette.result.error) return "";
  const found = palette.result.hits.length;
  if (!found) return `No match in ${palette.total} tasks`;
  return `${found === 1 ? "Best match" : `${found} best matches`} of ${palette.total}`;
}

export function renderPalette(nodes, palette) {
  const focused = nodes.list.contains(document.activeElement) ? document.activeElement.dataset : null;
  const refocus = focused && { task: focused.task, toggle: focused.toggle };
  nodes.status.textContent = statusLine(palette);
  nodes.status.classList.toggle("field-error", Boolean(palette.notice));
  fill(nodes.list, listItems(palette));
  if (refocus?.toggle) nodes.list.querySelector(`[data-toggle="${CSS.escape(refocus.toggle)}"]`)?.focus();
  else if (refocus?.task) nodes.list.querySelector(`[data-task="${CSS.escape(refocus.task)}"]`)?.focus();
}

function listItems(palette) {
  if (palette.status === "failed") return problem(`The catalogue could not be loaded: ${palette.error}`);
  if (palette.status === "loading") return [];
  const query = palette.query.trim();
  const tree = () => palette.groups.map((group) => groupItem(group, palette.open));
  const hits = (found) => found.map((task) => taskItem(task, true));
  if (!query) {
    return palette.groups.length ? tree() : note("The catalogue is empty. Import an API: connector catalog import SPEC");
  }
  const result = palette.result;
  if (result?.query !== query) return result?.hits ? hits(result.hits) : tree(); // until its answer
  if (result.error) return problem(`The search failed: ${result.error}`);
  if (!result.hits.length) return note(`No task matches “${query}”. Try other words, such as “cancel payout”.`);
  return hits(result.hits);
}

const note = (text) => h("li", { class: "palette-note muted" }, text);

const problem = (text) =>
  h("li", { class: "palette-note field-error", role: "alert" }, text, " ", h("button", { type: "button", dataset: { action: "retry" } }, "Retry"));

function toggle(key, open, label, count, badge) {
  return h(
    "button",
    { type: "button", class: "palette-toggle", "aria-expanded": String(open), dataset: { toggle: key } },
    h("span", { class: "caret", "aria-hidden": "true" }, open ? "▾" : "▸"),
    h("span", { class: "toggle-label" }, label),
    badge ? h("span", { class: "source" }, badge) : null,
    h("span", { class: "count" }, String(count)),
  );
}

function groupItem(group, open) {
  const key = groupKey(group);
  const expanded = open.has(key);
  return h(
    "li",
    { class: "palette-group" },
    toggle(key, expanded, group.api || "(no API)", group.count, group.source === "imported" ? "imported" : ""),
    expanded ? h("ul", { class: "palette-tags" }, group.tags.map((tag) => tagItem(group, tag, open))) : null,
  );
}

function tagItem(group, tag, open) {
  const key = tagKey(group, tag);
  const expanded = open.has(key);
  return h(
    "li",
    { class: "palette-tag" },
    toggle(key, expanded, tag.tag, tag.tasks.length, ""),
    expanded ? h("ul", { class: "palette-tasks" }, tag.tasks.map((task) => taskItem(task, false))) : null,
  );
}

function taskItem(task, withPlace) {
  return h(
    "li",
    {
      class: "palette-item",
      draggable: "true",
      tabindex: "0",
      role: "button",
      title: task.ref,
      "aria-label": `Add ${task.title} (${task.method} ${task.path}) to the workflow`,
      dataset: { task: task.ref },
    },
    h("strong", { class: "item-title" }, task.title),
    h("span", { class: "item-request" }, h("span", { class: "method" }, task.method), " ", breakable(task.path)),
    withPlace ? h("span", { class: "item-place" }, `${task.api} · ${task.tag}`) : null,
  );
}

/** Arrow keys move between the list's focusable rows (toggles and tasks). */
export function moveFocus(list, from, step) {
  const rows = [...list.querySelectorAll(".palette-toggle, .palette-item")];
  const next = rows[rows.indexOf(from) + step];
  if (next) next.focus();
  return Boolean(next);
}
