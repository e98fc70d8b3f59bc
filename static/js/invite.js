// Invites to a party: the host's dialog that makes player and spectator invites (copy the
// link, revoke it), and the join page an invite's link opens (/join/<token>): a player makes
// a character with the new-game form, a spectator gives a name; both then land on the game.

import { api, gamePath } from "./api.js";
import { $, clear, el, stored } from "./dom.js";
import { useCreationFor } from "./creation.js";
import { gameUrl } from "./saved.js";
import * as state from "./state.js";

const SEATS_KEY = "gm.seats"; // {gameId: {player_id, role, name}}: the seats this browser took
const INVITES_KEY = "gm.invites"; // {gameId: [invite…]}: the host's live invites, per game
const ui = {
  start: $("start-screen"),
  heading: $("start-heading"),
  intro: $("start-intro"),
  form: $("new-game-form"),
  saved: $("saved-games"),
  spectate: $("spectate-form"),
  spectatorName: $("spectator-name"),
  spectateButton: $("spectate-button"),
  spectateError: $("spectate-error"),
  button: $("invite-button"),
  dialog: $("invite-dialog"),
  makePlayer: $("invite-player"),
  makeSpectator: $("invite-spectator"),
  status: $("invite-status"),
  list: $("invite-list"),
  close: $("invite-close"),
};
let onJoined = () => {};
let focusAfter = null;

// ------------------------------------------------------------------ seats this browser took

/** The seat this browser took at a game by joining it ({player_id, role, name}), or null. */
export function joinedSeat(gameId) {
  const seats = stored.get(SEATS_KEY, {}) || {};
  return seats[gameId] || null;
}

function rememberSeat(gameId, player) {
  const seats = stored.get(SEATS_KEY, {}) || {};
  seats[gameId] = { player_id: player.id, role: player.role, name: player.name };
  stored.set(SEATS_KEY, seats);
}

// ------------------------------------------------------------------ the join page

/** The invite the page was opened with ({token, role}), or null on any other page. */
export function pageInvite() {
  const token = ui.start.dataset.invite;
  if (!token) return null;
  return { token, role: ui.start.dataset.inviteRole === "spectator" ? "spectator" : "player" };
}

async function join(invite, body) {
  const joined = await api("POST", `/api/invites/${encodeURIComponent(invite.token)}/join`, body);
  rememberSeat(joined.game_id, joined.player || {});
  onJoined(joined.game_id);
}

/** Turn the start screen into the invite's join form. */
export function showJoin(invite) {
  document.body.dataset.screen = "join";
  ui.saved.hidden = true;
  ui.heading.textContent = "Join the table";
  if (invite.role === "spectator") {
    ui.intro.textContent = "You are invited to watch this adventure. Give the table your name.";
    ui.form.hidden = true;
    ui.spectate.hidden = false;
    ui.spectatorName.focus();
    return;
  }
  ui.intro.textContent = "You are invited to play in this adventure. Make your character " +
    "and take your seat at the table.";
  useCreationFor((body) => join(invite, { character: body.character }), "Join the table");
  ui.form.hidden = false;
  ui.spectate.hidden = true;
}

async function spectate(event, invite) {
  event.preventDefault();
  ui.spectateError.hidden = true;
  const name = ui.spectatorName.value.trim();
  if (!name) {
    ui.spectateError.textContent = "Give your name.";
    ui.spectateError.hidden = false;
    ui.spectatorName.focus();
    return;
  }
  ui.spectateButton.disabled = true;
  try {
    await join(invite, { name });
  } catch (err) {
    ui.spectateError.textContent = err.message;
    ui.spectateError.hidden = false;
  } finally {
    ui.spectateButton.disabled = false;
  }
}

// ------------------------------------------------------------------ the host's invites

function liveInvites(gameId) {
  const all = stored.get(INVITES_KEY, {}) || {};
  const now = Date.now() / 1000;
  return (all[gameId] || []).filter((i) => !i.expires_at || expiry(i.expires_at) > now);
}

function keepInvites(gameId, list) {
  const all = stored.get(INVITES_KEY, {}) || {};
  if (list.length) all[gameId] = list;
  else delete all[gameId];
  stored.set(INVITES_KEY, all);
}

/** Epoch seconds of an ``expires_at`` given as epoch seconds or an ISO date. */
function expiry(value) {
  if (typeof value === "number") return value;
  const ms = Date.parse(String(value));
  return Number.isNaN(ms) ? Infinity : ms / 1000;
}

