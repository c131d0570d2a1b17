// The page: palette → workflow → step configuration → dry run / test request → export.

import { call } from "./api.js";
import { fill, h, pretty } from "./dom.js";
import { buildForm, clearFieldError, clearFieldErrors, showFieldErrors } from "./form.js";
import { showNothingSent, showRequest, showResult } from "./views.js";

const $ = (id) => document.getElementById(id);

const state = {
  tasks: new Map(), // name -> task detail (template, inputSchema, …)
  steps: [], // {task, inputs}
  current: -1,
  localErrors: new Map(), // path -> message, found in the page before anything is sent
  exported: null,
};

const step = () => state.steps[state.current];

// -- palette and workflow ---------------------------------------------------------

async function loadPalette() {
  const { body: manifest } = await call("GET", "/api/manifest");
  $("vendor").textContent = manifest?.title ? `· ${manifest.title}` : "";
  const items = (manifest?.tasks || []).map((task) => {
    const item = h(
      "li",
      {
        class: "palette-item",
        draggable: "true",
        tabindex: "0",
        role: "button",
        "aria-label": `Add ${task.title} to the workflow`,
        dataset: { task: task.name },
      },
      h("strong", {}, task.title),
      h("span", { class: "small muted" }, `${task.method} ${task.path}`),
    );
    item.addEventListener("dragstart", (event) => {
      event.dataTransfer.setData("text/plain", task.name);
      event.dataTransfer.effectAllowed = "copy";
    });
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        addStep(task.name, {});
      }
    });
    item.addEventListener("dblclick", () => addStep(task.name, {}));
    return item;
  });
  fill($("palette"), items);
}

function setUpDropZone() {
  const zone = $("workflow");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const name = event.dataTransfer.getData("text/plain");
    if (name) addStep(name, {});
  });
}

async function taskDetail(name) {
  if (!state.tasks.has(name)) {
    const { status, body } = await call("GET", `/api/tasks/${encodeURIComponent(name)}`);
    if (status !== 200) throw new Error(body?.error?.message || `cannot load task ${name}`);
    state.tasks.set(name, body);
  }
  return state.tasks.get(name);
}

async function addStep(name, inputs) {
  await taskDetail(name);
  state.steps.push({ task: name, inputs });
  renderWorkflow();
  openStep(state.steps.length - 1);
}

function renderWorkflow() {
  const items = state.steps.map((s, i) => {
    const title = state.tasks.get(s.task)?.title || s.task;
    const open = h("button", { type: "button", class: "step-open", "aria-current": i === state.current ? "step" : null }, `${i + 1}. ${title}`);
    open.addEventListener("click", () => openStep(i));
    const remove = h("button", { type: "button", class: "step-remove", "aria-label": `Remove step ${i + 1}` }, "×");
    remove.addEventListener("click", () => removeStep(i));
    return h("li", { class: i === state.current ? "step current" : "step" }, open, remove);
  });
  fill($("workflow"), items);
}

function removeStep(index) {
  state.steps.splice(index, 1);
  state.current = Math.min(state.current, state.steps.length - 1);
  renderWorkflow();
  if (state.current >= 0) openStep(state.current);
  else $("config").hidden = true;
}

// -- configuration: form and JSON view --------------------------------------------

function openStep(index) {
  state.current = index;
  state.localErrors.clear();
  renderWorkflow();
  const detail = state.tasks.get(step().task);
  $("config").hidden = false;
  $("step-title").textContent = `Step ${index + 1}: ${detail.title}`;
  $("step-description").textContent = detail.description;
  $("export").hidden = true;
  hideGeneralErrors();
  renderForm(null);
  syncJson();
  $("input-form").querySelector("input, select, textarea")?.focus();
}

function formContext() {
  return {
    getInputs: () => step().inputs,
    localErrors: state.localErrors,
    onChange: (path) => {
      clearFieldError($("input-form"), path);
      syncJson();
    },
    onStructure: (focusPath) => {
      renderForm(focusPath);
      syncJson();
    },
  };
}

function renderForm(focusPath) {
  const detail = state.tasks.get(step().task);
  const open = Boolean($("server-managed")?.open);
  buildForm($("input-form"), detail.inputSchema, formContext());
  if (open && $("server-managed")) $("server-managed").open = true;
  if (focusPath) {
    const prefix = focusPath.join(".");
    const target = [...$("input-form").querySelectorAll("[data-path]")].find((n) =>
      n.dataset.path.startsWith(prefix),
    );
    target?.focus();
  }
}

function syncJson() {
  $("input-json").value = pretty(step().inputs);
  $("json-error").hidden = true;
  state.localErrors.delete("(json)");
}

