// Playing a turn: the composer, the stream of a turn's events, and what each event does.
//
// EVENT_HANDLERS is the page's one table of a turn's SSE events, keyed by their names
// (game_master/events.py is the home of the names; tests/browser/test_event_table.py holds
// this table to it). Whoever wants to follow the narration as it streams (read aloud)
// observes it through observeNarration, not by reading events itself.

import { ApiError, gamePath } from "./api.js";
import { addLogEntry } from "./dicelog.js";
import { $ } from "./dom.js";
import { applyToolResult, renderState } from "./panel.js";
import { postStream, readEvents } from "./sse.js";
import * as state from "./state.js";
import { addErrorEntry, addGmEntry, addPlayerEntry, finishGmEntry, scrollStory } from "./story.js";

const ui = {
  screen: $("game-screen"),
  form: $("turn-form"),
  input: $("turn-input"),
  send: $("send-button"),
  busy: $("busy-indicator"),
  error: $("game-error"),
  errorText: $("game-error-text"),
  errorClose: $("game-error-close"),
};
const PLACEHOLDER = ui.input.placeholder;

// ------------------------------------------------------------------ the event table

/** What each event of a turn does to the page; ``run`` is the turn being streamed:
 * {id, number, gmLi (its reply's entry), text, done, error}. */
export const EVENT_HANDLERS = {
  "turn.started"(run, data) {
    run.id = data.turn_id || null;
    const last = state.latestTurn();
    run.number = Number.isInteger(data.number) ? data.number : (last ? last.number + 1 : 1);
  },
  text(run, data) {
    const delta = typeof data.delta === "string" ? data.delta : "";
    if (!delta) return;
    if (!run.gmLi) {
      run.gmLi = addGmEntry("");
      run.gmLi.classList.add("streaming");
    }
    run.text += delta;
    run.gmLi._text.appendData(delta);
    narrate("text", delta);
    scrollStory();
  },
  tool(run, data) {
    addLogEntry(data);
    applyToolResult(data);
  },
  state(run, data) {
    renderState(data);
  },
  "turn.completed"(run, data) {
    run.done = true;
    const narration = typeof data.narration === "string" ? data.narration : "";
    if (!run.gmLi) run.gmLi = addGmEntry("");
    // The stored narration is the authority; it matches what a reload will show.
    if (narration && narration !== run.text) run.gmLi._text.data = narration;
    finishGmEntry(run.gmLi, data.turn_id || run.id, data.trace);
  },
  error(run, data) {
    const e = new ApiError(String(data.code || "turn_failed"),
      String(data.message || "The turn failed."));
    if (data.retry_after) e.message += ` (try again in ${Math.ceil(data.retry_after)} s)`;
    run.error = e;
  },
};

// ------------------------------------------------------------------ following the narration

const observers = new Set();

/** Follow the narration as it streams: ``observer.begin()`` when a turn (or a retold turn) is
 * sent, ``observer.text(delta)`` per piece, ``observer.end()`` when its stream is over. */
export function observeNarration(observer) {
  observers.add(observer);
}

/** A party's round begins (``"begin"``) or ends (``"end"``) on the table stream: its
 * narration's followers hear it as a turn's (table.js; the text comes through the table). */
export function narrateRound(method) {
  narrate(method);
}

function narrate(method, arg) {
  for (const observer of observers) {
    try {
      observer[method](arg);
    } catch (_) { /* a listener's failure never breaks the turn */ }
  }
}

// ------------------------------------------------------------------ streaming a turn

let streaming = null; // the AbortController of the stream under way

/** A fresh run: what one stream of a turn builds up (``gmLi``: an entry to stream into). */
export function newRun(gmLi = null) {
  return { id: null, number: null, gmLi, done: false, error: null, text: "" };
}

/** POST ``body`` to a turn endpoint and stream its reply into ``run``; throws an ApiError on
 * failure, or the browser's AbortError when the page left the game (stopStream). */
export async function streamTurn(path, body, run) {
  const controller = new AbortController();
  streaming = controller;
  narrate("begin");
  try {
    const resp = await postStream(path, body, controller.signal);
    await readEvents(resp.body, (name, data) => {
      const handle = EVENT_HANDLERS[name];
      if (handle && data && typeof data === "object") handle(run, data);
    });
  } finally {
    if (streaming === controller) streaming = null;
    narrate("end");
  }
  if (!run.done && !run.error) {
    throw new ApiError("stream_closed", "The connection closed before the Game Master " +
      "finished. Reload to see the stored turn, or retry.");
  }
  if (run.error) throw run.error;
}