/** The absolute link of an invite (the server's ``url``, made absolute on this origin). */
function inviteLink(invite) {
  try {
    return new URL(invite.url, location.origin).href;
  } catch (_) {
    return `${location.origin}/join/${encodeURIComponent(invite.token)}`;
  }
}

function renderInvites() {
  clear(ui.list);
  const game = state.game;
  if (!game) return;
  for (const invite of liveInvites(game.id)) ui.list.appendChild(inviteItem(game, invite));
}

function inviteItem(game, invite) {
  const li = el("li", "invite-item");
  li.dataset.role = invite.role;
  const role = invite.role === "spectator" ? "Spectator" : "Player";
  const id = `invite-${String(invite.token).replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 24)}`;
  const label = el("label", "invite-role", `${role} invite`);
  label.htmlFor = id;
  // The link itself, selectable: the visible fallback where the clipboard is refused.
  const link = document.createElement("input");
  link.type = "text";
  link.readOnly = true;
  link.id = id;
  link.className = "invite-link";
  link.value = inviteLink(invite);
  const copy = el("button", "btn btn-small invite-copy", "Copy link");
  copy.type = "button";
  copy.setAttribute("aria-label", `Copy link of the ${role.toLowerCase()} invite`);
  const revoke = el("button", "btn btn-small invite-revoke", "Revoke");
  revoke.type = "button";
  revoke.setAttribute("aria-label", `Revoke the ${role.toLowerCase()} invite`);
  const note = el("p", "invite-note muted");
  note.setAttribute("role", "status");
  copy.addEventListener("click", () => copyLink(link, note));
  revoke.addEventListener("click", () => revokeInvite(game, invite, revoke));
  const row = el("div", "invite-row");
  row.append(link, copy, revoke);
  li.append(label, row, note);
  return li;
}

async function copyLink(input, note) {
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
    await navigator.clipboard.writeText(input.value);
    note.textContent = "Link copied.";
  } catch (_) {
    // The browser will not let the page write the clipboard (plain HTTP, or refused):
    // select the link so the player can copy it themselves.
    input.focus();
    input.select();
    note.textContent = "Copy the selected link (Ctrl+C, or \u2318C on a Mac).";
  }
}

async function makeInvite(role) {
  const game = state.game;
  if (!game) return;
  ui.status.textContent = "Making an invite\u2026";
  try {
    const invite = await api("POST", gamePath(game.id, "/invites"), { role });
    if (state.game !== game) return;
    keepInvites(game.id, liveInvites(game.id).concat([invite]));
    renderInvites();
    ui.status.textContent = `A ${role} invite is ready: send its link.`;
    const items = ui.list.querySelectorAll(".invite-link");
    if (items.length) items[items.length - 1].focus();
  } catch (err) {
    ui.status.textContent = `No invite was made: ${err.message}`;
  }
}

async function revokeInvite(game, invite, button) {
  button.disabled = true;
  try {
    await api("DELETE", gamePath(game.id, `/invites/${encodeURIComponent(invite.token)}`));
  } catch (err) {
    if (err.status !== 404) { // 404: already gone (revoked elsewhere, or expired)
      button.disabled = false;
      ui.status.textContent = `The invite was not revoked: ${err.message}`;
      return;
    }
  }
  keepInvites(game.id, liveInvites(game.id).filter((i) => i.token !== invite.token));
  renderInvites();
  ui.status.textContent = "The invite is revoked: its link no longer lets anyone in.";
  ui.makePlayer.focus();
}

function openInvites() {
  focusAfter = document.activeElement;
  ui.status.textContent = "";
  renderInvites();
  ui.dialog.showModal();
}

/** Show the Invite button to the game's host (only the host invites). */
export function showInviteButton(isHost) {
  ui.button.hidden = !isHost;
  if (!isHost && ui.dialog.open) ui.dialog.close();
}

/** ``onJoined(gameId)``: what happens once a seat is taken (open the game). */
export function initInvites(options) {
  onJoined = options.onJoined;
  ui.button.addEventListener("click", openInvites);
  ui.makePlayer.addEventListener("click", () => makeInvite("player"));
  ui.makeSpectator.addEventListener("click", () => makeInvite("spectator"));
  ui.close.addEventListener("click", () => ui.dialog.close());
  ui.dialog.addEventListener("close", () => {
    if (focusAfter && typeof focusAfter.focus === "function") focusAfter.focus();
    focusAfter = null;
  });
  const invite = pageInvite();
  if (invite) ui.spectate.addEventListener("submit", (event) => spectate(event, invite));
}
