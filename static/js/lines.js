// Lines of play: retry the latest reply (a new telling) and flip between its tellings, rewind
// to an earlier turn (the later ones stay as another line), and switch lines. Each reply of
// the shown turns carries its controls; they wait while a turn or a call is under way.

import { api, ApiError, gamePath } from "./api.js";
import { $, clear, counted, el } from "./dom.js";
import { renderGame } from "./game.js";
import * as state from "./state.js";
import { scrollStory } from "./story.js";
import {
  focusComposer, gameErrorText, hideGameError, newRun, showGameError, streamTurn, wasStopped,
} from "./turn.js";

const ui = {
  story: $("story"),
  button: $("lines-button"),
  dialog: $("lines-dialog"),
  status: $("lines-status"),
  list: $("lines-list"),
  close: $("lines-close"),
  rewindDialog: $("rewind-dialog"),
  rewindText: $("rewind-text"),
  rewindCancel: $("rewind-cancel"),
  rewindConfirm: $("rewind-confirm"),
};
let rewind = null; // {to, from}: the turn a pending rewind question is about, and its button
let focusAfterLines = null; // where focus goes when the lines dialog closes

function smallButton(className, text, label, onClick) {
  const b = el("button", `btn btn-small line-action ${className}`, text);
  b.type = "button";
  if (label) b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

/** Rebuild each reply's controls: Retry and ‹ › on the latest, rewind on the rest. */
function refreshTurnActions() {
  const latest = state.latestTurn();
  for (const turn of state.turns) {
    const li = turn.li;
    if (!li) continue;
    const old = li.querySelector(".turn-actions");
    if (old) old.remove();
    const box = turnActions(turn, turn === latest);
    if (!box) continue;
    let meta = li.querySelector(":scope > .entry-meta");
    if (!meta) {
      meta = el("div", "entry-meta");
      li.appendChild(meta);
    }
    meta.insertBefore(box, meta.firstChild);
  }
}

function turnActions(turn, isLatest) {
  const box = el("div", "turn-actions");
  if (isLatest) {
    // A failed (or still running) latest turn has no telling to retry: a failed one keeps its
    // own Retry, which sends the message again.
    if (turn.status !== "completed") return null;
    const alts = turn.alternatives;
    if (alts && alts.count > 1 && Array.isArray(alts.ids)) box.appendChild(tellingSwitch(turn));
    const retry = smallButton("retry-reply", "Retry", "Retry this reply", () => retryTurn(turn));
    retry.title = "Tell this reply again (the other tellings are kept)";
    box.appendChild(retry);
  } else {
    box.appendChild(smallButton("rewind-button", "Rewind to here",
      `Rewind to here, just after turn ${turn.number}`,
      (event) => askRewind(turn, event.currentTarget)));
  }
  return box;
}

/** ‹ 2/3 ›: flip between the tellings of the latest reply. */
function tellingSwitch(turn) {
  const { index, count, ids } = turn.alternatives;
  const group = el("div", "alt-switch");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", `Telling ${index} of ${count}`);
  const flip = (to, cls, glyph) => {
    const exists = to >= 1 && to <= count;
    const b = smallButton(`btn-icon alt-flip ${cls}`, glyph,
      exists ? `Show telling ${to} of ${count}` : null, () => chooseTelling(ids[to - 1], cls));
    b.classList.remove("btn", "btn-small");
    if (!exists) {
      b.dataset.off = "true";
      b.setAttribute("aria-label", cls === "alt-prev" ? "No earlier telling" : "No later telling");
    }
    return b;
  };
  const counter = el("span", "alt-count", `${index}/${count}`);
  counter.setAttribute("aria-hidden", "true"); // the group's label says it in words
  group.append(flip(index - 1, "alt-prev", "\u2039"), counter,
    flip(index + 1, "alt-next", "\u203A"));
  return group;
}

/** Retry, ‹ ›, rewind and switch wait while a turn runs or a call is under way. */
function syncControls() {
  const hold = state.held();
  for (const b of ui.story.querySelectorAll(".retry-button, .line-action")) {
    b.disabled = hold || b.dataset.off === "true";
  }
  ui.button.disabled = hold;
  for (const b of ui.list.querySelectorAll(".line-switch")) {
    b.disabled = hold || b.dataset.off === "true";
  }
}

/** Tell the latest turn again, streaming the new telling into the same story slot. */
async function retryTurn(turn) {
  if (state.held() || !state.game || !turn.li || !turn.li._text) return;
  const game = state.game;
  hideGameError();
  const li = turn.li;
  const before = li._text.data;
  const meta = li.querySelector(":scope > .entry-meta");
  if (meta) meta.remove();
  li._text.data = "";
  li.classList.add("streaming");
  state.setBusy(true);
  scrollStory(true);
  let failure = null;
  try {
    await streamTurn(gamePath(game.id, `/turns/${encodeURIComponent(turn.id)}/retry`), {},
      newRun(li));
  } catch (err) {
    if (wasStopped(err) || state.game !== game) return;
    failure = err instanceof ApiError ? err
      : new ApiError("network_error", "The connection to the server was lost.");
  }
  // The stored game is the authority on the tellings and the state: draw it again. A failed
  // retry leaves the earlier tellings and the state as they were.
  try {
    const fresh = await api("GET", gamePath(game.id));
    if (state.game !== game) return;
    renderGame(fresh);
  } catch (err) {
    if (state.game !== game) return;
    failure = failure || err;
    li.classList.remove("streaming");
    li._text.data = before;
    if (meta) li.appendChild(meta);
  }
  state.setBusy(false);
  if (failure) showGameError(failure);
  scrollStory(true);
  const latest = state.latestTurn();
  const again = latest && latest.li && latest.li.querySelector(".retry-reply");
  if (again) again.focus();
  else focusComposer();
}

/** Run a call that answers with the game JSON, then draw the game from it. */
async function applyGameCall(method, path, body) {
  if (state.held() || !state.game) return false;
  const game = state.game;
  hideGameError();
  state.setWorking(true);
  try {
    const fresh = await api(method, path, body);
    if (state.game !== game) return false;
    renderGame(fresh);
    return true;
  } catch (err) {
    if (state.game === game) showGameError(err);
    return false;
  } finally {
    if (state.game === game) state.setWorking(false);
  }
}

/** Make another telling of the latest turn the current one; the sheet follows it. */
async function chooseTelling(turnId, side) {
  const path = gamePath(state.game.id, `/turns/${encodeURIComponent(turnId)}/choose`);
  if (!(await applyGameCall("POST", path))) return;
  scrollStory(true);
  const latest = state.latestTurn();
  const li = latest && latest.li;
  const same = li && li.querySelector(`.${side}`);
  const other = li && li.querySelector(side === "alt-prev" ? ".alt-next" : ".alt-prev");
  if (same && !same.disabled) same.focus();
  else if (other) other.focus();
}

/** Ask before rewinding: say which turns will be set aside (nothing is deleted). */
function askRewind(turn, button) {
  if (state.held() || !state.game) return;
  const last = state.latestTurn();
  const end = last ? last.number : turn.number;
  const first = turn.number + 1;
  const aside = first >= end ? `Turn ${end} will` : `Turns ${first}\u2013${end} will`;
  ui.rewindText.textContent = `The story goes back to just after turn ${turn.number}. ` +
    `${aside} be set aside as another line of play; nothing is deleted.`;
  rewind = { to: turn.number, from: button || null };
  ui.rewindDialog.returnValue = "";
  ui.rewindDialog.showModal();
}

async function rewindClosed() {
  const asked = rewind;
  rewind = null;
  if (!asked) return;
  const from = asked.from;
  if (ui.rewindDialog.returnValue !== "rewind") {
    if (from && from.isConnected) from.focus();
    return;
  }
  const ok = await applyGameCall("POST", gamePath(state.game.id, "/rewind"), { to_turn: asked.to });
  if (ok) scrollStory(true);
  if (ok || !from || !from.isConnected) focusComposer();
  else from.focus();
}

/** The lines-of-play dialog: every line, the one being played marked, Switch on the rest. */
async function openLines() {
  if (!state.game || state.held()) return;
  clear(ui.list);
  ui.status.textContent = "Loading\u2026";
  ui.dialog.showModal();
  try {
    const lines = await api("GET", gamePath(state.game.id, "/branches"));
    const list = Array.isArray(lines) ? lines : [];
    ui.status.textContent = list.length > 1
      ? `${list.length} lines of play.`
      : "One line so far. Rewind to an earlier turn to start another.";
    // Newest first; number them in the order they were made.
    list.forEach((line, i) => ui.list.appendChild(lineItem(line, list.length - i)));
    syncControls();
  } catch (err) {
    ui.status.textContent = err.message;
  }
}

function lineItem(line, ordinal) {
  const li = el("li", "line-item");
  li.classList.toggle("active", Boolean(line.active));
  const text = el("div", "line-text");
  const head = el("p", "line-head");
  head.appendChild(el("strong", null, `Line ${ordinal}`));
  if (line.active) head.appendChild(el("span", "tag tag-active", "playing now"));
  text.appendChild(head);
  const facts = [counted(Number(line.turns) || 0, "turn", "turns")];
  if (line.reason === "rewind" && Number.isInteger(line.forked_from_turn)) {
    facts.push(`rewound to turn ${line.forked_from_turn}`);
  }
  text.appendChild(el("p", "line-facts muted", facts.join(" \u00B7 ")));
  if (line.last_message) {
    text.appendChild(el("p", "line-last", `Last: \u201C${line.last_message}\u201D`));
  }
  li.appendChild(text);
  const b = el("button", "btn btn-small line-switch", line.active ? "Playing" : "Switch");
  b.type = "button";
  // The name starts as shown.
  b.setAttribute("aria-label", line.active ? `Playing line ${ordinal}` : `Switch to line ${ordinal}`);
  if (line.active) b.dataset.off = "true";
  b.addEventListener("click", () => switchLine(line.id));
  li.appendChild(b);
  return li;
}

async function switchLine(branchId) {
  const path = gamePath(state.game.id, `/branches/${encodeURIComponent(branchId)}/activate`);
  if (await applyGameCall("POST", path)) {
    focusAfterLines = $("turn-input");
    ui.dialog.close();
    scrollStory(true);
  } else {
    ui.status.textContent = gameErrorText();
  }
}

/** Close the dialogs of lines of play (the page leaves the game). */
export function closeLineDialogs() {
  rewind = null;
  if (ui.rewindDialog.open) ui.rewindDialog.close("cancel");
  focusAfterLines = null;
  if (ui.dialog.open) ui.dialog.close();
}

export function initLines() {
  ui.button.addEventListener("click", openLines);
  ui.close.addEventListener("click", () => ui.dialog.close());
  ui.dialog.addEventListener("close", () => {
    // After a switch the composer takes focus; otherwise back to the button that opened it.
    const target = focusAfterLines || ui.button;
    focusAfterLines = null;
    if (state.game && !target.hidden) target.focus();
  });
  ui.rewindCancel.addEventListener("click", () => ui.rewindDialog.close("cancel"));
  ui.rewindConfirm.addEventListener("click", () => ui.rewindDialog.close("rewind"));
  ui.rewindDialog.addEventListener("close", rewindClosed);
  state.watch((what) => {
    if (what === "turns") refreshTurnActions();
    syncControls();
  });
}
