// The JWT session: the access token lives in this module's memory only; the refresh token in
// sessionStorage (this tab, until it closes), so a reload signs in again without a password.
const API = "/api/v1";
const REFRESH_KEY = "dashboard.refresh";
const REASON_KEY = "dashboard.signout_reason";

let access = null;
let accessExpiresAt = 0; // ms since the epoch
let refreshTimer = null;
let refreshing = null; // the one refresh in flight
let ended = false; // the session ended: the page is on its way to sign-in
let signingOut = false;

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "HTTP_" + status;
    this.details = error.details || null;
  }
}

function tokenClaims(token) {
  const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), "=")));
}

async function postJson(path, body) {
  const response = await fetch(API + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function refreshMarginMs() {
  return Number(document.body.dataset.refreshMarginS || 30) * 1000;
}

function accept(pair) {
  access = pair.access;
  sessionStorage.setItem(REFRESH_KEY, pair.refresh);
  const claims = tokenClaims(access);
  accessExpiresAt = claims.exp * 1000;
  const lifetime = (claims.exp - claims.iat) * 1000;
  // Refresh ahead of expiry: the margin, but never less than half the token's life before it.
  const ahead = Math.min(refreshMarginMs(), lifetime / 2);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), Math.max(0, accessExpiresAt - ahead - Date.now()));
}

/** Exchange a username and password for a token pair (POST /auth/token). */
export async function signIn(username, password) {
  accept(await postJson("/auth/token", { username, password }));
}

/** Rotate the pair (POST /auth/token/refresh); on failure the session ends with a message. */
export function refresh() {
  if (refreshing) return refreshing;
  if (signingOut || ended) return Promise.reject(new ApiError(401, { error: { code: "SESSION_ENDED", message: "Signed out." } }));
  const token = sessionStorage.getItem(REFRESH_KEY);
  refreshing = (async () => {
    if (!token) throw endSession("Please sign in.");
    try {
      accept(await postJson("/auth/token/refresh", { refresh: token }));
      return access;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
        throw endSession("Your session expired or was revoked. Sign in again.");
      }
      throw error; // a network failure: keep the session, the next call retries
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function endSession(reason) {
  if (ended) return new ApiError(401, { error: { code: "SESSION_ENDED", message: reason } });
  ended = true;
  access = null;
  clearTimeout(refreshTimer);
  sessionStorage.removeItem(REFRESH_KEY);
  sessionStorage.setItem(REASON_KEY, reason);
  window.location.assign("/signin");
  return new ApiError(401, { error: { code: "SESSION_ENDED", message: reason } });
}

/** Blacklist the refresh token (POST /auth/logout) and go back to sign-in. */
export async function signOut() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  signingOut = true; // the server closes our socket: its reconnect must not refresh meanwhile
  try {
    if (token && access) {
      await fetch(API + "/auth/logout", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${access}` },
        body: JSON.stringify({ refresh: token }),
        credentials: "omit",
      });
    }
  } finally {
    endSession("You signed out.");
  }
}

/** The current access token, refreshed first when it is missing or about to expire. */
export async function accessToken() {
  if (!access || accessExpiresAt - Date.now() < 2000) await refresh();
  return access;
}

export function takeSignOutReason() {
  const reason = sessionStorage.getItem(REASON_KEY);
  sessionStorage.removeItem(REASON_KEY);
  return reason;
}

export function hasRefreshToken() {
  return Boolean(sessionStorage.getItem(REFRESH_KEY));
}

/** Call the API with the access token; a 401 refreshes once and retries. Throws ApiError. */
export async function api(method, path, { body, query, ifMatch } = {}) {
  const url = new URL(API + path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const send = async (token) => {
    const headers = { Accept: "application/json", Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["Idempotency-Key"] = crypto.randomUUID();
    if (ifMatch !== undefined) headers["If-Match"] = String(ifMatch);
    return fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    });
  };
  let response = await send(await accessToken());
  if (response.status === 401) response = await send(await refresh());
  // Reads past the rate limit wait as long as the server says (Retry-After), twice at most.
  for (let retry = 0; response.status === 429 && method === "GET" && retry < 2; retry += 1) {
    const seconds = Number(response.headers.get("Retry-After")) || 1;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    response = await send(await accessToken());
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok && response.status !== 207) throw new ApiError(response.status, data);
  return data;
}
