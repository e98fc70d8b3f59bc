// Server-sent events over a POST (EventSource can only GET): open the stream, read frames.

import { ApiError, errorFromResponse } from "./api.js";

/** POST ``body`` as JSON asking for an event stream; the response, or an ApiError. An abort
 * through ``signal`` rejects with the browser's AbortError, untouched. */
export async function postStream(path, body, signal) {
  let resp;
  try {
    resp = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (signal && signal.aborted) throw err;
    throw new ApiError("network_error", "Could not reach the server. Check your connection.");
  }
  if (!resp.ok) throw await errorFromResponse(resp);
  const type = resp.headers.get("Content-Type") || "";
  if (!type.startsWith("text/event-stream") || !resp.body) {
    throw new ApiError("bad_response", "The server did not answer with an event stream.");
  }
  return resp;
}

/** Parse one frame's lines into onEvent(name, data); comments and bad JSON are skipped. */
function dispatch(frame, onEvent) {
  let name = "message";
  const data = [];
  for (const line of frame.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return;
  let parsed;
  try {
    parsed = JSON.parse(data.join("\n"));
  } catch (_) {
    return; // a malformed frame is skipped rather than breaking the turn
  }
  onEvent(name, parsed);
}

/** Read an SSE body to its end, calling onEvent(name, data) for each frame. */
export async function readEvents(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) !== -1) {
      dispatch(buffer.slice(0, cut), onEvent);
      buffer = buffer.slice(cut + 2);
    }
  }
  buffer += decoder.decode();
  if (buffer.trim()) dispatch(buffer, onEvent);
}