function onJsonEdited() {
  let parsed;
  try {
    parsed = JSON.parse($("input-json").value);
  } catch (error) {
    return jsonProblem(`The JSON view is not valid JSON: ${error.message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return jsonProblem("The task input must be a JSON object.");
  }
  state.localErrors.delete("(json)");
  $("json-error").hidden = true;
  step().inputs = parsed;
  renderForm(null);
}

function jsonProblem(message) {
  state.localErrors.set("(json)", message);
  $("json-error").textContent = message;
  $("json-error").hidden = false;
}

// -- dry run and test request -------------------------------------------------------

function hideGeneralErrors() {
  $("general-errors").hidden = true;
  $("general-errors").replaceChildren();
}

function showProblems(error) {
  const errors = error.fieldErrors || [];
  showFieldErrors($("input-form"), errors);
  const lines = errors.map((e) => h("li", {}, `${e.field || "(input)"}: ${e.message}`));
  fill(
    $("general-errors"),
    h("strong", {}, "Nothing was sent: "),
    error.message,
    lines.length ? h("ul", {}, lines) : null,
  );
  $("general-errors").hidden = false;
  $("input-form").querySelector(".invalid")?.scrollIntoView({ block: "center" });
}

function notSent(message) {
  showNothingSent($("request-view"), "Fix the marked fields; the request is shown once it is valid.");
  showNothingSent($("response-view"), message);
}

function localBlock() {
  if (state.localErrors.size === 0) return false;
  const errors = [...state.localErrors].map(([field, message]) => ({ field, message }));
  showProblems({ message: "fix the input first.", fieldErrors: errors });
  notSent("Fix the fields marked in the form first.");
  return true;
}

async function withBusy(label, action) {
  for (const id of ["dry-run", "test-request"]) $(id).disabled = true;
  $("busy").textContent = label;
  try {
    await action();
  } finally {
    for (const id of ["dry-run", "test-request"]) $(id).disabled = false;
    $("busy").textContent = "";
  }
}

function target() {
  return { inputs: step().inputs, environment: $("environment").value };
}

async function dryRun() {
  if (localBlock()) return;
  await withBusy("Rendering…", async () => {
    const { status, body } = await call("POST", `/api/tasks/${encodeURIComponent(step().task)}/render`, target());
    if (status === 200) {
      clearFieldErrors($("input-form"));
      hideGeneralErrors();
      showRequest($("request-view"), body, "Dry run: nothing was sent.");
    } else {
      showProblems(body.error);
      notSent(body.error.message);
    }
  });
}

async function testRequest() {
  if (localBlock()) return;
  const request = target();
  if (request.environment === "live") {
    const sure = window.confirm("Send this request to the LIVE environment? It moves real money.");
    if (!sure) return;
    request.confirmLive = true;
  }
  await withBusy("Sending…", async () => {
    const path = `/api/tasks/${encodeURIComponent(step().task)}/test-request`;
    const { status, body } = await call("POST", path, request);
    if (status === 200) {
      clearFieldErrors($("input-form"));
      hideGeneralErrors();
      if (body.request) showRequest($("request-view"), body.request, "Sent:");
      showResult($("response-view"), body);
      if (body.error?.fieldErrors?.length) showFieldErrors($("input-form"), body.error.fieldErrors);
    } else {
      showProblems(body.error);
      notSent(body.error.message);
    }
  });
}

// -- export and import ----------------------------------------------------------------

async function exportAs(engine) {
  const path = `/api/tasks/${encodeURIComponent(step().task)}/export`;
  const { status, body } = await call("POST", path, { engine, inputs: step().inputs });
  if (status !== 200) {
    showProblems(body.error);
    return;
  }
  state.exported = body;
  $("export-title").textContent = body.filename;
  $("export-json").textContent = pretty(body.document);
  $("export-status").textContent = "";
  $("export").hidden = false;
}

async function copyExport() {
  const text = $("export-json").textContent;
  try {
    await navigator.clipboard.writeText(text);
    $("export-status").textContent = "Copied.";
  } catch {
    const range = document.createRange();
    range.selectNodeContents($("export-json"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    $("export-status").textContent = "Selected: press Ctrl+C to copy.";
  }
}

function downloadExport() {
  const blob = new Blob([`${pretty(state.exported.document)}\n`], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(blob), download: state.exported.filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function importFile() {
  const file = $("import-file").files[0];
  if (!file) return;
  const status = $("import-status");
  let document;
  try {
    document = JSON.parse(await file.text());
  } catch (error) {
    status.textContent = `${file.name} is not JSON: ${error.message}`;
    return;
  }
  const engine = $("import-engine").value;
  const { status: code, body } = await call("POST", "/api/import", { engine, document });
  $("import-file").value = "";
  if (code !== 200) {
    status.textContent = `Cannot import ${file.name}: ${body.error.message}`;
    return;
  }
  if (!body.shipped) {
    status.textContent = `${file.name} describes task '${body.task}', which this connector does not ship.`;
    return;
  }
  status.textContent = `Imported ${file.name} as a '${body.task}' step.`;
  await addStep(body.task, body.inputs);
}

// -- start ------------------------------------------------------------------------------

function wire() {
  setUpDropZone();
  $("input-json").addEventListener("input", onJsonEdited);
  $("dry-run").addEventListener("click", dryRun);
  $("test-request").addEventListener("click", testRequest);
  $("export-simworkflow").addEventListener("click", () => exportAs("simworkflow"));
  $("export-conductor").addEventListener("click", () => exportAs("conductor"));
  $("export-copy").addEventListener("click", copyExport);
  $("export-download").addEventListener("click", downloadExport);
  $("import-file").addEventListener("change", importFile);
  $("import-form").addEventListener("submit", (event) => event.preventDefault());
}

wire();
loadPalette().then(() => document.body.classList.add("ready"));
