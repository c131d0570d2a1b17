// The service's JSON API. The token (only needed when the service is bound beyond
// loopback) comes from the page URL's fragment (#token=…), which is never sent to a server.

const TOKEN_KEY = "connector-token";

function token() {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", window.location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Call the API; resolves to {status, body}, status 0 when the service did not answer. Never throws. */
export async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  const secret = token();
  if (secret) headers.Authorization = `Bearer ${secret}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    const message = "The connector service did not answer: is `connector serve` still running?";
    return { status: 0, body: { error: { kind: "connection", message, fieldErrors: [] } } };
  }
  if (response.status === 401) {
    const given = window.prompt("This service needs its API token:");
    if (given) {
      sessionStorage.setItem(TOKEN_KEY, given);
      return call(method, path, body);
    }
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { error: { kind: "http", message: text, fieldErrors: [] } };
  }
  return { status: response.status, body: parsed };
}

/** The API path of a task: a shipped NAME or an imported API/NAME, each part encoded. */
export function taskPath(ref, suffix = "") {
  const parts = String(ref).split("/").map(encodeURIComponent).join("/");
  return `/api/tasks/${parts}${suffix ? `/${suffix}` : ""}`;
}
