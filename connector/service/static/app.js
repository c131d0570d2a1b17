// The page: palette → workflow → step configuration → dry run / test request → export.
//
// All that the page shows comes from one state object: every event changes `state`, then
// `render()` draws the workflow, the step's banner, panes and export from it. Nothing is read
// back from the DOM, so a step never shows another step's errors or a fixed error's banner.

import { call, taskPath } from "./api.js";
import { fill, h, pretty } from "./dom.js";
import { applyValues, buildForm, shapeOf, showFieldErrors } from "./form.js";
import { moveFocus, newPalette, openByDefault, renderPalette } from "./palette.js";
import { showNothingSent, showReference, showRequest, showResult } from "./views.js";
import { setUpArazzo } from "./workflow.js";

const $ = (id) => document.getElementById(id);

/** A new step: its inputs and what was last shown for it. */
const newStep = (task, inputs) => ({
  task,
  inputs,
  localErrors: new Map(), // path -> message, found in the page before anything is sent
  blocked: false, // a send was stopped by local errors: show them
  problems: null, // {message, fieldErrors}: the last refusal (nothing was sent)
  request: null, // {view, note}: the last dry run or sent request
  result: null, // the last structured response
  exported: null, // {filename, document, curl?}
  status: "", // a one-line note such as "Copied."
});

const state = {
  tasks: new Map(), // name -> task detail (template, inputSchema, …)
  steps: [],
  current: -1,
  busy: "",
  formShape: null, // the shape the form was last built for
  palette: newPalette(),
  paletteVersion: 0, // bumped on every palette change; the palette is redrawn only then
};

let paletteDrawn = -1;

const step = () => state.steps[state.current];

// -- rendering -----------------------------------------------------------------------

function render() {
  if (paletteDrawn !== state.paletteVersion) {
    renderPalette({ list: $("palette"), status: $("palette-status") }, state.palette);
    paletteDrawn = state.paletteVersion;
  }
  renderWorkflow();
  $("config").hidden = !step();
  if (!step()) return;
  renderBanner();
  renderPanes();
  renderExport();
  for (const id of ["dry-run", "test-request"]) $(id).disabled = Boolean(state.busy);
  $("busy").textContent = state.busy;
}

function renderWorkflow() {
  const items = state.steps.map((s, i) => {
    const title = state.tasks.get(s.task)?.title || s.task;
    const current = i === state.current;
    const open = h("button", { type: "button", class: "step-open", "aria-current": current ? "step" : null }, `${i + 1}. ${title}`);
    open.addEventListener("click", () => openStep(i));
    const remove = h("button", { type: "button", class: "step-remove", "aria-label": `Remove step ${i + 1}` }, "×");
    remove.addEventListener("click", () => removeStep(i));
    return h("li", { class: current ? "step current" : "step" }, open, remove);
  });
  fill($("workflow"), items);
}

/** Field errors are shown once, next to their fields; the banner says what cannot be placed. */
function renderBanner() {
  const problems = currentProblems();
  const unplaced = showFieldErrors($("input-form"), problems ? problems.fieldErrors : []);
  if (!problems) {
    $("general-errors").hidden = true;
    $("general-errors").replaceChildren();
    return;
  }
  const placed = problems.fieldErrors.length - unplaced.length;
  const where = placed ? `${placed === 1 ? "1 field is" : `${placed} fields are`} marked in the form.` : "";
  fill(
    $("general-errors"),
    h("strong", {}, "Nothing was sent. "),
    placed ? where : problems.message,
    unplaced.length ? h("ul", {}, unplaced.map((e) => h("li", {}, e.field ? `${e.field}: ${e.message}` : e.message))) : null,
  );
  $("general-errors").hidden = false;
}

function currentProblems() {
  const s = step();
  if (s.localErrors.size && s.blocked) {
    const fieldErrors = [...s.localErrors].map(([field, message]) => ({ field, message }));
    return { message: "fix the marked fields first.", fieldErrors };
  }
  return s.problems;
}

function renderPanes() {
  const s = step();
  if (s.request) showRequest($("request-view"), s.request.view, s.request.note);
  else fill($("request-view"), h("p", { class: "muted" }, "Press Dry run to see the exact request."));
  if (s.problems && !s.result) {
    const where = s.problems.fieldErrors.length ? "the fields marked in the form" : "the message above the form";
    showNothingSent($("response-view"), `See ${where}.`);
  }
  else if (s.result) showResult($("response-view"), s.result);
  else fill($("response-view"), h("p", { class: "muted" }, "Press Test request (Ctrl+Enter) to send it."));
}

