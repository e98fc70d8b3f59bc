// "Your adventures" on the start screen: this browser's games, newest played first. Continue
// opens one (a link to its page); Archive asks first, then moves it to the folded "Archived"
// list, where Restore puts it back. The server keeps everything.

import { api, gamePath } from "./api.js";
import { $, capitalize, clear, counted, el, humanize } from "./dom.js";

const ui = {
  screen: $("start-screen"),
  status: $("saved-status"),
  list: $("saved-list"),
  archived: $("archived"),
  archivedSummary: $("archived-summary"),
  archivedList: $("archived-list"),
  dialog: $("archive-dialog"),
  dialogText: $("archive-text"),
  cancel: $("archive-cancel"),
  confirm: $("archive-confirm"),
};
const STATUS_TEXT = { active: "In progress", won: "Won", dead: "Fallen" };
let loads = 0; // the latest load; older answers are dropped
let archiving = null; // {game, from}: the game the open dialog asks about, and its button
let onContinue = () => {};
let focusFallback = () => {};

/** The page of a game (its URL). */
export function gameUrl(gameId) {
  return `/games/${encodeURIComponent(gameId)}`;
}

/** (Re)draw both lists; resolves once they are drawn (or the error shown). */
export async function loadSavedGames() {
  const load = ++loads;
  if (!ui.list.childElementCount) ui.status.textContent = "Loading your adventures\u2026";
  let listed;
  let archived;
  try {
    [listed, archived] = await Promise.all([
      api("GET", "/api/games"), api("GET", "/api/games?archived=true")]);
  } catch (err) {
    if (load === loads) ui.status.textContent = `Your adventures could not be loaded: ${err.message}`;
    return;
  }
  if (load !== loads) return;
  listed = Array.isArray(listed) ? listed : [];
  archived = Array.isArray(archived) ? archived : [];
  clear(ui.list);
  for (const game of listed) ui.list.appendChild(savedItem(game, false));
  ui.list.hidden = !listed.length;
  clear(ui.archivedList);
  for (const game of archived) ui.archivedList.appendChild(savedItem(game, true));
  ui.archived.hidden = !archived.length;
  ui.archivedSummary.textContent = `Archived (${archived.length})`;
  // Saved games come first (on a phone, above the form) once there are some.
  ui.screen.classList.toggle("has-saved", listed.length > 0);
  if (listed.length) ui.status.textContent = "";
  else if (archived.length) ui.status.textContent = "No adventures on your list; the archived ones are below.";
  else ui.status.textContent = "No adventures yet. The games you start here will wait for you in this list.";
}

/** What the list and the dialog call a game: "Ada in The Drowned Bell". */
function savedName(game) {
  const ch = game.character || {};
  const title = game.scenario && game.scenario.title;
  return title ? `${ch.name} in ${title}` : String(ch.name || "");
}

function timeText(seconds) {
  const when = new Date(Number(seconds) * 1000);
  if (!seconds || Number.isNaN(when.getTime())) return null;
  const time = el("time", null,
    when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
  time.dateTime = when.toISOString();
  return time;
}

function savedItem(game, archived) {
  const li = el("li", "saved-item");
  li.dataset.gameId = game.id;
  const ch = game.character || {};
  const status = String(game.status || "active");
  const title = game.scenario && game.scenario.title;
  const text = el("div", "saved-text");
  const head = el("p", "saved-head");
  head.appendChild(el("strong", "saved-name", ch.name));
  head.appendChild(el("span", "muted", `${capitalize(ch.class)}, level ${ch.level}`));
  head.appendChild(el("span", `tag tag-status tag-${status}`, STATUS_TEXT[status] || humanize(status)));
  text.appendChild(head);
  text.appendChild(el("p", "saved-scenario", title ||
    `This adventure (${game.scenario && game.scenario.id}) is no longer on this server.`));
  const facts = el("p", "saved-facts muted", counted(Number(game.turns) || 0, "turn", "turns"));
  const when = timeText(archived ? game.archived_at : game.last_played);
  if (when) {
    facts.appendChild(document.createTextNode(archived ? " \u00B7 archived " : " \u00B7 last played "));
    facts.appendChild(when);
  }
  text.appendChild(facts);
  li.appendChild(text);
  const actions = el("div", "saved-actions");
  if (archived) actions.append(restoreButton(game));
  else actions.append(continueControl(game, title), archiveButton(game));
  li.appendChild(actions);
  return li;
}

/** Continue: a link to the game's page (opened in place; a new tab works too). */
function continueControl(game, title) {
  const name = savedName(game);
  if (!title) {
    // Its adventure is gone from the server: the game cannot be played here.
    const off = el("button", "btn btn-small btn-primary saved-continue", "Continue");
    off.type = "button";
    off.disabled = true;
    off.setAttribute("aria-label", `Continue ${name}`);
    return off;
  }
  const go = el("a", "btn btn-small btn-primary saved-continue", "Continue");
  go.href = gameUrl(game.id);
  go.setAttribute("aria-label", `Continue ${name}`);
  go.addEventListener("click", (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return; // a new tab or window: the browser opens the link
    }
    event.preventDefault();
    onContinue(game.id, go);
  });
  return go;
}

