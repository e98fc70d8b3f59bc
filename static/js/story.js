// The story: the player's entries, the game master's replies (streamed into one text node),
// failed turns with their Retry, the rating pair and trace link under each reply, the folded
// "Story so far", and the outcome banner.

import { api, gamePath } from "./api.js";
import { $, clear, el, stored } from "./dom.js";
import * as state from "./state.js";

const FEEDBACK_KEY = "gm.feedback";
const story = $("story");
const banner = $("outcome-banner");

/** Is the end of the story in view (so following new text will not yank the reader)? */
function atEnd() {
  if (story.scrollHeight > story.clientHeight + 1 && getComputedStyle(story).overflowY !== "visible") {
    return story.scrollHeight - story.scrollTop - story.clientHeight < 120;
  }
  const last = story.lastElementChild;
  return !last || last.getBoundingClientRect().bottom <= window.innerHeight + 160;
}

/** Keep the newest entry in view; ``force`` even when the reader has scrolled away. */
export function scrollStory(force) {
  if (!force && !atEnd()) return;
  if (getComputedStyle(story).overflowY !== "visible") story.scrollTop = story.scrollHeight;
  const last = story.lastElementChild;
  if (last && typeof last.scrollIntoView === "function") last.scrollIntoView({ block: "nearest" });
}

/** Empty the story (a game drawn afresh). */
export function clearStory() {
  clear(story);
  banner.hidden = true;
}

/** Add ``li`` before ``before`` (older turns paging in) or at the end. */
export function place(li, before) {
  story.insertBefore(li, before || null);
  return li;
}

/** The player's entry. */
export function addPlayerEntry(message, before) {
  const li = el("li", "entry entry-player");
  li.appendChild(el("p", "speaker", "You"));
  li.appendChild(el("p", "entry-text", message));
  return place(li, before);
}

/** A party's round: each seat's action in seat order (a pass says so), as one entry. */
export function addRoundEntry(actions, before) {
  const li = el("li", "entry entry-player entry-round");
  li.appendChild(el("p", "speaker", "The table"));
  const list = el("ul", "round-actions");
  for (const action of actions) {
    const item = el("li", "round-action");
    item.appendChild(el("strong", "round-actor", `${action.character_name || "Someone"}: `));
    const said = typeof action.message === "string" ? action.message : null;
    item.appendChild(el("span", said === null ? "round-pass muted" : "round-said",
      said === null ? "passes" : said));
    list.appendChild(item);
  }
  li.appendChild(list);
  return place(li, before);
}

/** A game master entry; its text lives in one text node (li._text) that a stream appends to. */
export function addGmEntry(text, before) {
  const li = el("li", "entry entry-gm");
  li.appendChild(el("p", "speaker", "Game Master"));
  const p = el("p", "entry-text");
  const node = document.createTextNode(text || "");
  p.appendChild(node);
  li.appendChild(p);
  li._text = node;
  return place(li, before);
}

/** The rating pair, trace link and other notes under a finished reply. */
export function finishGmEntry(li, turnId, trace, rated) {
  li.classList.remove("streaming");
  const meta = el("div", "entry-meta");
  if (turnId) meta.appendChild(feedbackControls(turnId, rated));
  const url = trace && typeof trace.url === "string" ? trace.url : "";
  if (/^https?:\/\//i.test(url)) {
    const a = el("a", "trace-link", "view trace");
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    meta.appendChild(a);
  }
  if (meta.childNodes.length) li.appendChild(meta);
}

/** An inline error with a Retry button: ``onRetry()`` sends the message again. */
export function addErrorEntry(err, message, onRetry, before) {
  const li = el("li", "entry entry-error");
  li.setAttribute("role", "alert");
  li.appendChild(el("p", "speaker", "Something went wrong"));
  li.appendChild(el("p", "entry-text", err.message || "The turn failed."));
  if (err.code) li.appendChild(el("p", "error-code", err.code));
  const retry = el("button", "btn btn-small retry-button", "Retry");
  retry.type = "button";
  retry.title = `Send \u201C${message}\u201D again`;
  retry.addEventListener("click", () => {
    if (!state.held()) onRetry();
  });
  li.appendChild(retry);
  return place(li, before);
}

