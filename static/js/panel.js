// The side panel: character sheet, location, inventory (and the dice log's section). On wide
// screens it is a column beside the story; on narrow ones a quick bar above the story keeps
// hit points, place and pack in view, and opens the whole panel over the story.

import { $, clear, counted, el, humanize, ordered, signed } from "./dom.js";
import * as state from "./state.js";

const ABILITY_ABBR = {
  strength: "STR", dexterity: "DEX", constitution: "CON",
  intelligence: "INT", wisdom: "WIS", charisma: "CHA",
};
const DIRECTIONS = ["north", "south", "east", "west", "northeast", "northwest",
  "southeast", "southwest", "up", "down", "in", "out"];

const ui = {
  screen: $("game-screen"),
  panel: $("side-panel"),
  story: document.querySelector("#game-screen .story-column"),
  quickBar: $("quick-bar"),
  quickHp: $("quick-hp"),
  quickPlace: $("quick-place"),
  quickPack: $("quick-pack"),
  close: $("panel-close"),
  charName: $("char-name"),
  charClass: $("char-class"),
  charBackstory: $("char-backstory"),
  hpText: $("hp-text"),
  hpMeter: $("hp-meter"),
  hpFill: $("hp-fill"),
  abilities: $("abilities"),
  conditions: $("conditions"),
  locationName: $("location-name"),
  locationDesc: $("location-desc"),
  exits: $("exits"),
  locationExtra: $("location-extra"),
  inventory: $("inventory"),
};

/** Draw the sheet from a game state ({character, location, inventory, outcome}). */
export function renderState(value) {
  if (!value || typeof value !== "object") return;
  const own = ownSheet(value);
  if (own) renderCharacter(own);
  if (value.location) renderLocation(value.location);
  if (Array.isArray(value.inventory)) renderInventory(value.inventory);
  state.setGameState(value);
  if (value.outcome === "won" || value.outcome === "dead") state.setOutcome(value.outcome);
}

/** This browser's character: a seated player's own sheet among the companions, else the
 * state's character (the host's, or a solo game's). */
function ownSheet(value) {
  const mine = state.myCharacter;
  if (mine && Array.isArray(value.companions)) {
    const found = value.companions.find((c) => c && c.name === mine);
    if (found) return found;
  }
  return value.character;
}

/** Keep the sheet live while tools run, before the turn's state event arrives. */
export function applyToolResult(call) {
  const r = call && call.result;
  if (!r || typeof r !== "object" || call.is_error) return;
  if (!aboutShownCharacter(call)) return; // another seat's character (party play)
  if (Number.isInteger(r.hp) && Number.isInteger(r.max_hp)) renderHp(r.hp, r.max_hp);
  if (Array.isArray(r.conditions)) renderConditions(r.conditions);
  if (r.name && r.description && r.exits && typeof r.exits === "object") renderLocation(r);
}

/** Whether a tool call acts on the character this panel shows: a call naming no
 * character acts on the state's own (the host's). */
function aboutShownCharacter(call) {
  const host = state.game && state.game.state && state.game.state.character;
  const hostName = host && typeof host.name === "string" ? host.name : null;
  const named = call.input && typeof call.input.character === "string" ? call.input.character : null;
  const target = named || hostName;
  const shown = state.myCharacter || hostName;
  return !target || !shown || target.toLowerCase() === shown.toLowerCase();
}

function renderHp(hp, maxHp) {
  const h = Math.max(0, Number(hp) || 0);
  const m = Math.max(1, Number(maxHp) || 1);
  const pct = Math.max(0, Math.min(100, (h / m) * 100));
  ui.hpText.textContent = `${h} / ${m}`;
  ui.quickHp.textContent = `${h} / ${m}`;
  ui.hpFill.style.width = `${pct}%`;
  ui.hpFill.classList.toggle("low", pct <= 25);
  ui.hpFill.classList.toggle("mid", pct > 25 && pct <= 50);
  ui.quickBar.classList.toggle("hp-low", pct <= 25);
  ui.hpMeter.setAttribute("aria-valuemax", String(m));
  ui.hpMeter.setAttribute("aria-valuenow", String(h));
  ui.hpMeter.setAttribute("aria-valuetext", `${h} of ${m} hit points`);
}