function archiveButton(game) {
  const b = el("button", "btn btn-small saved-archive", "Archive");
  b.type = "button";
  b.setAttribute("aria-label", `Archive ${savedName(game)}`);
  b.setAttribute("aria-haspopup", "dialog");
  b.addEventListener("click", () => askArchive(game, b));
  return b;
}

function restoreButton(game) {
  const b = el("button", "btn btn-small saved-restore", "Restore");
  b.type = "button";
  b.setAttribute("aria-label", `Restore ${savedName(game)}`);
  b.addEventListener("click", () => restoreGame(game, b));
  return b;
}

/** Something went wrong with a game of the list: say so there. */
export function showSavedError(message) {
  ui.status.textContent = message;
}

function askArchive(game, button) {
  archiving = { game, from: button };
  ui.dialogText.textContent = `${savedName(game)} leaves this list. ` +
    "Nothing is deleted: the game and its turns are kept, and Restore brings it back.";
  ui.dialog.returnValue = "";
  ui.dialog.showModal();
}

// The answer is taken when it is given (a button, or Escape's cancel event), not from the
// dialog's close event: that one is queued, and a quick keyboard can open the dialog again
// before it arrives, which would read the new question's answer as the old one's.
function endArchive(confirmed) {
  const pending = archiving;
  archiving = null;
  if (ui.dialog.open) ui.dialog.close(confirmed ? "archive" : "cancel");
  if (!pending) return;
  if (confirmed) archiveGame(pending.game, pending.from);
  else if (pending.from.isConnected) pending.from.focus();
}

async function archiveGame(game, from) {
  const index = Array.from(ui.list.children).findIndex((li) => li.dataset.gameId === game.id);
  try {
    await api("POST", gamePath(game.id, "/archive"));
  } catch (err) {
    ui.status.textContent = `${savedName(game)} could not be archived: ${err.message}`;
    if (from.isConnected) from.focus();
    return;
  }
  await loadSavedGames();
  // Focus stays in the list: the entry that took the archived one's place, else the form.
  const rest = ui.list.children;
  const next = rest.length ? rest[Math.min(Math.max(index, 0), rest.length - 1)] : null;
  const target = next && next.querySelector(".saved-continue:not(:disabled), .saved-archive");
  if (target) target.focus();
  else focusFallback();
}

async function restoreGame(game, from) {
  from.disabled = true;
  try {
    await api("POST", gamePath(game.id, "/unarchive"));
  } catch (err) {
    ui.status.textContent = `${savedName(game)} could not be restored: ${err.message}`;
    from.disabled = false;
    from.focus();
    return;
  }
  await loadSavedGames();
  // Focus follows the game back onto the list.
  const back = Array.from(ui.list.children).find((li) => li.dataset.gameId === game.id);
  const target = back && back.querySelector(".saved-continue:not(:disabled), .saved-archive");
  if (target) target.focus();
  else focusFallback();
}

/** ``onContinue(gameId, control)`` opens a game; ``focusFallback()`` when the list is empty. */
export function initSavedGames(options) {
  onContinue = options.onContinue;
  focusFallback = options.focusFallback;
  ui.cancel.addEventListener("click", () => endArchive(false));
  ui.confirm.addEventListener("click", () => endArchive(true));
  ui.dialog.addEventListener("cancel", () => endArchive(false));
  // Closed some other way (not by us): a question still open is a "no".
  ui.dialog.addEventListener("close", () => {
    if (archiving && !ui.dialog.open) endArchive(false);
  });
}