function renderExport() {
  const exported = step().exported;
  $("export").hidden = !exported;
  if (!exported) return;
  $("export-title").textContent = exported.filename;
  $("export-json").textContent = exported.text;
  $("export-download").hidden = !exported.document;
  $("export-status").textContent = step().status;
}

// -- palette and workflow ---------------------------------------------------------

const SEARCH_PAUSE_MS = 150; // a search starts once typing pauses this long
let searchTimer = null;
let searchSeq = 0; // only the latest search's answer is shown

function paletteChanged() {
  state.paletteVersion += 1;
  render();
}

async function loadPalette() {
  const palette = state.palette;
  palette.status = "loading";
  paletteChanged();
  const [{ status, body: manifest }, { status: found, body: catalogue }] = await Promise.all([
    call("GET", "/api/manifest"),
    call("GET", "/api/catalogue"),
  ]);
  if (status === 200) $("vendor").textContent = manifest?.title ? `· ${manifest.title}` : "";
  if (found !== 200) {
    palette.status = "failed";
    palette.error = catalogue?.error?.message || `the service answered ${found}`;
  } else {
    Object.assign(palette, { status: "ready", error: "", groups: catalogue.groups, total: catalogue.total });
    openByDefault(palette);
  }
  paletteChanged();
}

function onSearchInput() {
  state.palette.query = $("palette-search").value;
  state.palette.notice = "";
  clearTimeout(searchTimer);
  const query = state.palette.query.trim();
  if (!query) {
    searchSeq += 1; // an answer still on its way is for an older query
    state.palette.searching = false;
    paletteChanged();
    return;
  }
  if (state.palette.result?.query === query) return paletteChanged();
  searchTimer = setTimeout(() => search(query), SEARCH_PAUSE_MS);
}

async function search(query) {
  const seq = ++searchSeq;
  state.palette.searching = true;
  paletteChanged();
  const { status, body: answer } = await call("GET", `/api/catalogue?limit=20&q=${encodeURIComponent(query)}`);
  if (seq !== searchSeq) return;
  state.palette.searching = false;
  state.palette.result =
    status === 200 ? { query, hits: answer.hits || [] } : { query, error: answer?.error?.message || `the service answered ${status}` };
  paletteChanged();
}

function retryPalette() {
  const query = state.palette.query.trim();
  if (state.palette.status === "failed") loadPalette();
  else if (query) search(query);
}

function clearSearch() {
  $("palette-search").value = "";
  onSearchInput();
}

/** The search box: ArrowDown enters the list, Enter adds the best match, Escape clears. */
function onSearchKey(event) {
  if (event.key === "ArrowDown") {
    event.preventDefault();
    $("palette").querySelector(".palette-toggle, .palette-item")?.focus();
  } else if (event.key === "Enter") {
    event.preventDefault();
    const best = $("palette").querySelector(".palette-item");
    const query = state.palette.query.trim();
    if (best && query && state.palette.result?.query === query) addFromPalette(best.dataset.task);
  } else if (event.key === "Escape" && $("palette-search").value) {
    event.preventDefault();
    clearSearch();
  }
}

function onPaletteClick(event) {
  const target = event.target.closest("[data-toggle], [data-task], [data-action]");
  if (!target) return;
  if (target.dataset.action === "retry") return retryPalette();
  if (target.dataset.task) return event.detail > 1 ? null : addFromPalette(target.dataset.task); // a double click adds once
  const open = state.palette.open;
  if (open.has(target.dataset.toggle)) open.delete(target.dataset.toggle);
  else open.add(target.dataset.toggle);
  paletteChanged();
}

function onPaletteKey(event) {
  const item = event.target.closest(".palette-item, .palette-toggle");
  if (!item) return;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const moved = moveFocus($("palette"), item, event.key === "ArrowDown" ? 1 : -1);
    if (!moved && event.key === "ArrowUp") $("palette-search").focus();
  } else if (item.dataset.task && (event.key === "Enter" || event.key === " ")) {
    event.preventDefault();
    addFromPalette(item.dataset.task);
  } else if (event.key === "Escape") {
    $("palette-search").focus();
  }
}

function setUpPalette() {
  const list = $("palette");
  list.addEventListener("click", onPaletteClick);
  list.addEventListener("keydown", onPaletteKey);
  list.addEventListener("dragstart", (event) => {
    const item = event.target.closest?.(".palette-item");
    if (!item) return;
    event.dataTransfer.setData("text/plain", item.dataset.task);
    event.dataTransfer.effectAllowed = "copy";
  });
  $("palette-search").addEventListener("input", onSearchInput);
  $("palette-search").addEventListener("keydown", onSearchKey);
  $("palette-search-form").addEventListener("submit", (event) => event.preventDefault());
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest?.("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      $("palette-search").focus();
    }
  });
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
    if (name) addFromPalette(name);
  });
}

