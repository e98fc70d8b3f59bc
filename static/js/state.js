// The page's state. Other modules read these live bindings (import * as state); only the
// setters below change them, and each change tells the watchers what changed, so the
// controls that wait on a turn, or follow the turns shown, update in one place.

/** The game on screen (its JSON: id, scenario, status, state…), or null on the start screen. */
export let game = null;
/** A turn (or a retold turn) is streaming. */
export let busy = false;
/** A choose / rewind / switch / paging call is under way. */
export let working = false;
/** "won" or "dead" once the adventure has ended, else null. */
export let outcome = null;
/** The shown turns of the active line, oldest first; each knows its story entry (.li). */
export let turns = [];
/** In a party game, the name of this browser's own character (null: the state's own). */
export let myCharacter = null;
/** The turn number to page back from ("Earlier turns"), or null when all are shown. */
export let nextBefore = null;

const watchers = new Set();

/** Call ``fn(what)`` after every change; ``what`` names it ("game", "busy", "turns"…). */
export function watch(fn) {
  watchers.add(fn);
}

function changed(what) {
  for (const fn of watchers) fn(what);
}

/** Retry, rewind, switch, paging and sending wait while either is under way. */
export function held() {
  return busy || working;
}

/** The newest shown turn of the active line: the only one Retry and ‹ › act on. */
export function latestTurn() {
  return turns.length ? turns[turns.length - 1] : null;
}

/** A game is on screen (null: none), drawn afresh: nothing under way, no outcome, no turns
 * yet. A stream or call of the game shown before sees that ``game`` is no longer its own. */
export function setGame(value) {
  game = value;
  myCharacter = null;
  busy = false;
  working = false;
  outcome = null;
  turns = [];
  nextBefore = null;
  changed("game");
}

/** Whose sheet the side panel shows (a seated player's own character, not the host's). */
export function setMyCharacter(name) {
  if (name === myCharacter) return;
  myCharacter = name;
  changed("me");
}

/** The game's state after a turn or a tool (the sheet follows it). */
export function setGameState(value) {
  if (game) game.state = value;
}

export function setBusy(value) {
  busy = value;
  changed("busy");
}

export function setWorking(value) {
  working = value;
  changed("working");
}

export function setOutcome(value) {
  if (outcome === value) return;
  outcome = value;
  changed("outcome");
}

/** The shown turns: all of them (``list``), with older ones paged in before, or one added. */
export function setTurns(list) {
  turns = list.slice();
  changed("turns");
}

export function prependTurns(list) {
  turns = list.concat(turns);
  changed("turns");
}

export function addTurn(turn) {
  turns = turns.concat([turn]);
  changed("turns");
}

/** Drop a shown turn (a failed one whose message is sent again). */
export function dropTurn(turn) {
  turns = turns.filter((t) => t !== turn);
  changed("turns");
}

export function setNextBefore(value) {
  nextBefore = value;
}
