// Which screen shows, and the address that says so: "/" is the start screen, "/games/<id>" a
// game. Opening a game or going back to the start adds a history entry, so Back and Forward
// go between them, and a reload opens the same screen (the server serves the page at both).

import { api, gamePath } from "./api.js";
import { $ } from "./dom.js";
import { focusCreation, resetCreation } from "./creation.js";
import { renderGame } from "./game.js";
import { closeLineDialogs } from "./lines.js";
import { showPanel } from "./panel.js";
import { gameUrl, loadSavedGames, showSavedError } from "./saved.js";
import * as state from "./state.js";
import { scrollStory } from "./story.js";
import { focusComposer, hideGameError, stopStream } from "./turn.js";

const GAME_PATH = /^\/games\/([0-9a-f]{32})\/?$/;
const TITLE = "Game Master";
const ui = {
  body: document.body,
  start: $("start-screen"),
  game: $("game-screen"),
  title: $("scenario-title"),
  newGame: $("new-game-button"),
  lines: $("lines-button"),
  invite: $("invite-button"),
};
const leaving = []; // what to stop when the page leaves a game
const entering = []; // what to start when the page shows a game
let navigation = 0; // counts changes of screen; an answer for an older one is dropped

/** Call ``fn()`` whenever the page leaves a game (another screen, or another game). */
export function onLeaveGame(fn) {
  leaving.push(fn);
}

/** Call ``fn(game)`` whenever the page shows a game (opened, not redrawn). */
export function onEnterGame(fn) {
  entering.push(fn);
}

function leaveGame() {
  if (!state.game) return;
  stopStream();
  closeLineDialogs();
  showPanel(false, false);
  for (const fn of leaving) fn();
  state.setGame(null);
}

function setScreen(name) {
  ui.body.dataset.screen = name;
  ui.start.hidden = name !== "start";
  ui.game.hidden = name !== "game";
  ui.newGame.hidden = name !== "game";
  ui.lines.hidden = name !== "game";
  ui.invite.hidden = true; // the host's, once the party is read (party.js)
}

/** The start screen: a fresh new-game form and this browser's games. */
export function showStart({ push = false, focusForm = false } = {}) {
  navigation += 1;
  leaveGame();
  if (push && location.pathname !== "/") history.pushState(null, "", "/");
  setScreen("start");
  ui.title.hidden = true;
  document.title = TITLE;
  resetCreation();
  loadSavedGames();
  if (focusForm) focusCreation();
}

/** A game's screen, drawn from its JSON; ``push`` adds its address to the history. */
export function showGame(game, { push = false } = {}) {
  navigation += 1;
  leaveGame();
  const url = gameUrl(game.id);
  if (push && location.pathname !== url) history.pushState(null, "", url);
  setScreen("game");
  const scenario = (game.scenario && game.scenario.title) || "";
  ui.title.textContent = scenario;
  ui.title.hidden = !scenario;
  const name = game.character && game.character.name;
  document.title = name && scenario ? `${name} in ${scenario} \u00B7 ${TITLE}` : TITLE;
  hideGameError();
  renderGame(game);
  scrollStory(true);
  focusComposer();
  for (const fn of entering) fn(game);
}

/** Open a game by its id (a saved game, or the address); the start screen says why not. */
export async function openGame(gameId, { push = false } = {}) {
  const asked = ++navigation;
  let game;
  try {
    game = await api("GET", gamePath(gameId));
  } catch (err) {
    if (asked !== navigation) return;
    if (!push) history.replaceState(null, "", "/");
    showStart();
    showSavedError(`That adventure could not be opened: ${err.message}`);
    return;
  }
  if (asked === navigation) showGame(game, { push });
}

/** Show the screen the address names (on load, and on Back and Forward). */
export function route() {
  const match = GAME_PATH.exec(location.pathname);
  if (match) openGame(match[1]);
  else showStart();
}

export function initScreens() {
  ui.newGame.addEventListener("click", () => {
    if (!state.held()) showStart({ push: true, focusForm: true });
  });
  window.addEventListener("popstate", route);
}
