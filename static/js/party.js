// A party's table as this seat sees it: the seats (who is here, who is typing, who has
// acted), the round's state ("Waiting for Mara and Odo — 0:42"), the player's action box (the
// composer, sending actions for the round), the host's "Resolve now", and a spectator's view
// that cannot act. table.js follows the table stream and keeps this up to date.

import { api, gamePath } from "./api.js";
import { $, clear, el, stored } from "./dom.js";
import { joinedSeat, showInviteButton } from "./invite.js";
import { renderState } from "./panel.js";
import * as state from "./state.js";
import { hideGameError, showGameError, useComposerFor } from "./turn.js";

const ACTIONS_KEY = "gm.actions"; // {gameId: {round, message}}: the action this browser sent
const TYPING_EVERY_MS = 3000; // at most one "typing" signal per this long
const TYPING_IDLE_MS = 4000; // no key for this long: stopped typing
const ui = {
  panel: $("table-panel"),
  status: $("round-status"),
  clock: $("round-clock"),
  resolve: $("resolve-button"),
  seats: $("seats"),
  sent: $("action-sent"),
  spectator: $("spectator-note"),
  form: $("turn-form"),
  input: $("turn-input"),
  send: $("send-button"),
  hint: $("composer-hint"),
};
const SEND_LABEL = ui.send.textContent;

/** The table of the game on screen, or null: {game, me, seats, round, source, run…}. */
let table = null;

/** The table of the game on screen (null: none). */
export function currentTable() {
  return table;
}

/** Sit at ``t`` (a fresh table of the game shown), or at none (null); the composer sends
 * turns again until the party is read. */
export function setTable(t) {
  table = t;
  if (t) return;
  useComposerFor(null);
  document.body.dataset.seat = "";
  ui.panel.hidden = true;
  ui.form.hidden = false;
  ui.hint.hidden = false;
  ui.send.textContent = SEND_LABEL;
}

// ------------------------------------------------------------------ who sits here

/** Which seat this browser holds: the server's ``you`` when it says, else the seat taken by
 * joining here, else the host's (the browser that made the game). */
function mySeat(party, game) {
  const you = party.you || null;
  if (you && (you.player_id || you.id)) {
    return { player_id: you.player_id || you.id, role: you.role || "player" };
  }
  const joined = joinedSeat(game.id);
  if (joined) return { player_id: joined.player_id, role: joined.role };
  const host = party.host;
  const hostId = host && typeof host === "object" ? host.player_id || host.id : host;
  return { player_id: hostId || null, role: "host" };
}

export const acts = (seat) => seat.role !== "spectator";

/** A party: more than one seat acts, or this browser is not the host. */
export function isParty(t) {
  return t.seats.filter(acts).length > 1 || t.me.role !== "host";
}

function seatName(t, playerId) {
  if (t.me && playerId === t.me.player_id) return "you";
  const seat = t.seats.find((s) => s.player_id === playerId);
  return (seat && (seat.character_name || seat.name)) || "someone";
}