async function taskDetail(name) {
  if (!state.tasks.has(name)) {
    const { status, body } = await call("GET", taskPath(name));
    if (status !== 200) return body.error;
    const { status: found, body: ref } = await call("GET", taskPath(name, "reference"));
    state.tasks.set(name, { ...body, reference: found === 200 ? ref : null });
  }
  return null;
}

/** Add a step for a task (loading its form and reference); the error message, or null. */
async function addStep(name, inputs) {
  const error = await taskDetail(name);
  if (error) return `Cannot add '${name}': ${error.message}`;
  state.steps.push(newStep(name, inputs));
  openStep(state.steps.length - 1);
  return null;
}

async function addFromPalette(ref) {
  const error = await addStep(ref, {});
  if (error === state.palette.notice) return;
  state.palette.notice = error || "";
  paletteChanged();
}

function removeStep(index) {
  state.steps.splice(index, 1);
  if (state.steps.length === 0) {
    state.current = -1;
    render();
    return;
  }
  openStep(Math.min(state.current, state.steps.length - 1));
}

function openStep(index) {
  state.current = index;
  const detail = state.tasks.get(step().task);
  $("step-title").textContent = `Step ${index + 1}: ${detail.title}`;
  $("step-description").textContent = detail.description;
  $("reference").hidden = !detail.reference;
  if (detail.reference) showReference($("reference-view"), detail.reference);
  rebuildForm(null);
  syncJson();
  render();
  $("input-form").querySelector("input, select, textarea")?.focus();
}

// -- configuration: form and JSON view --------------------------------------------

function formContext() {
  return {
    getInputs: () => step().inputs,
    localErrors: step().localErrors,
    onChange: (path) => {
      inputsChanged(path);
      syncJson();
      render();
    },
    onStructure: (focusPath) => {
      inputsChanged(focusPath);
      rebuildForm(focusPath);
      syncJson();
      render();
    },
  };
}

/** The inputs changed: an export is stale, and a refusal no longer holds for the edited field. */
function inputsChanged(path) {
  const s = step();
  s.exported = null;
  s.status = "";
  if (!s.localErrors.size) s.blocked = false;
  if (!s.problems || !path) return;
  const key = path.join(".");
  const left = s.problems.fieldErrors.filter((e) => e.field !== key && !String(e.field).startsWith(`${key}.`));
  s.problems = left.length || !s.problems.fieldErrors.length ? { ...s.problems, fieldErrors: left } : null;
}

function rebuildForm(focusPath) {
  const detail = state.tasks.get(step().task);
  const open = Boolean($("server-managed")?.open);
  buildForm($("input-form"), detail.inputSchema, formContext());
  state.formShape = shapeOf(step().inputs);
  if (open && $("server-managed")) $("server-managed").open = true;
  if (focusPath) {
    const prefix = focusPath.join(".");
    const target = [...$("input-form").querySelectorAll("[data-path]")].find((n) => n.dataset.path.startsWith(prefix));
    target?.focus();
  }
}

function syncJson() {
  $("input-json").value = pretty(step().inputs);
  $("json-error").hidden = true;
  step().localErrors.delete("(json)");
}

let jsonTimer = null;

/** Edits in the JSON view reach the form after a pause, and rebuild it only when its shape changed. */
function onJsonEdited() {
  clearTimeout(jsonTimer);
  jsonTimer = setTimeout(applyJson, 200);
}

