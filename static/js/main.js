// The page's wiring: each feature module knows its part of the page; this one connects them
// and opens the screen the address names. (Native ES modules, no build step.)

import { focusCreation, initCreation } from "./creation.js";
import { initGame } from "./game.js";
import { initLines } from "./lines.js";
import { initPanel } from "./panel.js";
import * as readAloud from "./readaloud.js";
import { initSavedGames } from "./saved.js";
import { initScreens, onLeaveGame, openGame, route, showGame, showStart } from "./screens.js";
import { initTurns, observeNarration } from "./turn.js";

initCreation({ onCreated: (game) => showGame(game, { push: true }) });
initSavedGames({
  onContinue: (gameId) => openGame(gameId, { push: true }),
  focusFallback: focusCreation,
});
initTurns();
initLines();
initPanel();
initGame({ onNewGame: () => showStart({ push: true, focusForm: true }) });
initScreens();

readAloud.initReadAloud();
observeNarration(readAloud.narration);
onLeaveGame(readAloud.stop);

route();