/** "Story so far": one summary per closed chapter, folded (model text: textContent only). */
export function addChronicle(chronicle) {
  if (!Array.isArray(chronicle) || !chronicle.length) return;
  const li = el("li", "chronicle");
  const details = document.createElement("details");
  const n = chronicle.length;
  details.appendChild(el("summary", "chronicle-title",
    `Story so far (${n} chapter${n === 1 ? "" : "s"})`));
  const list = el("ol", "chronicle-list");
  for (const chapter of chronicle) {
    const item = el("li", "chronicle-chapter");
    item.appendChild(el("strong", "chronicle-head",
      `Chapter ${chapter.number} (turns ${chapter.first_turn}\u2013${chapter.last_turn}): `));
    item.appendChild(el("span", "chronicle-summary", String(chapter.summary || "")));
    list.appendChild(item);
  }
  details.appendChild(list);
  li.appendChild(details);
  story.appendChild(li);
}

/** The banner of an ended adventure; ``onNewGame`` starts another. */
export function showOutcome(outcome, onNewGame) {
  clear(banner);
  banner.classList.toggle("won", outcome === "won");
  banner.classList.toggle("dead", outcome === "dead");
  const won = outcome === "won";
  banner.appendChild(el("strong", "outcome-title", won ? "Victory!" : "You have fallen."));
  banner.appendChild(el("span", "outcome-text", won
    ? "The adventure is won. The tale stays here for you to read."
    : "Your adventure ends here. The tale stays here for you to read."));
  const again = el("button", "btn btn-small", "Start a new game");
  again.type = "button";
  again.addEventListener("click", onNewGame);
  banner.appendChild(again);
  banner.hidden = false;
}

// ------------------------------------------------------------------ rating a reply

const SVG_NS = "http://www.w3.org/2000/svg";
const THUMB_PATH = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79" +
  "-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22" +
  "l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

/** A thumbs-up icon built as SVG nodes (the thumbs-down button rotates it in CSS). */
function thumbIcon() {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", THUMB_PATH);
  svg.appendChild(path);
  return svg;
}

/** This browser's memory of its ratings (the server's stored rating wins). */
function rememberFeedback(turnId, score) {
  const map = stored.get(FEEDBACK_KEY, {}) || {};
  map[turnId] = score;
  const keys = Object.keys(map);
  for (const k of keys.slice(0, Math.max(0, keys.length - 300))) delete map[k];
  stored.set(FEEDBACK_KEY, map);
}

function thumb(className, label, score) {
  const b = el("button", `btn-icon ${className}`);
  b.appendChild(thumbIcon());
  b.type = "button";
  b.setAttribute("aria-label", label);
  b.setAttribute("aria-pressed", "false");
  b.title = label;
  b.dataset.score = String(score);
  return b;
}

function feedbackControls(turnId, rated) {
  const box = el("div", "feedback");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "Rate this reply");
  const up = thumb("feedback-up", "Good reply", 1);
  const down = thumb("feedback-down", "Bad reply", 0);
  const status = el("span", "feedback-status");
  status.setAttribute("role", "status");
  box.append(up, down, status);

  const mark = (score) => {
    for (const b of [up, down]) {
      const chosen = b.dataset.score === String(score);
      b.disabled = true;
      b.classList.toggle("chosen", chosen);
      b.setAttribute("aria-pressed", chosen ? "true" : "false");
    }
    box.classList.add("recorded");
    status.textContent = "Feedback recorded";
  };
  const known = typeof rated === "number" ? rated : (stored.get(FEEDBACK_KEY, {}) || {})[turnId];
  if (known === 0 || known === 1) mark(known);

  const send = async (score) => {
    up.disabled = true;
    down.disabled = true;
    status.textContent = "Sending…";
    try {
      await api("POST", gamePath(state.game.id, `/turns/${encodeURIComponent(turnId)}/feedback`),
        { score });
      rememberFeedback(turnId, score);
      mark(score);
    } catch (err) {
      up.disabled = false;
      down.disabled = false;
      status.textContent = `Could not send feedback: ${err.message}`;
    }
  };
  up.addEventListener("click", () => send(1));
  down.addEventListener("click", () => send(0));
  return box;
}
