// The Arazzo panel: an Arazzo file's steps, each with its dry run (the request it would send
// with what is known before the run, where each value comes from, whether it is safe to
// repeat), from POST /api/workflows/plan. Nothing is sent. One state object, rendered whole.

import { call } from "./api.js";
import { fill, h } from "./dom.js";

const $ = (id) => document.getElementById(id);

const panel = { status: "", plan: null, error: null };

function wiring(item) {
  const source = item.from ?? JSON.stringify(item.value);
  const known = item.from !== undefined && item.value !== undefined ? ` (= ${JSON.stringify(item.value)})` : "";
  return h("li", {}, h("code", {}, source), known, " → ", h("code", {}, item.to));
}

function stepItem(step) {
  const safe = step.safeToRepeat === undefined ? null : step.safeToRepeat ? "safe to repeat" : "not safe to repeat";
  return h(
    "li",
    { class: "arazzo-step" },
    h("strong", {}, step.stepId),
    " ",
    h("code", { class: "request-line" }, step.request || `workflow ${step.workflow}`),
    safe && h("span", { class: "muted small" }, ` · ${safe}`),
    h("ul", { class: "small" }, (step.inputs || []).map(wiring), step.actions.map((a) => h("li", { class: "muted" }, a))),
  );
}

function render() {
  $("arazzo-status").textContent = panel.status;
  const errors = panel.error?.fieldErrors || [];
  fill(
    $("arazzo-steps"),
    panel.error ? errors.map((e) => h("li", { class: "field-error" }, `${e.field}: ${e.message}`)) : [],
    panel.plan ? panel.plan.steps.map(stepItem) : [],
  );
}

async function planFile(event) {
  const file = event.target.files[0];
  if (!file) return;
  Object.assign(panel, { status: "Planning…", plan: null, error: null });
  render();
  const document = await file.text();
  const { status, body } = await call("POST", "/api/workflows/plan", {
    document,
    environment: $("environment").value,
  });
  if (status === 200) {
    const count = body.steps.length;
    Object.assign(panel, { plan: body, status: `${body.workflowId}: ${count} steps; nothing was sent.` });
  } else {
    Object.assign(panel, { error: body?.error, status: body?.error?.message || `The service answered ${status}.` });
  }
  render();
}

/** Wire the panel's controls. */
export function setUpArazzo() {
  $("arazzo-file").addEventListener("change", planFile);
  $("arazzo-form").addEventListener("submit", (event) => event.preventDefault());
}
