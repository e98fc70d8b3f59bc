// The game screen drawn from a game's JSON: the intro, "Story so far", the turns shown (older
// ones paged in on demand), the sheet, the log and the outcome. A turn still being told when
// the page opened (a reload mid-turn) is followed until it ends.

import { api, ApiError, gamePath } from "./api.js";
import { addLogEntry, clearLog } from "./dicelog.js";
import { el } from "./dom.js";
import { renderState } from "./panel.js";
import * as state from "./state.js";
import {
  addChronicle, addErrorEntry, addGmEntry, addPlayerEntry, addRoundEntry, clearStory,
  finishGmEntry, place, scrollStory, showOutcome,
} from "./story.js";
import { attachTurn, sendTurn, showGameError } from "./turn.js";

const OLDER_PAGE = 50; // turns per "Earlier turns" page
const FOLLOW_MS = 1000; // how often a turn still being told is looked at again

let onNewGame = () => {};
let olderLi = null; // the story entry holding the "Earlier turns" button

/** Draw the game (after opening it, or a choose, rewind, switch or retry). */
export function renderGame(game) {
  state.setGame(game);
  clearStory();
  clearLog();
  olderLi = null;
  if (game.scenario && game.scenario.intro) {
    const intro = addGmEntry(game.scenario.intro);
    intro.classList.add("intro");
    if (game.scenario.goal) intro.appendChild(el("p", "goal", `Goal: ${game.scenario.goal}`));
  }
  addChronicle(game.chronicle);
  const turns = Array.isArray(game.turns) ? game.turns : [];
  if (game.line && game.line.older && turns.length && turns[0].number > 1) {
    state.setNextBefore(turns[0].number);
    addOlderEntry();
  }
  for (const turn of turns) renderHistoryTurn(turn);
  if (game.state) renderState(game.state);
  if (!state.outcome && (game.status === "won" || game.status === "dead")) {
    state.setOutcome(game.status);
  }
  state.setTurns(turns);
  const last = turns[turns.length - 1];
  if (last && last.status === "running") followRunning();
}

/** One stored turn: the player's entry, then the reply (or its error); ``before`` for paging. */
function renderHistoryTurn(turn, before, logTools = true) {
  const playerLi = Array.isArray(turn.actions) && turn.actions.length
    ? addRoundEntry(turn.actions, before) : addPlayerEntry(turn.player_message || "", before);
  if (logTools) for (const call of turn.tool_calls || []) addLogEntry(call);
  let li;
  if (turn.status === "completed") {
    li = addGmEntry(turn.narration || "", before);
    finishGmEntry(li, turn.id, turn.trace, turn.feedback);
  } else if (turn.status === "failed") {
    const e = turn.error || {};
    const message = turn.player_message || "";
    li = addErrorEntry(new ApiError(e.code || "turn_failed", e.message || "The turn failed."),
      message, () => {
        li.remove();
        playerLi.remove();
        state.dropTurn(turn);
        sendTurn(message);
      }, before);
  } else {
    li = addGmEntry(turn.narration || "", before);
    li.classList.add("streaming");
    li.appendChild(el("p", "note", "The Game Master is still telling this turn\u2026"));
  }
  attachTurn(li, turn);
}

/** Look at the game again until its running turn has ended, then draw it; its narration so
 * far fills in meanwhile. Stops when another game (or none) is shown. */
async function followRunning() {
  const game = state.game;
  state.setBusy(true);
  while (state.game === game) {
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_MS));
    if (state.game !== game) return;
    let fresh;
    try {
      fresh = await api("GET", gamePath(game.id));
    } catch (_) {
      continue; // the server is away for a moment: look again
    }
    if (state.game !== game) return;
    const turns = Array.isArray(fresh.turns) ? fresh.turns : [];
    const last = turns[turns.length - 1];
    const shown = state.latestTurn();
    if (last && last.status === "running" && shown && shown.id === last.id && shown.li._text) {
      // A party's table stream may be filling it as it streams (table.js): leave it be.
      if (!shown.li._live) shown.li._text.data = last.narration || "";
      continue;
    }
    renderGame(fresh);
    scrollStory(true);
    return;
  }
}

// ------------------------------------------------------------------ earlier turns

/** The "Earlier turns" entry at the top of the story, for a line longer than one page. */
function addOlderEntry() {
  olderLi = el("li", "entry-older");
  const b = el("button", "btn btn-small older-button", "Earlier turns");
  b.type = "button";
  b.title = "Show the turns before these";
  b.addEventListener("click", loadOlder);
  olderLi.appendChild(b);
  place(olderLi);
}

/** Page in the turns before the oldest shown one (pages come newest first). */
async function loadOlder() {
  if (!state.game || state.nextBefore === null || state.held() || !olderLi) return;
  const game = state.game;
  const story = olderLi.parentNode;
  state.setWorking(true);
  try {
    const page = await api("GET", gamePath(game.id,
      `/turns?before=${encodeURIComponent(state.nextBefore)}&limit=${OLDER_PAGE}`));
    if (state.game !== game || !olderLi) return; // the game was redrawn meanwhile
    const older = (Array.isArray(page.turns) ? page.turns : []).slice().reverse();
    const height = story.scrollHeight;
    const anchor = olderLi.nextSibling;
    for (const turn of older) renderHistoryTurn(turn, anchor, false);
    state.setNextBefore(Number.isInteger(page.next_before) ? page.next_before : null);
    // Keep the reader where they were: the new turns appear above.
    if (getComputedStyle(story).overflowY !== "visible") {
      story.scrollTop += story.scrollHeight - height;
    }
    if (state.nextBefore === null) {
      olderLi.remove();
      olderLi = null;
    }
    state.prependTurns(older);
  } catch (err) {
    showGameError(err);
  } finally {
    if (state.game === game) state.setWorking(false);
  }
  const more = olderLi && olderLi.querySelector("button");
  (more || story).focus();
}

/** ``onNewGame()``: what the outcome banner's "Start a new game" does. */
export function initGame(options) {
  onNewGame = options.onNewGame;
  state.watch((what) => {
    if (what === "outcome" && state.outcome) showOutcome(state.outcome, onNewGame);
    const more = olderLi && olderLi.querySelector("button");
    if (more) more.disabled = state.held();
  });
}