/** "Mara", "Mara and Odo", "Mara, Odo and you". */
function names(list) {
  if (list.length <= 1) return list.join("");
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

/** A round as the page keeps it, from /party's ``round`` or round.opened's data. */
export function roundFrom(data) {
  if (!data || typeof data !== "object") return null;
  const number = Number.isInteger(data.number) ? data.number : data.round;
  if (!Number.isInteger(number)) return null;
  return {
    number,
    deadline: deadlineMs(data.deadline),
    acted: new Set(Array.isArray(data.acted) ? data.acted : []),
    resolving: data.status === "resolving" || data.resolving === true,
  };
}

/** ``deadline`` (epoch seconds, epoch ms or an ISO date) in epoch ms; null when absent. */
function deadlineMs(value) {
  if (typeof value === "number") return value < 1e12 ? value * 1000 : value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

// ------------------------------------------------------------------ drawing the table

function renderSeats(t) {
  clear(ui.seats);
  for (const seat of t.seats) {
    const li = el("li", `seat seat-${seat.role}`);
    const mine = t.me && seat.player_id === t.me.player_id;
    // This seat is here by definition (its own presence may not have come back yet).
    li.classList.toggle("online", Boolean(seat.online || mine));
    li.dataset.playerId = seat.player_id;
    const dot = el("span", "seat-dot");
    dot.setAttribute("aria-hidden", "true");
    const name = el("span", "seat-name", seat.character_name || seat.name || "Someone");
    li.append(dot, name);
    const sheet = sheetOf(t, seat.player_id);
    if (sheet) {
      // The party's sheets: each character's class, level and hit points as they are now.
      const hp = `HP ${sheet.hp}/${sheet.max_hp}`;
      li.append(" ", el("span", "seat-sheet", `${sheet.class} ${sheet.level} \u00b7 ${hp}`));
    }
    const tags = [mine ? "you" : "", seat.role !== "player" ? seat.role : ""].filter(Boolean);
    // Spaces between the parts, so the seat reads "Odo (you) acted", not "Odoacted".
    if (tags.length) li.append(" ", el("span", "seat-tag", tags.join(", ")));
    let what = seat.online || mine ? "here" : "away";
    if (t.round && t.round.acted.has(seat.player_id)) what = "acted";
    if (seat.typing && !mine && acts(seat)) what = "typing\u2026";
    li.append(" ", el("span", "seat-state", what));
    ui.seats.appendChild(li);
  }
}

/** A seat's character sheet from the game's party (null for a spectator or an old game). */
function sheetOf(t, playerId) {
  const party = t.game && Array.isArray(t.game.party) ? t.game.party : [];
  const entry = party.find((p) => p && p.player_id === playerId);
  const c = entry && entry.character;
  return c && Number.isInteger(c.hp) && Number.isInteger(c.max_hp) ? c : null;
}

/** Who the open round still waits for (acting seats that have not acted). */
function awaited(t) {
  if (!t.round) return [];
  return t.seats.filter((s) => acts(s) && !t.round.acted.has(s.player_id));
}

function renderRound(t) {
  const r = t.round;
  let text;
  if (state.busy) text = r ? `Round ${r.number}: the Game Master tells what happens\u2026`
    : "The Game Master tells what happens\u2026";
  else if (!r) text = t.me.role === "spectator" ? "The table is between rounds."
    : "A new round opens with the first action.";
  else {
    const waiting = awaited(t).map((s) => seatName(t, s.player_id));
    text = waiting.length ? `Round ${r.number}: waiting for ${names(waiting)}`
      : `Round ${r.number}: everyone has acted`;
  }
  if (ui.status.textContent !== text) ui.status.textContent = text;
  tick();
  ui.resolve.hidden = !(t.me.role === "host" && r && !state.busy);
}

/** The countdown to the round's deadline ("— 0:42"), once a second while a round is open. */
export function tick() {
  const t = table;
  const deadline = t && t.round && !state.busy ? t.round.deadline : null;
  if (deadline === null) {
    ui.clock.textContent = "";
    return;
  }
  const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
  const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  ui.clock.textContent = ` \u2014 ${clock}`;
}

/** The action box: the composer sends actions; it shows what this seat sent this round. */
function renderActionBox(t) {
  const spectator = t.me.role === "spectator";
  ui.form.hidden = spectator;
  ui.hint.hidden = spectator;
  ui.spectator.hidden = !spectator;
  if (spectator) return;
  const sent = sentAction(t);
  ui.sent.hidden = !sent;
  ui.sent.textContent = sent
    ? `Your action for round ${sent.round}: \u201C${sent.message}\u201D \u2014 you can change ` +
      "it until the round resolves." : "";
  ui.send.textContent = sent ? "Change action" : "Send action";
}

export function render() {
  const t = table;
  if (!t) return;
  const party = isParty(t);
  ui.panel.hidden = !party;
  // Retry, rewind and lines of play are the host's (the page's CSS hides them from others).
  document.body.dataset.seat = party ? t.me.role : "";
  showInviteButton(t.me.role === "host");
  useComposerFor(party && t.me.role !== "spectator" ? (message) => sendAction(t, message) : null);
  if (!party) {
    ui.form.hidden = false;
    ui.send.textContent = SEND_LABEL;
    return;
  }
  renderSeats(t);
  renderRound(t);
  renderActionBox(t);
}

// ------------------------------------------------------------------ this seat's action

export function sentAction(t) {
  const all = stored.get(ACTIONS_KEY, {}) || {};
  const sent = all[t.game.id];
  if (!sent || !t.round || sent.round !== t.round.number) return null;
  if (!t.round.acted.has(t.me.player_id)) return null;
  return sent;
}

/** Put this seat's sent action back in the empty action box (after a reload), to edit. */
export function restoreSentAction(t) {
  const sent = sentAction(t);
  if (sent && !ui.input.value.trim()) ui.input.value = sent.message;
}

/** Empty the action box of the action just told (the player's new words stay). */
export function clearToldAction(t) {
  const sent = sentAction(t);
  if (sent && ui.input.value.trim() === sent.message) ui.input.value = "";
}

function keepAction(t, round, message) {
  const all = stored.get(ACTIONS_KEY, {}) || {};
  all[t.game.id] = { round, message };
  stored.set(ACTIONS_KEY, all);
}

async function sendAction(t, message) {
  if (table !== t || state.busy) return;
  hideGameError();
  ui.send.disabled = true;
  stopTyping(t);
  try {
    const answer = await api("POST", gamePath(t.game.id, "/actions"), { message });
    if (table !== t) return;
    const number = Number.isInteger(answer.round) ? answer.round
      : (answer.round && answer.round.number);
    if (!t.round || t.round.number !== number) t.round = roundFrom({ number, acted: [] });
    t.round.acted.add(t.me.player_id);
    if (Array.isArray(answer.waiting_for)) {
      for (const seat of t.seats) {
        if (acts(seat) && !answer.waiting_for.includes(seat.player_id)) {
          t.round.acted.add(seat.player_id);
        }
      }
    }
    keepAction(t, number, message);
    render();
  } catch (err) {
    if (table === t) showGameError(err);
  } finally {
    if (table === t) ui.send.disabled = state.held() || Boolean(state.outcome);
  }
}

export async function resolveNow() {
  const t = table;
  if (!t || !t.round || state.busy) return;
  ui.resolve.disabled = true;
  try {
    await api("POST", gamePath(t.game.id, `/rounds/${t.round.number}/resolve`));
  } catch (err) {
    // 409: the round already resolves (everyone acted meanwhile): the stream tells the rest.
    if (table === t && err.status !== 409) showGameError(err);
  } finally {
    ui.resolve.disabled = false;
  }
}

// ------------------------------------------------------------------ typing

function typed(t) {
  if (table !== t || !isParty(t) || t.me.role === "spectator") return;
  const now = Date.now();
  clearTimeout(t.typingIdle);
  t.typingIdle = setTimeout(() => stopTyping(t), TYPING_IDLE_MS);
  if (t.typingSent && now - t.typingSent < TYPING_EVERY_MS) return;
  t.typingSent = now;
  signalTyping(t, true);
}

export function stopTyping(t) {
  clearTimeout(t.typingIdle);
  if (!t.typingSent) return;
  t.typingSent = 0;
  signalTyping(t, false);
}

function signalTyping(t, typing) {
  // A hint for the others: its failure is never the player's problem.
  api("POST", gamePath(t.game.id, "/typing"), { typing }).catch(() => {});
}

/** Read the party again (seats, round). */
export async function refreshParty(t) {
  try {
    const party = await api("GET", gamePath(t.game.id, "/party"));
    if (table !== t) return;
    applyParty(t, party);
  } catch (_) { /* keep what is shown; the next event tries again */ }
  if (table === t) render();
}

export function applyParty(t, party) {
  t.me = mySeat(party, t.game);
  t.seats = Array.isArray(party.seats) ? party.seats : [];
  t.round = roundFrom(party.round);
  // A seated player's side panel shows their own character, not the host's.
  const own = t.me.role === "player" ? sheetOf(t, t.me.player_id) : null;
  const name = own ? own.name : null;
  if (name !== state.myCharacter) {
    state.setMyCharacter(name);
    if (state.game && state.game.state) renderState(state.game.state);
  }
}

export function initParty() {
  ui.resolve.addEventListener("click", resolveNow);
  ui.input.addEventListener("input", () => {
    if (table) typed(table);
  });
  state.watch((what) => {
    if (table && (what === "busy" || what === "game")) render();
  });
}
