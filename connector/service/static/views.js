// The request and response panes: what would be sent, and what came back.

import { breakable, fill, h, headerTable, pretty } from "./dom.js";


function bodyBlock(body, label) {
  if (body === null || body === undefined) return h("p", { class: "muted" }, "(no body)");
  const text = typeof body === "string" ? body : pretty(body);
  return h("pre", { class: "code", "aria-label": label, tabindex: "0" }, text);
}

/** The request pane: method, URL, headers (credentials redacted), body. */
export function showRequest(node, request, note) {
  fill(
    node,
    note ? h("p", { class: "note" }, note) : null,
    h("p", { class: "request-line" }, h("span", { class: "method" }, request.method), " ", h("code", { id: "request-url" }, breakable(request.url))),
    h("h3", {}, "Headers"),
    headerTable(request.headers, "Request headers"),
    h("h3", {}, "Body"),
    bodyBlock(request.body, "Request body"),
    (request.warnings || []).length
      ? h("ul", { class: "warnings", "aria-label": "Warnings" }, request.warnings.map((w) => h("li", {}, w)))
      : null,
  );
}

function attemptsTable(attempts) {
  const rows = attempts.map((a) =>
    h(
      "tr",
      {},
      h("td", {}, String(a.number)),
      h("td", {}, a.statusCode === null ? "—" : String(a.statusCode)),
      h("td", {}, a.error || ""),
      h("td", {}, `${Math.round(a.elapsedMs)} ms`),
      h("td", {}, a.waitSeconds ? `${a.waitSeconds.toFixed(2)} s` : "—"),
    ),
  );
  return h(
    "table",
    { class: "attempts", "aria-label": "Attempts" },
    h("thead", {}, h("tr", {}, ["#", "Status", "Error", "Time", "Wait before next"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows),
  );
}

/** The response pane for a structured response (any outcome). */
export function showResult(node, result) {
  const response = result.response;
  const code = response ? `${response.statusCode} ${response.reasonPhrase || ""}`.trim() : "no response";
  fill(
    node,
    h(
      "p",
      { class: "summary" },
      h("span", { class: `badge ${result.status === "COMPLETED" ? "ok" : "bad"}`, id: "result-status" }, result.status),
      " ",
      h("strong", { id: "status-code" }, code),
      " ",
      h("span", { class: "muted", id: "elapsed" }, `${Math.round(result.elapsedMs)} ms`),
      result.retryable ? h("span", { class: "muted" }, " · retryable") : null,
    ),
    result.error
      ? h("p", { class: "error-line" }, `${result.error.kind}: ${result.error.message}`)
      : null,
    h("h3", {}, `Attempts (${result.attempts.length})`),
    attemptsTable(result.attempts),
    response ? h("h3", {}, "Headers") : null,
    response ? headerTable(response.headers, "Response headers") : null,
    response ? h("h3", {}, "Body") : null,
    response ? bodyBlock(response.body, "Response body") : null,
    (result.warnings || []).length
      ? h("ul", { class: "warnings", "aria-label": "Warnings" }, result.warnings.map((w) => h("li", {}, w)))
      : null,
  );
}

/** A pane showing that nothing was sent, and why. */
export function showNothingSent(node, message) {
  const id = node.id === "response-view" ? "nothing-sent" : null;
  fill(node, h("p", { class: "nothing-sent", id }, "Nothing was sent. ", message));
}

function referenceTable(title, fields, withLocation) {
  if (!fields.length) return null;
  const head = ["Name", ...(withLocation ? ["In"] : []), "Type", "Required", "Description"];
  const rows = fields.map((f) => {
    const details = [f.description, f.readOnly ? "Read-only: set by the API." : ""];
    if (f.validValues.length) details.push(`Valid values: ${f.validValues.map((v) => JSON.stringify(v)).join(", ")}.`);
    if (f.hasDefault) details.push(`Default value: ${JSON.stringify(f.default)}.`);
    return h(
      "tr",
      {},
      h("td", {}, h("code", {}, f.name)),
      withLocation ? h("td", {}, f.location) : null,
      h("td", {}, f.type),
      h("td", {}, f.required ? "Yes" : "No"),
      h("td", {}, details.filter(Boolean).join(" ")),
    );
  });
  return [
    h("h3", {}, title),
    h("table", { class: "reference-table", "aria-label": title }, h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)),
  ];
}

/** The operation's reference documentation (the same model `describe --format markdown` prints). */
export function showReference(node, ref) {
  fill(
    node,
    h("p", { class: "request-line" }, h("span", { class: "method" }, ref.method), " ", h("code", {}, ref.path)),
    ref.credentials.length ? h("p", { class: "small" }, `Credentials from the environment: ${ref.credentials.join(" or ")}.`) : null,
    h("h3", {}, "Servers"),
    h("table", { class: "reference-table", "aria-label": "Servers" }, h("tbody", {}, ref.servers.map((s) => h("tr", {}, h("th", { scope: "row" }, s.name), h("td", {}, h("code", {}, breakable(s.url))))))),
    referenceTable("Request headers", ref.headers, false),
    referenceTable("Parameters", ref.parameters, true),
    referenceTable("Request body fields", ref.bodyFields, false),
  );
}