function renderConditions(conditions) {
  clear(ui.conditions);
  const list = Array.isArray(conditions) ? conditions : [];
  if (!list.length) {
    ui.conditions.appendChild(el("span", "muted", "No conditions"));
    return;
  }
  for (const c of list) ui.conditions.appendChild(el("span", "tag tag-condition", humanize(c)));
}

function renderCharacter(ch) {
  ui.charName.textContent = ch.name || "";
  ui.charClass.textContent = `${humanize(ch.class)} \u00B7 level ${ch.level ?? 1}`;
  renderHp(ch.hp, ch.max_hp);
  ui.charBackstory.textContent = ch.backstory || "";
  ui.charBackstory.hidden = !ch.backstory;
  clear(ui.abilities);
  const abilities = ch.abilities || {};
  const mods = ch.modifiers || {};
  for (const key of ordered(Object.keys(abilities), Object.keys(ABILITY_ABBR))) {
    const cell = el("div", "ability");
    const dt = el("dt", null, ABILITY_ABBR[key] || key.slice(0, 3).toUpperCase());
    dt.title = humanize(key);
    const dd = el("dd");
    dd.appendChild(el("span", "score", abilities[key]));
    dd.appendChild(el("span", "mod", signed(mods[key])));
    cell.append(dt, dd);
    ui.abilities.appendChild(cell);
  }
  renderConditions(ch.conditions);
}

function renderLocation(loc) {
  ui.locationName.textContent = loc.name || "";
  ui.quickPlace.textContent = loc.name || "";
  ui.locationDesc.textContent = loc.description || "";
  clear(ui.exits);
  const locked = new Set(Array.isArray(loc.locked_exits) ? loc.locked_exits : []);
  const exits = loc.exits && typeof loc.exits === "object" ? loc.exits : {};
  for (const dir of ordered(Object.keys(exits), DIRECTIONS)) {
    const li = el("li", "exit");
    li.appendChild(el("span", "exit-dir", dir));
    li.appendChild(el("span", "exit-place", exits[dir]));
    if (locked.has(dir)) {
      li.classList.add("locked");
      li.appendChild(el("span", "exit-lock", "locked"));
    }
    ui.exits.appendChild(li);
  }
  if (!ui.exits.childNodes.length) ui.exits.appendChild(el("li", "muted", "No way out"));
  const names = (xs) => (Array.isArray(xs) ? xs.map((x) => (x && x.name) || "").filter(Boolean) : []);
  const parts = [];
  const items = names(loc.items);
  const npcs = names(loc.npcs);
  if (items.length) parts.push(`Here: ${items.join(", ")}`);
  if (npcs.length) parts.push(`Present: ${npcs.join(", ")}`);
  ui.locationExtra.textContent = parts.join(" \u00B7 ");
  ui.locationExtra.hidden = !parts.length;
}

function renderInventory(items) {
  clear(ui.inventory);
  ui.quickPack.textContent = items.length ? counted(items.length, "item", "items") : "Empty-handed";
  if (!items.length) {
    ui.inventory.appendChild(el("li", "muted empty", "Empty-handed"));
    return;
  }
  for (const item of items) {
    const li = el("li", "item");
    li.appendChild(el("span", "item-name", item.name || item.id || "?"));
    if (item.description) {
      li.appendChild(el("span", "item-desc", item.description));
      li.title = item.description;
    }
    ui.inventory.appendChild(li);
  }
}

// ------------------------------------------------------------------ the panel on narrow screens

/** Open or close the panel over the story (narrow screens; wide ones always show it); focus
 * goes into it, and back to the quick bar, unless ``moveFocus`` is false. */
export function showPanel(open, moveFocus = true) {
  const wasOpen = ui.screen.classList.contains("panel-open");
  ui.screen.classList.toggle("panel-open", open);
  ui.quickBar.setAttribute("aria-expanded", open ? "true" : "false");
  // The story behind the open panel is out of reach (focus and screen readers alike).
  ui.story.inert = open;
  if (!moveFocus || open === wasOpen) return;
  (open ? ui.close : ui.quickBar).focus();
}

export function initPanel() {
  ui.quickBar.addEventListener("click", () => showPanel(true));
  ui.close.addEventListener("click", () => showPanel(false));
  ui.panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && ui.screen.classList.contains("panel-open")) {
      event.preventDefault();
      showPanel(false);
    }
  });
  // Widening the window past the narrow layout shows the panel as a column again.
  window.matchMedia("(min-width: 901px)").addEventListener("change", (event) => {
    if (event.matches) showPanel(false, false);
  });
}
