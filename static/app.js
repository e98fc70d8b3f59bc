// Game Master: the browser page. Plain ES2020, no framework, no build step.
//
// Security: every string that comes from the API (model narration, tool results, error
// messages, the player's own text echoed back) is untrusted. The page only ever builds DOM
// nodes with document.createElement and fills them with textContent; it never parses HTML.
"use strict";

(() => {
  const STORAGE_KEY = "gm.lastGameId";
  const FEEDBACK_KEY = "gm.feedback";
  const MAX_LOG_ENTRIES = 60;
  const OFFLINE_TIP = "No ANTHROPIC_API_KEY: a built-in offline narrator plays the game master";

  const ABILITY_ABBR = {
    strength: "STR", dexterity: "DEX", constitution: "CON",
    intelligence: "INT", wisdom: "WIS", charisma: "CHA",
  };

  const DIRECTIONS = ["north", "south", "east", "west", "northeast", "northwest",
    "southeast", "southwest", "up", "down", "in", "out"];

  const $ = (id) => document.getElementById(id);
  const ui = {
    body: document.body,
    offlineBadge: $("offline-badge"),
    offlineNote: $("offline-note"),
    scenarioTitle: $("scenario-title"),
    newGameButton: $("new-game-button"),
    startScreen: $("start-screen"),
    startForm: $("new-game-form"),
    startButton: $("start-button"),
    startError: $("start-error"),
    continueButton: $("continue-button"),
    nameInput: $("character-name"),
    classSelect: $("character-class"),
    gameScreen: $("game-screen"),
    outcomeBanner: $("outcome-banner"),
    story: $("story"),
    busy: $("busy-indicator"),
    turnForm: $("turn-form"),
    turnInput: $("turn-input"),
    sendButton: $("send-button"),
    charName: $("char-name"),
    charClass: $("char-class"),
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
    diceLog: $("dice-log"),
  };

  const app = {
    game: null,       // the last game JSON (id, scenario, status, state)
    busy: false,
    outcome: null,
  };

  // ------------------------------------------------------------------ small helpers

  /** A new element with an optional class and text (always set via textContent). */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /** ``keys`` in the order of ``canon`` first, then the rest as given (JSON may sort keys). */
  function ordered(keys, canon) {
    const known = canon.filter((k) => keys.includes(k));
    return known.concat(keys.filter((k) => !canon.includes(k)));
  }

  function capitalize(s) {
    s = String(s || "");
    return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  }

  function humanize(s) {
    return capitalize(String(s || "").replace(/_/g, " "));
  }

  function signed(n) {
    const v = Number(n) || 0;
    return v >= 0 ? `+${v}` : `\u2212${Math.abs(v)}`;
  }

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (_) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (_) { /* private mode */ }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (_) { /* private mode */ }
  }

  function feedbackMap() {
    try { return JSON.parse(storageGet(FEEDBACK_KEY) || "{}") || {}; } catch (_) { return {}; }
  }
  function rememberFeedback(turnId, score) {
    const map = feedbackMap();
    map[turnId] = score;
    const keys = Object.keys(map);
    for (const k of keys.slice(0, Math.max(0, keys.length - 300))) delete map[k];
    storageSet(FEEDBACK_KEY, JSON.stringify(map));
  }

  /** An error carrying the API's {code, message} (or a network failure). */
  class ApiError extends Error {
    constructor(code, message, status) {
      super(message);
      this.code = code;
      this.status = status || 0;
    }
  }

  async function errorFromResponse(resp) {
    let code = `http_${resp.status}`;
    let message = `The server answered ${resp.status} ${resp.statusText || ""}`.trim();
    try {
      const data = await resp.json();
      if (data && data.error) {
        code = String(data.error.code || code);
        message = String(data.error.message || message);
      }
    } catch (_) { /* not JSON */ }
    return new ApiError(code, message, resp.status);
  }

  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (err) {
      throw new ApiError("network_error", "Could not reach the server. Check your connection.");
    }
    if (!resp.ok) throw await errorFromResponse(resp);
    if (resp.status === 204) return null;
    return resp.json();
  }

  // ------------------------------------------------------------------ screens

  function showStart() {
    ui.gameScreen.hidden = true;
    ui.startScreen.hidden = false;
    ui.newGameButton.hidden = true;
    ui.scenarioTitle.hidden = true;
    checkContinue();
    ui.nameInput.focus();
  }

  function showGame(game) {
    app.game = game;
    app.outcome = null;
    ui.startScreen.hidden = true;
    ui.gameScreen.hidden = false;
    ui.newGameButton.hidden = false;
    ui.scenarioTitle.textContent = (game.scenario && game.scenario.title) || "";
    ui.scenarioTitle.hidden = !ui.scenarioTitle.textContent;
    ui.outcomeBanner.hidden = true;
    clear(ui.story);
    clear(ui.diceLog);

    if (game.scenario && game.scenario.intro) {
      const intro = addGmEntry(game.scenario.intro);
      intro.classList.add("intro");
      if (game.scenario.goal) {
        intro.appendChild(el("p", "goal", `Goal: ${game.scenario.goal}`));
      }
    }
    for (const turn of game.turns || []) renderHistoryTurn(turn);
    if (game.state) renderState(game.state);
    if (!app.outcome && (game.status === "won" || game.status === "dead")) {
      showOutcome(game.status);
    }
    setBusy(false);
    scrollStory(true);
    ui.turnInput.focus();
  }

  async function checkContinue() {
    ui.continueButton.hidden = true;
    const id = storageGet(STORAGE_KEY);
    if (!id) return;
    try {
      const game = await api("GET", `/api/games/${encodeURIComponent(id)}`);
      ui.continueButton.hidden = false;
      ui.continueButton.textContent = continueLabel(game);
    } catch (err) {
      // The game is gone (404 or another refusal): forget it. On a network failure or a
      // server error keep the id, so a blip does not lose the player's game.
      if (err.status >= 400 && err.status < 500) storageRemove(STORAGE_KEY);
    }
  }

  function continueLabel(game) {
    const ch = game && game.state && game.state.character;
    return ch && ch.name ? `Continue as ${ch.name}` : "Continue";
  }

  async function continueGame() {
    const id = storageGet(STORAGE_KEY);
    if (!id) return;
    ui.continueButton.disabled = true;
    hideStartError();
    try {
      showGame(await api("GET", `/api/games/${encodeURIComponent(id)}`));
    } catch (err) {
      if (err.status >= 400 && err.status < 500) {
        storageRemove(STORAGE_KEY);
        ui.continueButton.hidden = true;
      }
      showStartError(err.message);
    } finally {
      ui.continueButton.disabled = false;
    }
  }

  async function startGame(event) {
    event.preventDefault();
    hideStartError();
    const name = ui.nameInput.value.trim();
    if (!name) {
      showStartError("Give your character a name.");
      ui.nameInput.focus();
      return;
    }
    ui.startButton.disabled = true;
    try {
      const game = await api("POST", "/api/games", {
        character: { name, class: ui.classSelect.value },
      });
      storageSet(STORAGE_KEY, game.id);
      showGame(game);
    } catch (err) {
      showStartError(err.message);
    } finally {
      ui.startButton.disabled = false;
    }
  }

  function showStartError(message) {
    ui.startError.textContent = message;
    ui.startError.hidden = false;
  }
  function hideStartError() {
    ui.startError.hidden = true;
    ui.startError.textContent = "";
  }

  // ------------------------------------------------------------------ story

  /** Is the end of the story in view (so following new text will not yank the reader)? */
  function storyAtEnd() {
    const s = ui.story;
    if (s.scrollHeight > s.clientHeight + 1 && getComputedStyle(s).overflowY !== "visible") {
      return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
    }
    const last = s.lastElementChild;
    return !last || last.getBoundingClientRect().bottom <= window.innerHeight + 160;
  }

  /** Keep the newest entry in view; ``force`` even when the reader has scrolled away. */
  function scrollStory(force) {
    if (!force && !storyAtEnd()) return;
    const s = ui.story;
    if (getComputedStyle(s).overflowY !== "visible") s.scrollTop = s.scrollHeight;
    const last = s.lastElementChild;
    if (last && typeof last.scrollIntoView === "function") last.scrollIntoView({ block: "nearest" });
  }

  function addPlayerEntry(message) {
    const li = el("li", "entry entry-player");
    li.appendChild(el("p", "speaker", "You"));
    li.appendChild(el("p", "entry-text", message));
    ui.story.appendChild(li);
    return li;
  }

  /** A GM entry; returns the <li>. Its text lives in one text node (li._text). */
  function addGmEntry(text) {
    const li = el("li", "entry entry-gm");
    li.appendChild(el("p", "speaker", "Game Master"));
    const p = el("p", "entry-text");
    const node = document.createTextNode(text || "");
    p.appendChild(node);
    li.appendChild(p);
    li._text = node;
    ui.story.appendChild(li);
    return li;
  }

  /** The feedback pair, trace link and other notes under a finished GM reply. */
  function finishGmEntry(li, turnId, trace, rated) {
    li.classList.remove("streaming");
    const meta = el("div", "entry-meta");
    if (turnId) meta.appendChild(feedbackControls(turnId, rated));
    const url = trace && typeof trace.url === "string" ? trace.url : "";
    if (/^https?:\/\//i.test(url)) {
      const a = el("a", "trace-link", "view trace");
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      meta.appendChild(a);
    }
    if (meta.childNodes.length) li.appendChild(meta);
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  const THUMB_PATH = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79" +
    "-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22" +
    "l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

  /** A thumbs-up icon built as SVG nodes (the thumbs-down button rotates it in CSS). */
  function thumbIcon() {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", THUMB_PATH);
    svg.appendChild(path);
    return svg;
  }

  function feedbackControls(turnId, rated) {
    const box = el("div", "feedback");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Rate this reply");
    const up = el("button", "btn-icon feedback-up");
    up.appendChild(thumbIcon());
    up.type = "button";
    up.setAttribute("aria-label", "Good reply");
    up.title = "Good reply";
    up.dataset.score = "1";
    const down = el("button", "btn-icon feedback-down");
    down.appendChild(thumbIcon());
    down.type = "button";
    down.setAttribute("aria-label", "Bad reply");
    down.title = "Bad reply";
    down.dataset.score = "0";
    const status = el("span", "feedback-status");
    status.setAttribute("role", "status");
    for (const b of [up, down]) b.setAttribute("aria-pressed", "false");
    box.append(up, down, status);

    const mark = (score) => {
      for (const b of [up, down]) {
        const chosen = b.dataset.score === String(score);
        b.disabled = true;
        b.classList.toggle("chosen", chosen);
        b.setAttribute("aria-pressed", chosen ? "true" : "false");
      }
      box.classList.add("recorded");
      status.textContent = "Feedback recorded";
    };
    // The server's stored rating wins; this browser's memory covers older servers.
    const known = typeof rated === "number" ? rated : feedbackMap()[turnId];
    if (known === 0 || known === 1) mark(known);

    const send = async (score) => {
      up.disabled = true;
      down.disabled = true;
      status.textContent = "Sending…";
      try {
        await api("POST", `/api/games/${encodeURIComponent(app.game.id)}/turns/` +
          `${encodeURIComponent(turnId)}/feedback`, { score });
        rememberFeedback(turnId, score);
        mark(score);
      } catch (err) {
        up.disabled = false;
        down.disabled = false;
        status.textContent = `Could not send feedback: ${err.message}`;
      }
    };
    up.addEventListener("click", () => send(1));
    down.addEventListener("click", () => send(0));
    return box;
  }

  /** An inline error with a Retry button that resends ``message``. */
  function addErrorEntry(err, message, playerLi) {
    const li = el("li", "entry entry-error");
    li.setAttribute("role", "alert");
    li.appendChild(el("p", "speaker", "Something went wrong"));
    li.appendChild(el("p", "entry-text", err.message || "The turn failed."));
    if (err.code) li.appendChild(el("p", "error-code", err.code));
    const retry = el("button", "btn btn-small retry-button", "Retry");
    retry.type = "button";
    retry.title = `Send \u201C${message}\u201D again`;
    retry.addEventListener("click", () => {
      if (app.busy) return;
      li.remove();
      if (playerLi) playerLi.remove();
      sendTurn(message);
    });
    li.appendChild(retry);
    ui.story.appendChild(li);
    return li;
  }

  function renderHistoryTurn(turn) {
    const playerLi = addPlayerEntry(turn.player_message || "");
    for (const call of turn.tool_calls || []) addLogEntry(call);
    if (turn.status === "completed") {
      const li = addGmEntry(turn.narration || "");
      finishGmEntry(li, turn.id, turn.trace, turn.feedback);
    } else if (turn.status === "failed") {
      const e = turn.error || {};
      addErrorEntry(new ApiError(e.code || "turn_failed", e.message || "The turn failed."),
        turn.player_message || "", playerLi);
    } else {
      const li = addGmEntry(turn.narration || "");
      li.appendChild(el("p", "note", "This turn was still being played. Reload to see how it ended."));
    }
  }

  // ------------------------------------------------------------------ turns

  function setBusy(busy) {
    app.busy = busy;
    ui.busy.hidden = !busy;
    ui.sendButton.disabled = busy || !!app.outcome;
    ui.turnInput.disabled = busy || !!app.outcome;
    ui.gameScreen.classList.toggle("is-busy", busy);
    for (const b of ui.story.querySelectorAll(".retry-button")) b.disabled = busy;
  }

  function submitTurn(event) {
    if (event) event.preventDefault();
    if (app.busy || app.outcome) return;
    const message = ui.turnInput.value.trim();
    if (!message) {
      ui.turnInput.focus();
      return;
    }
    sendTurn(message);
  }

  /** Play one turn, streaming the reply. Never throws; failures become an inline error. */
  async function sendTurn(message) {
    if (app.busy || !app.game) return;
    const gameId = app.game.id;
    const playerLi = addPlayerEntry(message);
    // The message moves into the story (and into the Retry button if the turn fails).
    if (ui.turnInput.value.trim() === message) ui.turnInput.value = "";
    setBusy(true);
    scrollStory(true);

    const turn = { id: null, gmLi: null, done: false, error: null, text: "" };
    try {
      let resp;
      try {
        resp = await fetch(`/api/games/${encodeURIComponent(gameId)}/turns`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
          body: JSON.stringify({ message }),
        });
      } catch (_) {
        throw new ApiError("network_error", "Could not reach the server. Check your connection.");
      }
      if (!resp.ok) throw await errorFromResponse(resp);
      const type = resp.headers.get("Content-Type") || "";
      if (!type.startsWith("text/event-stream") || !resp.body) {
        throw new ApiError("bad_response", "The server did not answer with an event stream.");
      }
      await readEvents(resp.body, (name, data) => handleEvent(turn, name, data));
      if (!turn.done && !turn.error) {
        throw new ApiError("stream_closed",
          "The connection closed before the Game Master finished. Reload to see the stored turn, or retry.");
      }
      if (turn.error) throw turn.error;
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError("network_error",
        "The connection to the server was lost.");
      if (turn.gmLi && !turn.text) turn.gmLi.remove();
      else if (turn.gmLi) turn.gmLi.classList.remove("streaming");
      addErrorEntry(e, message, turn.gmLi && turn.text ? null : playerLi);
      // Keep the message at hand: put it back in the input if the player has not typed anew.
      if (!ui.turnInput.value.trim()) ui.turnInput.value = message;
    } finally {
      setBusy(false);
      scrollStory();
      ui.turnInput.focus();
    }
  }

  /** Read an SSE body, calling onEvent(name, data) for each frame; ignores ':' comments. */
  async function readEvents(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const flush = (frame) => {
      let name = "message";
      const data = [];
      for (const line of frame.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
      if (!data.length) return;
      let parsed;
      try {
        parsed = JSON.parse(data.join("\n"));
      } catch (_) {
        return; // a malformed frame is skipped rather than breaking the turn
      }
      onEvent(name, parsed);
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) !== -1) {
        flush(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
    buffer += decoder.decode();
    if (buffer.trim()) flush(buffer);
  }

  function handleEvent(turn, name, data) {
    if (!data || typeof data !== "object") return;
    switch (name) {
      case "turn.started":
        turn.id = data.turn_id || null;
        break;
      case "text": {
        const delta = typeof data.delta === "string" ? data.delta : "";
        if (!delta) break;
        if (!turn.gmLi) {
          turn.gmLi = addGmEntry("");
          turn.gmLi.classList.add("streaming");
        }
        turn.text += delta;
        turn.gmLi._text.appendData(delta);
        scrollStory();
        break;
      }
      case "tool":
        addLogEntry(data);
        applyToolResult(data);
        break;
      case "state":
        renderState(data);
        break;
      case "turn.completed": {
        turn.done = true;
        const narration = typeof data.narration === "string" ? data.narration : "";
        if (!turn.gmLi) turn.gmLi = addGmEntry("");
        // The stored narration is the authority; it matches what a reload will show.
        if (narration && narration !== turn.text) turn.gmLi._text.data = narration;
        finishGmEntry(turn.gmLi, data.turn_id || turn.id, data.trace);
        break;
      }
      case "error": {
        const e = new ApiError(String(data.code || "turn_failed"),
          String(data.message || "The turn failed."));
        if (data.retry_after) e.message += ` (try again in ${Math.ceil(data.retry_after)} s)`;
        turn.error = e;
        break;
      }
      default:
        break;
    }
  }

  // ------------------------------------------------------------------ side panel

  function renderState(state) {
    if (!state || typeof state !== "object") return;
    if (state.character) renderCharacter(state.character);
    if (state.location) renderLocation(state.location);
    if (Array.isArray(state.inventory)) renderInventory(state.inventory);
    if (app.game) app.game.state = state;
    if (state.outcome === "won" || state.outcome === "dead") showOutcome(state.outcome);
  }

  function renderHp(hp, maxHp) {
    const h = Math.max(0, Number(hp) || 0);
    const m = Math.max(1, Number(maxHp) || 1);
    const pct = Math.max(0, Math.min(100, (h / m) * 100));
    ui.hpText.textContent = `${h} / ${m}`;
    ui.hpFill.style.width = `${pct}%`;
    ui.hpFill.classList.toggle("low", pct <= 25);
    ui.hpFill.classList.toggle("mid", pct > 25 && pct <= 50);
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
    ui.locationDesc.textContent = loc.description || "";
    clear(ui.exits);
    const locked = new Set(Array.isArray(loc.locked_exits) ? loc.locked_exits : []);
    const exits = loc.exits && typeof loc.exits === "object" ? loc.exits : {};
    for (const dir of ordered(Object.keys(exits), DIRECTIONS)) {
      const place = exits[dir];
      const li = el("li", "exit");
      li.appendChild(el("span", "exit-dir", dir));
      li.appendChild(el("span", "exit-place", place));
      if (locked.has(dir)) {
        li.classList.add("locked");
        li.appendChild(el("span", "exit-lock", "locked"));
      }
      ui.exits.appendChild(li);
    }
    if (!ui.exits.childNodes.length) ui.exits.appendChild(el("li", "muted", "No way out"));
    const parts = [];
    const names = (xs) => (Array.isArray(xs) ? xs.map((x) => (x && x.name) || "").filter(Boolean) : []);
    const items = names(loc.items);
    const npcs = names(loc.npcs);
    if (items.length) parts.push(`Here: ${items.join(", ")}`);
    if (npcs.length) parts.push(`Present: ${npcs.join(", ")}`);
    ui.locationExtra.textContent = parts.join(" \u00B7 ");
    ui.locationExtra.hidden = !parts.length;
  }

  function renderInventory(items) {
    clear(ui.inventory);
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

  /** Keep the sheet live while tools run, before the turn's state event arrives. */
  function applyToolResult(call) {
    const r = call && call.result;
    if (!r || typeof r !== "object" || call.is_error) return;
    if (call.name === "change_hp" && "hp" in r && "max_hp" in r) renderHp(r.hp, r.max_hp);
    if (call.name === "set_condition" && Array.isArray(r.conditions)) renderConditions(r.conditions);
    if (r.name && r.description && r.exits && typeof r.exits === "object") renderLocation(r);
  }

  function showOutcome(outcome) {
    app.outcome = outcome;
    clear(ui.outcomeBanner);
    ui.outcomeBanner.classList.toggle("won", outcome === "won");
    ui.outcomeBanner.classList.toggle("dead", outcome === "dead");
    const title = outcome === "won" ? "Victory!" : "You have fallen.";
    const text = outcome === "won"
      ? "The adventure is won. The tale stays here for you to read."
      : "Your adventure ends here. The tale stays here for you to read.";
    ui.outcomeBanner.appendChild(el("strong", "outcome-title", title));
    ui.outcomeBanner.appendChild(el("span", "outcome-text", text));
    const again = el("button", "btn btn-small", "Start a new game");
    again.type = "button";
    again.addEventListener("click", showStart);
    ui.outcomeBanner.appendChild(again);
    ui.outcomeBanner.hidden = false;
    ui.turnInput.placeholder = "The adventure is over. Start a new game to play again.";
    setBusy(app.busy);
  }

  // ------------------------------------------------------------------ dice & action log

  function addLogEntry(call) {
    if (!call || typeof call !== "object") return;
    const name = String(call.name || "tool");
    const r = call.result && typeof call.result === "object" ? call.result : {};
    const li = el("li", "log-entry");
    if (call.is_error) {
      li.classList.add("log-error");
      li.appendChild(el("span", "log-kind", humanize(name)));
      li.appendChild(el("span", "log-main", "refused"));
      li.appendChild(el("span", "log-detail", r.error || "the rules refused"));
    } else if (name === "roll_dice") {
      li.classList.add("log-roll");
      li.appendChild(el("span", "log-kind", `Roll ${r.notation || ""}`.trim()));
      li.appendChild(el("span", "log-main", `= ${r.total ?? "?"}`));
      const kept = Array.isArray(r.kept) ? r.kept.join(", ") : "";
      let detail = kept ? `[${kept}]` : "";
      if (r.modifier) detail += ` ${signed(r.modifier)}`;
      if (r.advantage && r.advantage !== "none") detail += ` (${r.advantage})`;
      if (r.reason) detail += ` \u00B7 ${r.reason}`;
      li.appendChild(el("span", "log-detail", detail.trim()));
    } else if (name === "ability_check") {
      li.classList.add("log-check", r.success ? "success" : "failure");
      li.appendChild(el("span", "log-kind", `${humanize(r.check || "check")} check`));
      li.appendChild(el("span", "log-main",
        `${r.total ?? "?"} vs DC ${r.dc ?? "?"} \u2014 ${r.success ? "success" : "failure"}`));
      let detail = `d20 ${r.natural ?? "?"} ${signed(r.modifier)}`;
      if (r.critical) detail += r.natural === 20 ? " \u00B7 natural 20!" : " \u00B7 natural 1";
      if (r.advantage && r.advantage !== "none") detail += ` (${r.advantage})`;
      if (r.reason) detail += ` \u00B7 ${r.reason}`;
      li.appendChild(el("span", "log-detail", detail));
    } else {
      li.classList.add("log-action");
      li.appendChild(el("span", "log-kind", "action"));
      li.appendChild(el("span", "log-main", humanize(name)));
      const args = call.input && typeof call.input === "object"
        ? Object.values(call.input).filter((v) => typeof v === "string" || typeof v === "number")
        : [];
      if (args.length) li.appendChild(el("span", "log-detail", args.join(", ").slice(0, 120)));
    }
    ui.diceLog.insertBefore(li, ui.diceLog.firstChild);
    while (ui.diceLog.childNodes.length > MAX_LOG_ENTRIES) ui.diceLog.removeChild(ui.diceLog.lastChild);
  }

  // ------------------------------------------------------------------ wiring

  function init() {
    const offline = ui.body.dataset.offline === "true";
    ui.offlineBadge.hidden = !offline;
    ui.offlineNote.hidden = !offline;
    if (offline) ui.offlineBadge.setAttribute("aria-label", `Offline narrator. ${OFFLINE_TIP}`);

    ui.startForm.addEventListener("submit", startGame);
    ui.continueButton.addEventListener("click", continueGame);
    ui.newGameButton.addEventListener("click", () => {
      if (!app.busy) showStart();
    });
    ui.turnForm.addEventListener("submit", submitTurn);
    ui.turnInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitTurn();
      }
    });
    showStart();
  }

  init();
})();
