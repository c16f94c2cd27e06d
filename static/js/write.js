// One way to talk to the API from a page: the CSRF token, If-Match with the version the page
// loaded, the API's JSON error bodies ({"detail", "errors"}: geo/api/errors.py) read into a
// message a person can act on, a fetch that never reached the server, and 412 (someone else
// saved first). The editor, the history and the rules pages use it; nothing here touches the
// page's form, so whatever was typed stays where it was.

/** Django's CSRF token: the page's {% csrf_token %} input, else the csrftoken cookie. */
export function csrfToken(root = document) {
  const input = root.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

/** The version in an ETag ('"7"' or 'W/"7"'), or null. */
export function versionFromETag(response) {
  const match = (response.headers.get("ETag") || "").match(/\d+/);
  return match ? Number(match[0]) : null;
}

/** The first message of a DRF error value: a string, a list of them, or nested fields. */
function firstMessage(value) {
  if (Array.isArray(value)) return value.length ? firstMessage(value[0]) : "";
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) {
      const text = firstMessage(inner);
      if (text) return text;
    }
    return "";
  }
  return value === null || value === undefined ? "" : String(value);
}

/** Field name -> messages (a list) from an error body: {"errors": {...}} or DRF's bare fields. */
export function fieldErrors(body) {
  const source = body && typeof body === "object" && !Array.isArray(body)
    ? (body.errors && typeof body.errors === "object" ? body.errors : body) : {};
  const out = {};
  for (const [name, value] of Object.entries(source)) {
    if (name === "detail" || name === "code") continue;
    const text = firstMessage(value);
    if (text) out[name] = [].concat(Array.isArray(value) ? value.map(firstMessage) : text);
  }
  return out;
}

/** The one sentence an error body says: its detail, else its first field's message. */
export function errorDetail(body, status) {
  if (body && typeof body === "object" && body.detail) return String(body.detail);
  const fields = Object.values(fieldErrors(body));
  return fields.length ? fields[0][0] : `HTTP ${status}`;
}

/**
 * Send one request and say how it went, never throwing:
 *   { ok: true, status, body, version, response }
 *   { ok: false, kind: "network" }                    the server was not reached
 *   { ok: false, kind: "conflict", status: 412, body } someone else saved first
 *   { ok: false, kind: "refused", status, body, detail, errors }  any other 4xx/5xx
 * `version` (a number) is sent as If-Match; `payload` as JSON. GET and HEAD carry no token.
 */
export async function request(url, { method = "GET", payload, version = null, headers = {},
  cache } = {}) {
  const sent = { ...headers };
  const safe = method === "GET" || method === "HEAD";
  if (!safe) sent["X-CSRFToken"] = csrfToken();
  if (payload !== undefined) sent["Content-Type"] = "application/json";
  if (version !== null && version !== undefined) sent["If-Match"] = `"${version}"`;
  let response;
  try {
    response = await fetch(url, {
      method, credentials: "same-origin", headers: sent, cache,
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  } catch {
    return { ok: false, kind: "network" };
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok) {
    return { ok: true, status: response.status, body, version: versionFromETag(response), response };
  }
  if (response.status === 412) return { ok: false, kind: "conflict", status: 412, body };
  return {
    ok: false, kind: "refused", status: response.status, body,
    detail: errorDetail(body, response.status), errors: fieldErrors(body),
  };
}

/** A write: POST by default, JSON in and out (see request). */
export function write(url, { method = "POST", payload, version = null } = {}) {
  return request(url, { method, payload, version });
}

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_m, key) => String(values[key] ?? ""));
}

/**
 * What to tell the user about a failed request, from the page's translated strings:
 * `network` ("the server could not be reached"), `conflictShort` (someone else saved first)
 * and `failed` ("Not saved: %(detail)s").
 */
export function failureMessage(result, strings) {
  if (result.kind === "network") return strings.network;
  if (result.kind === "conflict") return strings.conflictShort || fill(strings.failed, {
    detail: errorDetail(result.body, 412) });
  return fill(strings.failed || "%(detail)s", { detail: result.detail });
}
