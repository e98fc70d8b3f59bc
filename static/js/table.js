// The table stream of the game on screen (GET /api/games/<id>/events), followed with an
// EventSource: it reconnects by itself after a drop, sending Last-Event-ID, so the server
// replays what was missed. The round's narration streams into the story for every seat.
//
// TABLE_HANDLERS is the page's one table of the table stream's events, keyed by their names
// (game_master/events.py is their home; tests/browser/test_event_table.py holds this table to
// TABLE_EVENT_NAMES there). The turn events of a resolving round go through turn.js's table.

import { api, ApiError, gamePath } from "./api.js";
import { renderGame } from "./game.js";
import {
  applyParty, clearToldAction, currentTable, isParty, refreshParty, render, resolveNow,
  restoreSentAction, roundFrom, setTable, stopTyping, tick,
} from "./party.js";
import * as state from "./state.js";
import { addErrorEntry, addGmEntry, scrollStory } from "./story.js";
import { EVENT_HANDLERS, focusComposer, narrateRound, newRun } from "./turn.js";

const RETRY_MS = 3000; // the stream closed for good (not a drop): open it again after this


/** What each event of the table stream does to the page (``t``: the table, ``data``: the
 * event's JSON). The turn events of a resolving round stream into the story. */
export const TABLE_HANDLERS = {
  "round.opened"(t, data) {
    const round = roundFrom(data);
    if (!round) return;
    if (t.round && t.round.number === round.number) t.round.deadline = round.deadline;
    else t.round = round;
  },
  "action.submitted"(t, data) {
    if (!t.round || (Number.isInteger(data.round) && data.round !== t.round.number)) {
      t.round = roundFrom({ number: data.round, acted: [] }) || t.round;
    }
    if (t.round) t.round.acted.add(data.player_id);
    const seat = t.seats.find((s) => s.player_id === data.player_id);
    if (seat) seat.typing = false;
  },
  presence(t, data) {
    const seat = t.seats.find((s) => s.player_id === data.player_id);
    if (data.joined || data.left || !seat) {
      refreshParty(t); // a seat came or went: the server's list is the truth
      refreshSheets(t); // and a new seat brings a character sheet
      return;
    }
    if (typeof data.online === "boolean") seat.online = data.online;
  },
  typing(t, data) {
    const seat = t.seats.find((s) => s.player_id === data.player_id);
    if (seat) seat.typing = Boolean(data.typing);
  },
  "line.changed"(t) {
    // The host retold, rewound or switched the line: the other seats read the game again
    // (the host's own page made the change and drew it; a redraw would cut its stream).
    if (t.me.role !== "host") redraw(t);
  },
  "turn.started"(t, data) {
    if (!isParty(t)) return;
    t.run = newRun();
    EVENT_HANDLERS["turn.started"](t.run, data);
    if (t.round) t.round.resolving = true;
    // A reload mid-round drew the running turn already: the replayed stream refills it.
    const shown = state.latestTurn();
    let entry = shown && shown.id === data.turn_id && shown.status === "running" ? shown.li : null;
    if (entry && entry._text) {
      entry._text.data = "";
      entry._live = true; // game.js stops refilling it from the stored turn
    } else {
      entry = addGmEntry("");
      entry.classList.add("streaming");
    }
    t.run.gmLi = entry;
    narrateRound("begin");
    state.setBusy(true);
    scrollStory(true);
  },
  text(t, data) {
    if (t.run) EVENT_HANDLERS.text(t.run, data);
  },
  tool(t, data) {
    if (t.run) EVENT_HANDLERS.tool(t.run, data);
  },
  state(t, data) {
    if (t.run) EVENT_HANDLERS.state(t.run, data);
  },
  "turn.completed"(t, data) {
    if (!isParty(t)) return;
    if (t.run) {
      EVENT_HANDLERS["turn.completed"](t.run, data);
      narrateRound("end");
    }
    clearToldAction(t);
    t.run = null;
    t.round = null;
    redraw(t); // the round's actions, now revealed, and the turn's controls
  },
  error(t, data) {
    if (!isParty(t)) return;
    const run = t.run;
    t.run = null;
    t.round = null;
    if (run) narrateRound("end");
    if (run && run.gmLi && !run.text) run.gmLi.remove();
    const e = new ApiError(String(data.code || "turn_failed"),
      String(data.message || "The round could not be told."));
    redraw(t).then(() => {
      if (currentTable() === t) addErrorEntry(e, "", () => resolveAgain(t));
    });
  },
};

async function resolveAgain(t) {
  await refreshParty(t);
  if (t.round && t.me.role === "host") resolveNow();
}

/** Read the party's sheets again (a seat joined): only ``game.party``, the story stays. */
async function refreshSheets(t) {
  try {
    const fresh = await api("GET", gamePath(t.game.id));
    if (currentTable() !== t) return;
    t.game.party = fresh.party;
    render();
  } catch (_) { /* the next round's redraw reads them */ }
}

/** Read the game again and draw it (after a round, or a change of line); the table stays. */
async function redraw(t) {
  try {
    const fresh = await api("GET", gamePath(t.game.id));
    if (currentTable() !== t) return;
    renderGame(fresh);
    t.game = fresh;
    scrollStory(true);
  } catch (_) { /* the stream's next event, or a reload, draws it */ }
  await refreshParty(t);
}

function follow(t) {
  const source = new EventSource(gamePath(t.game.id, "/events"));
  t.source = source;
  const names = Object.keys(TABLE_HANDLERS);
  for (const name of names) {
    source.addEventListener(name, (event) => {
      // EventSource also fires "error" when the connection drops: that one has no data.
      if (currentTable() !== t || typeof event.data !== "string") return;
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (_) {
        return; // a malformed frame is skipped rather than breaking the table
      }
      if (!data || typeof data !== "object") return;
      TABLE_HANDLERS[name](t, data);
      if (name !== "text") render();
    });
  }
  source.addEventListener("error", () => {
    // A drop: EventSource reconnects by itself, sending Last-Event-ID. Closed for good (the
    // server refused): open a fresh stream later and catch up from the game and party.
    if (currentTable() !== t || source.readyState !== EventSource.CLOSED) return;
    t.retry = setTimeout(() => {
      if (currentTable() !== t) return;
      redraw(t);
      follow(t);
    }, RETRY_MS);
  });
}

// ------------------------------------------------------------------ entering and leaving

/** Sit at the table of the game just shown: read the party, follow the table stream. */
export async function enterTable(game) {
  leaveTable();
  const t = { game, me: { player_id: null, role: "host" }, seats: [], round: null, run: null,
    source: null, typingSent: 0, typingIdle: null, retry: null, clock: null };
  setTable(t);
  let party;
  try {
    party = await api("GET", gamePath(game.id, "/party"));
  } catch (_) {
    return; // no table to sit at (the game is gone, or the server is away): play as before
  }
  if (currentTable() !== t) return;
  applyParty(t, party);
  render();
  restoreSentAction(t);
  if (isParty(t) && t.me.role !== "spectator") focusComposer();
  follow(t);
  t.clock = setInterval(tick, 1000);
}

/** Stop following the table (the page leaves the game). */
export function leaveTable() {
  const t = currentTable();
  setTable(null);
  if (!t) return;
  if (t.source) t.source.close();
  clearInterval(t.clock);
  clearTimeout(t.retry);
  stopTyping(t);
}