function applyJson() {
  const s = step();
  let parsed;
  try {
    parsed = JSON.parse($("input-json").value);
  } catch (error) {
    return jsonProblem(`The JSON view is not valid JSON: ${error.message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return jsonProblem("The task input must be a JSON object.");
  }
  s.localErrors.delete("(json)");
  $("json-error").hidden = true;
  s.inputs = parsed;
  inputsChanged(null);
  if (shapeOf(parsed) === state.formShape) applyValues($("input-form"), parsed);
  else rebuildForm(null);
  render();
}

function jsonProblem(message) {
  step().localErrors.set("(json)", message);
  $("json-error").textContent = message;
  $("json-error").hidden = false;
}

// -- dry run and test request -------------------------------------------------------

const ACTIONS = {
  render: { label: "Rendering…", note: "Dry run: nothing was sent." },
  "test-request": { label: "Sending…", note: "Sent:" },
};

function body() {
  return { inputs: step().inputs, environment: $("environment").value };
}

/** Dry run or test request: one path for both, and every answer lands in the step's state. */
async function send(action) {
  const s = step();
  if (!s || state.busy) return;
  if (s.localErrors.size) {
    s.blocked = true;
    render();
    return;
  }
  const payload = body();
  if (action === "test-request" && payload.environment === "live") {
    if (!window.confirm("Send this request to the LIVE environment? It moves real money.")) return;
    payload.confirmLive = true;
  }
  state.busy = ACTIONS[action].label;
  render();
  const { status, body: answer } = await call("POST", taskPath(s.task, action), payload);
  state.busy = "";
  if (status !== 200) {
    s.problems = answer.error;
    s.result = null;
    s.request = null;
  } else if (action === "render") {
    s.problems = null;
    s.request = { view: answer, note: ACTIONS.render.note };
  } else {
    s.problems = answer.error?.fieldErrors?.length ? answer.error : null;
    s.result = answer;
    s.request = answer.request ? { view: answer.request, note: ACTIONS[action].note } : null;
  }
  if (step() === s) render();
}

// -- export, copy and import ------------------------------------------------------------

async function exportAs(engine) {
  const s = step();
  const { status, body: answer } = await call("POST", taskPath(s.task, "export"), { engine, inputs: s.inputs });
  if (status !== 200) {
    s.problems = answer.error;
    s.exported = null;
  } else {
    s.problems = null;
    s.exported = { filename: answer.filename, document: answer.document, text: pretty(answer.document) };
    s.status = "";
  }
  if (step() === s) render();
}

async function copyAsCurl() {
  const s = step();
  const { status, body: answer } = await call("POST", taskPath(s.task, "render"), body());
  if (status !== 200) {
    s.problems = answer.error;
    render();
    return;
  }
  s.problems = null;
  s.request = { view: answer, note: ACTIONS.render.note };
  s.exported = { filename: "cURL command", document: null, text: answer.curl };
  s.status = await copyText(answer.curl);
  render();
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return "Copied.";
  } catch {
    return "Select the text and press Ctrl+C to copy.";
  }
}

async function copyExport() {
  step().status = await copyText($("export-json").textContent);
  if (step().status !== "Copied.") {
    const range = document.createRange();
    range.selectNodeContents($("export-json"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  }
  renderExport();
}

function downloadExport() {
  const exported = step().exported;
  const blob = new Blob([`${exported.text}\n`], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(blob), download: exported.filename });
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
  const { status: code, body: answer } = await call("POST", "/api/import", { engine, document });
  $("import-file").value = "";
  if (code !== 200) {
    status.textContent = `Cannot import ${file.name}: ${answer.error.message}`;
    return;
  }
  if (!answer.shipped) {
    status.textContent = `${file.name} describes task '${answer.task}', which this connector does not ship.`;
    return;
  }
  status.textContent = (await addStep(answer.task, answer.inputs)) || `Imported ${file.name} as a '${answer.task}' step.`;
}

// -- start ------------------------------------------------------------------------------

function wire() {
  setUpPalette();
  setUpDropZone();
  $("input-json").addEventListener("input", onJsonEdited);
  $("dry-run").addEventListener("click", () => send("render"));
  $("test-request").addEventListener("click", () => send("test-request"));
  $("copy-curl").addEventListener("click", copyAsCurl);
  $("export-copy").addEventListener("click", copyExport);
  $("export-download").addEventListener("click", downloadExport);
  $("import-file").addEventListener("change", importFile);
  $("import-form").addEventListener("submit", (event) => event.preventDefault());
  setUpArazzo();
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (state.busy || !step()) return;
      clearTimeout(jsonTimer);
      if (document.activeElement === $("input-json")) applyJson();
      send("test-request");
    }
  });
}

async function loadEngines() {
  const { status, body: answer } = await call("GET", "/api/engines");
  const engines = status === 200 ? answer : []; // the service's registry is the one list
  fill(
    $("export-buttons"),
    engines.map((engine) => {
      const button = h("button", { type: "button" }, `Export as ${engine.title}`);
      button.addEventListener("click", () => exportAs(engine.name));
      return button;
    }),
  );
  fill($("import-engine"), engines.map((engine) => h("option", { value: engine.name }, engine.title)));
}

wire();
Promise.all([loadPalette(), loadEngines()]).then(() => document.body.classList.add("ready"));