/** Stop reading the stream under way (the page leaves the game; the server plays on). */
export function stopStream() {
  if (streaming) streaming.abort();
}

/** Was this failure the page leaving the game (nothing to show)? */
export function wasStopped(err) {
  return Boolean(err) && err.name === "AbortError";
}

// ------------------------------------------------------------------ sending a turn

/** Play one turn, streaming the reply. Never throws; failures become an inline error. */
export async function sendTurn(message) {
  if (state.held() || !state.game) return;
  const game = state.game;
  const playerLi = addPlayerEntry(message);
  // The message moves into the story (and into the Retry button if the turn fails).
  if (ui.input.value.trim() === message) ui.input.value = "";
  hideGameError();
  state.setBusy(true);
  scrollStory(true);
  const run = newRun();
  const played = { player_message: message, status: "completed", tool_calls: [] };
  try {
    await streamTurn(gamePath(game.id, "/turns"), { message }, run);
    Object.assign(played, { id: run.id, number: run.number, narration: run.gmLi._text.data });
    attachTurn(run.gmLi, played);
    state.addTurn(played);
  } catch (err) {
    if (wasStopped(err) || state.game !== game) return;
    const e = err instanceof ApiError ? err
      : new ApiError("network_error", "The connection to the server was lost.");
    if (run.gmLi && !run.text) run.gmLi.remove();
    else if (run.gmLi) run.gmLi.classList.remove("streaming");
    // The failed turn leaves the story when its message is sent again (a new turn).
    const keep = run.gmLi && run.text ? null : playerLi;
    const errLi = addErrorEntry(e, message, () => {
      errLi.remove();
      if (keep) keep.remove();
      if (errLi._turn) state.dropTurn(errLi._turn);
      sendTurn(message);
    });
    if (run.id) {
      // The server stored the failed turn: it holds a place in the line (for rewinds).
      attachTurn(errLi, Object.assign(played, { id: run.id, number: run.number, status: "failed" }));
      state.addTurn(played);
    }
    // Keep the message at hand: put it back in the input if the player has not typed anew.
    if (!ui.input.value.trim()) ui.input.value = message;
  } finally {
    if (state.game === game) {
      state.setBusy(false);
      scrollStory();
      ui.input.focus();
    }
  }
}

/** Tie a reply's entry to its turn, so the line controls know what they act on. */
export function attachTurn(li, turn) {
  turn.li = li;
  li._turn = turn;
  li.dataset.turnId = turn.id;
  li.dataset.turn = String(turn.number);
}

// At a party's table the composer is the player's action box: what it sends is an action
// for the round (party.js), not a turn played at once.
let sendAction = null;

/** Make the composer send ``send(message)`` (a party's action), or turns again (null). */
export function useComposerFor(send) {
  sendAction = send;
}

function submitTurn(event) {
  if (event) event.preventDefault();
  if (state.held() || state.outcome) return;
  const message = ui.input.value.trim();
  if (!message) {
    ui.input.focus();
    return;
  }
  if (sendAction) sendAction(message);
  else sendTurn(message);
}

// ------------------------------------------------------------------ the composer and errors

/** An error of a call on the game (not of a turn) above the composer. */
export function showGameError(err) {
  ui.errorText.textContent = (err && err.message) || "Something went wrong.";
  ui.error.hidden = false;
  if (typeof ui.error.scrollIntoView === "function") ui.error.scrollIntoView({ block: "nearest" });
}

export function hideGameError() {
  ui.error.hidden = true;
  ui.errorText.textContent = "";
}

/** The text of the error shown (for a dialog that reports it too). */
export function gameErrorText() {
  return ui.errorText.textContent;
}

/** Put focus in the composer. */
export function focusComposer() {
  ui.input.focus();
}

/** The composer, the busy line and the ended-game placeholder follow the state. */
function syncComposer() {
  const ended = Boolean(state.outcome);
  ui.busy.hidden = !state.busy;
  ui.send.disabled = state.held() || ended;
  ui.input.disabled = state.busy || ended;
  ui.input.placeholder = ended
    ? "The adventure is over. Start a new game to play again." : PLACEHOLDER;
  ui.screen.classList.toggle("is-busy", state.busy);
  ui.screen.classList.toggle("is-working", state.working);
}

export function initTurns() {
  ui.form.addEventListener("submit", submitTurn);
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitTurn();
    }
  });
  ui.errorClose.addEventListener("click", () => {
    hideGameError();
    ui.input.focus();
  });
  state.watch(syncComposer);
}
