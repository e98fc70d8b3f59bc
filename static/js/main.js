// The page's wiring: each feature module knows its part of the page; this one connects them
// and opens the screen the address names. (Native ES modules, no build step.)

import { focusCreation, initCreation } from "./creation.js";
import { initGame } from "./game.js";
import { initInvites, pageInvite, showJoin } from "./invite.js";
import { initLines } from "./lines.js";
import { initPanel } from "./panel.js";
import { initParty } from "./party.js";
import * as readAloud from "./readaloud.js";
import { gameUrl, initSavedGames } from "./saved.js";
import {
  initScreens, onEnterGame, onLeaveGame, openGame, route, showGame, showStart,
} from "./screens.js";
import { enterTable, leaveTable } from "./table.js";
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
// A party: the host's invites, the join page of an invite's link (a fresh load of the game's
// page once seated), the table of every game shown.
initInvites({ onJoined: (gameId) => location.replace(gameUrl(gameId)) });
initParty();
onEnterGame(enterTable);
onLeaveGame(leaveTable);

readAloud.initReadAloud();
observeNarration(readAloud.narration);
onLeaveGame(readAloud.stop);

const invite = pageInvite();
if (invite) showJoin(invite);
else route();
