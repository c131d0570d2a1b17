// A form generated from a task's input JSON Schema, bound to one input object.
//
// Every control carries `data-path` (dot notation, as the API's fieldErrors use:
// `allocations.0.method`); every field wrapper carries `data-field` and holds an error slot.

import { h } from "./dom.js";

/** The schema of one field reduced to what the form needs: kind, type, nullable. */
export function normalise(schema) {
  let s = schema || {};
  let nullable = false;
  const branches = s.anyOf || s.oneOf;
  if (Array.isArray(branches)) {
    nullable = branches.some((b) => b.type === "null");
    const usable = branches.filter((b) => b.type !== "null");
    const pick = usable.find((b) => !b.deprecated) || usable[0] || {};
    s = { ...pick, description: s.description ?? pick.description, readOnly: s.readOnly ?? pick.readOnly };
  }
  let type = s.type;
  if (Array.isArray(type)) {
    nullable = nullable || type.includes("null");
    type = type.find((t) => t !== "null");
  }
  let kind = "json";
  if (Array.isArray(s.enum)) kind = "enum";
  else if (type === "object" && s.properties) kind = "object";
  else if (type === "array") kind = "array";
  else if (["string", "number", "integer", "boolean"].includes(type)) kind = type;
  return { ...s, kind, type, nullable };
}

// -- paths -------------------------------------------------------------------------

export function getAt(root, path) {
  return path.reduce((node, key) => (node == null ? undefined : node[key]), root);
}

export function setAt(root, path, value) {
  let node = root;
  path.slice(0, -1).forEach((key, i) => {
    if (node[key] === null || typeof node[key] !== "object") {
      node[key] = /^\d+$/.test(String(path[i + 1])) ? [] : {};
    }
    node = node[key];
  });
  node[path[path.length - 1]] = value;
}

export function unsetAt(root, path) {
  const parent = getAt(root, path.slice(0, -1));
  if (parent == null || typeof parent !== "object") return;
  if (Array.isArray(parent)) return;
  delete parent[path[path.length - 1]];
  const grand = path.slice(0, -1);
  const above = getAt(root, grand.slice(0, -1));
  if (grand.length && Object.keys(parent).length === 0 && !Array.isArray(above)) unsetAt(root, grand);
}

const idOf = (path) => `f-${path.join("-").replace(/[^\w-]/g, "_")}`;

// -- building ----------------------------------------------------------------------

/**
 * Build the form for `schema` into `root`, showing `getInputs()`.
 * ctx: {getInputs, onChange(path), onStructure(focusPath), localErrors: Map}
 */
export function buildForm(root, schema, ctx) {
  const properties = Object.entries(schema.properties || {});
  const required = new Set(schema.required || []);
  const writable = properties.filter(([, s]) => !normalise(s).readOnly);
  const ordered = [
    ...writable.filter(([name]) => required.has(name)),
    ...writable.filter(([name]) => !required.has(name)),
  ];
  const readOnly = properties.filter(([, s]) => normalise(s).readOnly);
  const fields = ordered.map(([name, s]) => field([name], s, required.has(name), ctx));
  const server = readOnly.length
    ? h(
        "details",
        { class: "readonly", id: "server-managed" },
        h("summary", {}, `Server-managed fields (${readOnly.length}, read-only in the API)`),
        readOnly.map(([name, s]) => field([name], s, required.has(name), ctx)),
      )
    : null;
  root.replaceChildren(...fields, ...(server ? [server] : []));
}

function field(path, rawSchema, required, ctx) {
  const schema = normalise(rawSchema);
  if (schema.kind === "object") return objectField(path, schema, required, ctx);
  if (schema.kind === "array") return arrayField(path, schema, required, ctx);
  return scalarField(path, schema, required, ctx);
}

function labelParts(path, schema, required) {
  const type = schema.format || (schema.kind === "enum" ? "choice" : schema.type || "JSON");
  return [
    h("span", { class: "name" }, String(path[path.length - 1])),
    required ? h("abbr", { class: "req", title: "required" }, "*") : null,
    h("span", { class: "type" }, type),
  ];
}

function errorSlot(path) {
  return h("p", { class: "field-error", id: `err-${idOf(path)}`, role: "alert", hidden: true });
}

function hint(schema) {
  return schema.description ? h("p", { class: "hint" }, schema.description) : null;
}

