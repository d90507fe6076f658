// The gateway's public API, as the page uses it: every call answers JSON or throws ApiError.

export class ApiError extends Error {
  /** status 0: the gateway could not be reached at all. body: the project's error shape. */
  constructor(status, body) {
    super(body?.detail || `The server answered with status ${status}.`);
    this.name = "ApiError";
    this.status = status;
    this.body = body || {};
  }
}

async function request(path, options = {}) {
  let response;
  try {
    // Relative to the page, so the page works behind a path prefix too.
    response = await fetch(path, { headers: { Accept: "application/json" }, ...options });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { detail: "The service cannot be reached. Check the connection and try again." });
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export function search(text, { limit = 8, signal } = {}) {
  return request(`search?${new URLSearchParams({ q: text, limit })}`, { signal });
}

export function titlePage(id, platforms, { maxAge = null, signal } = {}) {
  const query = new URLSearchParams(platforms.map((platform) => ["platform", platform]));
  if (maxAge) query.append("max_age", maxAge);
  const search = query.toString();
  return request(`titles/${encodeURIComponent(id)}${search ? `?${search}` : ""}`, { signal });
}

export function recommendationsFor(liked, platforms, { n = 10, maxAge = null, signal } = {}) {
  const body = { liked, n };
  if (platforms.length) body.platform = platforms;
  if (maxAge) body.max_age = maxAge;
  return request("recommendations", {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}
