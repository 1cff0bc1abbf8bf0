// Requests to the citytwin server that serves this page. A viewer token, given
// as ?access_token= on the page's URL or in the sign-in form (signin.js), is
// kept for the browser tab's session and sent as a bearer header (and on the
// websocket URL, where browsers cannot set headers).

const TOKEN_KEY = "citytwin-token";
const token = takeToken();

// takeToken reads the token: from the URL (then kept, and taken off the
// address bar, so that a link copied from it does not carry the secret), or
// as kept earlier in this tab.
function takeToken() {
  const u = new URL(location.href);
  const given = u.searchParams.get("access_token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    u.searchParams.delete("access_token");
    history.replaceState(null, "", u);
    return given;
  }
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function hasToken() {
  return token !== "";
}

// keepToken keeps a token for this tab (an empty one forgets it); the page
// then loads again with it.
export function keepToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function authHeaders() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export function streamURL() {
  const u = new URL("/api/v1/stream", location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (token) u.searchParams.set("access_token", token);
  return u.toString();
}

// entityPath puts an entity id into a path: ids hold ":" and "/".
export function entityPath(id, rest = "") {
  return `/api/v1/entities/${encodeURIComponent(id)}${rest}`;
}

export class HTTPError extends Error {
  constructor(status, detail) {
    super(detail ? `${status}: ${detail}` : `HTTP ${status}`);
    this.status = status;
  }
}

async function check(res) {
  if (res.ok) return res;
  let detail = "";
  try {
    const p = await res.json();
    detail = p.detail || p.title || "";
  } catch { /* not a problem document */ }
  throw new HTTPError(res.status, detail);
}

export async function getJSON(path, signal) {
  const res = await fetch(path, { headers: { Accept: "application/json", ...authHeaders() }, signal });
  return (await check(res)).json();
}

export async function getBinary(path, signal) {
  const res = await fetch(path, { headers: authHeaders(), signal });
  return (await check(res)).arrayBuffer();
}

export async function postJSON(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...authHeaders() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await check(res);
  return res.status === 204 ? null : res.json().catch(() => null);
}

// hasRoute says whether the server's OpenAPI document lists a path, so that
// the page asks only for what this server serves (a 404 would be a console
// error in the browser).
let openapi;
export async function hasRoute(path) {
  openapi ??= getJSON("/api/v1/openapi.json").catch(() => ({ paths: {} }));
  const doc = await openapi;
  return Boolean(doc.paths && doc.paths[path]);
}