function scalarField(path, schema, required, ctx) {
  const control = makeControl(path, schema, ctx);
  control.id = idOf(path);
  control.dataset.path = path.join(".");
  control.setAttribute("aria-describedby", `err-${idOf(path)}`);
  if (required) control.setAttribute("aria-required", "true");
  const wrapper = h(
    "div",
    { class: "field", dataset: { field: path.join(".") } },
    h("label", { for: control.id }, labelParts(path, schema, required)),
    control,
    hint(schema),
    errorSlot(path),
  );
  return wrapper;
}

function makeControl(path, schema, ctx) {
  const value = getAt(ctx.getInputs(), path);
  const commit = (next) => {
    if (next === undefined) unsetAt(ctx.getInputs(), path);
    else setAt(ctx.getInputs(), path, next);
    ctx.onChange(path);
  };
  if (schema.kind === "enum" || schema.kind === "boolean") {
    const options = schema.kind === "enum" ? schema.enum.filter((v) => v !== null) : [true, false];
    const key = (option) => (typeof option === "string" ? option : JSON.stringify(option));
    const byKey = new Map(options.map((option) => [key(option), option]));
    const select = h(
      "select",
      {},
      h("option", { value: "" }, "— not set —"),
      options.map((option) => h("option", { value: key(option), selected: option === value }, String(option))),
    );
    select.addEventListener("change", () => commit(select.value === "" ? undefined : byKey.get(select.value)));
    return select;
  }
  if (schema.kind === "number" || schema.kind === "integer") {
    const input = h("input", {
      type: "number",
      step: schema.kind === "integer" ? "1" : "any",
      inputmode: "decimal",
      value: typeof value === "number" ? String(value) : "",
    });
    input.addEventListener("input", () => commit(input.value === "" ? undefined : Number(input.value)));
    return input;
  }
  if (schema.kind === "string") {
    const placeholder =
      schema.format === "date-time" ? "2026-01-31T12:00:00Z" : schema.format === "uri" ? "https://…" : "";
    const input = h("input", {
      type: "text",
      value: typeof value === "string" ? value : "",
      placeholder,
      maxlength: schema.maxLength,
      spellcheck: "false",
      autocomplete: "off",
    });
    input.addEventListener("input", () => commit(input.value === "" ? undefined : input.value));
    return input;
  }
  return jsonControl(path, value, commit, ctx);
}

function jsonControl(path, value, commit, ctx) {
  const area = h("textarea", { rows: 2, spellcheck: "false", placeholder: "JSON" });
  area.value = value === undefined ? "" : JSON.stringify(value);
  area.addEventListener("input", () => {
    const key = path.join(".");
    if (area.value.trim() === "") {
      ctx.localErrors.delete(key);
      commit(undefined);
      return;
    }
    try {
      const parsed = JSON.parse(area.value);
      ctx.localErrors.delete(key);
      commit(parsed);
    } catch {
      ctx.localErrors.set(key, "is not valid JSON");
      ctx.onChange(path);
    }
  });
  return area;
}

function objectField(path, schema, required, ctx) {
  const requiredInside = new Set(schema.required || []);
  const children = Object.entries(schema.properties).map(([name, s]) =>
    field([...path, name], s, requiredInside.has(name), ctx),
  );
  return h(
    "fieldset",
    { class: "object", dataset: { field: path.join(".") } },
    h("legend", {}, labelParts(path, schema, required)),
    hint(schema),
    errorSlot(path),
    children,
  );
}

function arrayField(path, schema, required, ctx) {
  const items = getAt(ctx.getInputs(), path);
  const list = Array.isArray(items) ? items : [];
  const itemSchema = normalise(schema.items || {});
  const name = String(path[path.length - 1]);
  const add = h("button", { type: "button", class: "add" }, `Add ${name} item`);
  add.addEventListener("click", () => {
    const current = getAt(ctx.getInputs(), path);
    const next = Array.isArray(current) ? current : [];
    next.push(itemSchema.kind === "object" ? {} : itemSchema.kind === "string" ? "" : null);
    setAt(ctx.getInputs(), path, next);
    ctx.onStructure([...path, next.length - 1]);
  });
  return h(
    "fieldset",
    { class: "array", dataset: { field: path.join(".") } },
    h("legend", {}, labelParts(path, schema, required), h("span", { class: "count" }, ` ${list.length} item(s)`)),
    hint(schema),
    errorSlot(path),
    h("ol", { class: "items" }, list.map((_, i) => arrayItem([...path, i], itemSchema, ctx))),
    add,
  );
}

