// The JSON API: one call, and the error every failure becomes.

/** An error carrying the API's {code, message} (or a network failure). */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status || 0;
  }
}

/** The API error a failed response carries ({"error": {"code", "message"}}). */
export async function errorFromResponse(resp) {
  let code = `http_${resp.status}`;
  let message = `The server answered ${resp.status} ${resp.statusText || ""}`.trim();
  try {
    const data = await resp.json();
    if (data && data.error) {
      code = String(data.error.code || code);
      message = String(data.error.message || message);
    }
  } catch (_) { /* not JSON */ }
  return new ApiError(code, message, resp.status);
}

/** The path of a game's API resource: ``gamePath(id, "/branches")``. */
export function gamePath(gameId, rest = "") {
  return `/api/games/${encodeURIComponent(gameId)}${rest}`;
}

/** One JSON call; resolves to the answer (null for 204), rejects with an ApiError. */
export async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (_) {
    throw new ApiError("network_error", "Could not reach the server. Check your connection.");
  }
  if (!resp.ok) throw await errorFromResponse(resp);
  if (resp.status === 204) return null;
  return resp.json();
}