function arrayItem(path, itemSchema, ctx) {
  const index = path[path.length - 1];
  const remove = h("button", { type: "button", class: "remove" }, `Remove item ${index + 1}`);
  remove.addEventListener("click", () => {
    const parentPath = path.slice(0, -1);
    const list = getAt(ctx.getInputs(), parentPath);
    list.splice(index, 1);
    if (list.length === 0) unsetAt(ctx.getInputs(), parentPath);
    ctx.onStructure(null);
  });
  const body =
    itemSchema.kind === "object"
      ? Object.entries(itemSchema.properties).map(([name, s]) =>
          field([...path, name], s, (itemSchema.required || []).includes(name), ctx),
        )
      : [field(path, itemSchema, false, ctx)];
  return h(
    "li",
    {},
    h(
      "fieldset",
      { class: "item", dataset: { field: path.join(".") } },
      h("legend", {}, `${path[path.length - 2]} #${index + 1}`, " ", remove),
      errorSlot(path),
      body,
    ),
  );
}

// -- values without a rebuild ---------------------------------------------------------

/** What decides the form's structure: the length of every array in `inputs`. */
export function shapeOf(inputs) {
  const lengths = [];
  const walk = (value, path) => {
    if (Array.isArray(value)) lengths.push(`${path}:${value.length}`);
    if (value && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`);
    }
  };
  walk(inputs, "");
  return lengths.join(",");
}

/** Show `inputs` in the controls already built (same shape): no control is recreated. */
export function applyValues(root, inputs) {
  for (const control of root.querySelectorAll("[data-path]")) {
    if (control === document.activeElement) continue;
    const value = getAt(inputs, control.dataset.path.split("."));
    if (control.tagName === "SELECT") {
      const key = typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
      control.value = [...control.options].some((o) => o.value === key) ? key : "";
    } else if (control.tagName === "TEXTAREA") {
      control.value = value === undefined ? "" : JSON.stringify(value);
    } else {
      const shown = control.type === "number" ? typeof value === "number" : typeof value === "string";
      control.value = shown ? String(value) : "";
    }
  }
}

// -- errors ------------------------------------------------------------------------

/** Remove every field error shown in `root`. */
export function clearFieldErrors(root) {
  for (const slot of root.querySelectorAll(".field-error")) {
    slot.textContent = "";
    slot.hidden = true;
  }
  for (const node of root.querySelectorAll(".invalid")) node.classList.remove("invalid");
  for (const node of root.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** Clear the error shown for one field (after it is edited). */
export function clearFieldError(root, path) {
  const wrapper = root.querySelector(`[data-field="${CSS.escape(path.join("."))}"]`);
  if (!wrapper) return;
  const slot = wrapper.querySelector(":scope > .field-error");
  if (slot) {
    slot.textContent = "";
    slot.hidden = true;
  }
  wrapper.classList.remove("invalid");
  wrapper.querySelector("[aria-invalid]")?.removeAttribute("aria-invalid");
}

/** Show each `{field, message}` next to its field; returns those with no field to go to. */
export function showFieldErrors(root, errors) {
  clearFieldErrors(root);
  const unplaced = [];
  for (const error of errors) {
    const parts = error.field ? String(error.field).split(".") : [];
    let wrapper = null;
    const tried = [...parts];
    while (tried.length && !wrapper) {
      wrapper = root.querySelector(`[data-field="${CSS.escape(tried.join("."))}"]`);
      if (!wrapper) tried.pop();
    }
    if (!wrapper) {
      unplaced.push(error);
      continue;
    }
    const rest = parts.slice(tried.length).join(".");
    const slot = wrapper.querySelector(":scope > .field-error");
    slot.hidden = false;
    slot.append(h("span", {}, rest ? `${rest}: ${error.message}` : error.message));
    wrapper.classList.add("invalid");
    wrapper.querySelector(":scope > input, :scope > select, :scope > textarea")?.setAttribute("aria-invalid", "true");
    for (let node = wrapper.parentElement; node && node !== root; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
  }
  return unplaced;
}
