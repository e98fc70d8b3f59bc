// Game Master: the browser page. Plain ES2020, no framework, no build step.
//
// Security: every string that comes from the API (model narration, tool results, error
// messages, the player's own text echoed back) is untrusted. The page only ever builds DOM
// nodes with document.createElement and fills them with textContent; it never parses HTML.
"use strict";

(() => {
  const FEEDBACK_KEY = "gm.feedback";
  const MAX_LOG_ENTRIES = 60;
  const OLDER_PAGE = 50; // turns per "Earlier turns" page
  const OFFLINE_TIP = "No ANTHROPIC_API_KEY: a built-in offline narrator plays the game master";

  const ABILITY_ABBR = {
    strength: "STR", dexterity: "DEX", constitution: "CON",
    intelligence: "INT", wisdom: "WIS", charisma: "CHA",
  };

  const DIRECTIONS = ["north", "south", "east", "west", "northeast", "northwest",
    "southeast", "southwest", "up", "down", "in", "out"];

  const $ = (id) => document.getElementById(id);
  // The tool registry's view for the page: {name: {label, show}}; show is roll|check|action.
  const TOOLS = (() => {
    try {
      return JSON.parse($("gm-tools").textContent || "{}");
    } catch (_) {
      return {};
    }
  })();
  const toolLabel = (name) => (TOOLS[name] && TOOLS[name].label) || humanize(name);
  // The character-creation rules from the server (rules/character.py creation_rules()).
  const CREATION = (() => {
    try {
      return JSON.parse($("gm-creation").textContent || "{}");
    } catch (_) {
      return {};
    }
  })();
  const ui = {
    body: document.body,
    offlineBadge: $("offline-badge"),
    offlineNote: $("offline-note"),
    scenarioTitle: $("scenario-title"),
    newGameButton: $("new-game-button"),
    linesButton: $("lines-button"),
    linesDialog: $("lines-dialog"),
    linesStatus: $("lines-status"),
    linesList: $("lines-list"),
    linesClose: $("lines-close"),
    rewindDialog: $("rewind-dialog"),
    rewindText: $("rewind-text"),
    rewindCancel: $("rewind-cancel"),
    rewindConfirm: $("rewind-confirm"),
    gameError: $("game-error"),
    gameErrorText: $("game-error-text"),
    gameErrorClose: $("game-error-close"),
    startScreen: $("start-screen"),
    startForm: $("new-game-form"),
    startButton: $("start-button"),
    startError: $("start-error"),
    nameInput: $("character-name"),
    classSelect: $("character-class"),
    backstoryInput: $("character-backstory"),
    methodHint: $("method-hint"),
    abilityInputs: $("ability-inputs"),
    pointsLeft: $("points-left"),
    scenarioPicker: $("scenario-picker"),
    scenarioOptions: $("scenario-options"),
    charBackstory: $("char-backstory"),
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
    busy: false,      // a turn (or a retold turn) is streaming
    working: false,   // a choose / rewind / switch / paging call is under way
    outcome: null,
    turns: [],        // the shown turns of the active line, oldest first; each knows its .li
    nextBefore: null, // the turn number to page back from ("Earlier turns"), or null
    olderLi: null,    // the story entry holding the "Earlier turns" button
    rewindTo: null,   // the turn a pending rewind confirmation is about
    rewindFrom: null, // the button that opened it (focus returns there on cancel)
    focusAfterLines: null, // where focus goes when the lines dialog closes
  };
  const PLACEHOLDER = ui.turnInput.placeholder;

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
    ui.linesButton.hidden = true;
    ui.scenarioTitle.hidden = true;
    loadSavedGames();
    ui.nameInput.focus();
  }

  function showGame(game) {
    ui.startScreen.hidden = true;
    ui.gameScreen.hidden = false;
    ui.newGameButton.hidden = false;
    ui.linesButton.hidden = false;
    ui.scenarioTitle.textContent = (game.scenario && game.scenario.title) || "";
    ui.scenarioTitle.hidden = !ui.scenarioTitle.textContent;
    hideGameError();
    renderGame(game);
    setBusy(false);
    scrollStory(true);
    ui.turnInput.focus();
  }

  /** Draw the story, the sheet and the log from a game JSON (after load, choose, rewind...). */
  function renderGame(game) {
    app.game = game;
    app.outcome = null;
    app.turns = [];
    app.nextBefore = null;
    app.olderLi = null;
    ui.outcomeBanner.hidden = true;
    ui.turnInput.placeholder = PLACEHOLDER;
    clear(ui.story);
    clear(ui.diceLog);

    if (game.scenario && game.scenario.intro) {
      const intro = addGmEntry(game.scenario.intro);
      intro.classList.add("intro");
      if (game.scenario.goal) {
        intro.appendChild(el("p", "goal", `Goal: ${game.scenario.goal}`));
      }
    }
    renderChronicle(game.chronicle);
    const turns = Array.isArray(game.turns) ? game.turns : [];
    if (game.line && game.line.older && turns.length && turns[0].number > 1) {
      app.nextBefore = turns[0].number;
      addOlderEntry();
    }
    for (const turn of turns) renderHistoryTurn(turn);
    app.turns = turns.slice();
    if (game.state) renderState(game.state);
    if (!app.outcome && (game.status === "won" || game.status === "dead")) {
      showOutcome(game.status);
    }
    refreshTurnActions();
    syncControls();
  }

  /** "Story so far": one summary per closed chapter (model text: textContent only). */
  function renderChronicle(chronicle) {
    if (!Array.isArray(chronicle) || !chronicle.length) return;
    const li = el("li", "chronicle");
    const details = document.createElement("details");
    details.appendChild(el("summary", "chronicle-title",
      `Story so far (${chronicle.length} chapter${chronicle.length === 1 ? "" : "s"})`));
    const list = el("ol", "chronicle-list");
    for (const chapter of chronicle) {
      const item = el("li", "chronicle-chapter");
      item.appendChild(el("strong", "chronicle-head",
        `Chapter ${chapter.number} (turns ${chapter.first_turn}\u2013${chapter.last_turn}): `));
      item.appendChild(el("span", "chronicle-summary", String(chapter.summary || "")));
      list.appendChild(item);
    }
    details.appendChild(list);
    li.appendChild(details);
    ui.story.appendChild(li);
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
      const game = await api("POST", "/api/games", newGameBody(name));
      showGame(game);
    } catch (err) {
      showStartError(err.message);
    } finally {
      ui.startButton.disabled = false;
    }
  }

  // ------------------------------------------------------------------ character creation

  /** The chosen ability method: "class" (the class's own scores), standard_array or point_buy. */
  function creationMethod() {
    const checked = ui.startForm.querySelector('input[name="method"]:checked');
    return checked ? checked.value : "class";
  }

  /** The POST /api/games body the form describes. */
  function newGameBody(name) {
    const character = { name, class: ui.classSelect.value };
    const method = creationMethod();
    if (method !== "class") {
      character.method = method;
      character.abilities = chosenScores();
    }
    const backstory = ui.backstoryInput.value.trim();
    if (backstory) character.backstory = backstory;
    const body = { character };
    const scenario = ui.startForm.querySelector('input[name="scenario"]:checked');
    if (scenario) body.scenario = scenario.value;
    return body;
  }

  /** The six scores as the form holds them (numbers; the server judges them). */
  function chosenScores() {
    const scores = {};
    for (const field of ui.abilityInputs.querySelectorAll("[data-ability]")) {
      const value = Number(field.value);
      scores[field.dataset.ability] = field.value === "" || Number.isNaN(value) ? null : value;
    }
    return scores;
  }

  /** The abilities ordered best first for the chosen class (its own scores), to seed choices. */
  function classRanking() {
    const own = (CREATION.classes || {})[ui.classSelect.value] || {};
    const abilities = CREATION.abilities || Object.keys(ABILITY_ABBR);
    return abilities.slice().sort((a, b) => (own[b] || 0) - (own[a] || 0));
  }

  /** Rebuild the score inputs for the chosen method: selects of the standard array, or
   * number inputs for point-buy; the class's own scores need none. */
  function renderAbilityInputs() {
    const method = creationMethod();
    clear(ui.abilityInputs);
    ui.abilityInputs.hidden = method === "class";
    ui.pointsLeft.hidden = method !== "point_buy";
    const array = CREATION.standard_array || [];
    const buy = CREATION.point_buy || {};
    const hints = {
      class: "The class's own scores.",
      standard_array: `Give each of ${array.join(", ")} to one ability.`,
      point_buy: `Each score ${buy.min}\u2013${buy.max}; spend up to ${buy.budget} points.`,
    };
    ui.methodHint.textContent = hints[method] || "";
    if (method === "class") return;
    const ranking = classRanking();
    for (const ability of CREATION.abilities || []) {
      const id = `score-${ability}`;
      const row = el("div", "ability-input");
      const label = el("label", null, humanize(ability));
      label.htmlFor = id;
      let field;
      if (method === "standard_array") {
        field = document.createElement("select");
        for (const value of array) {
          const option = el("option", null, value);
          option.value = String(value);
          field.appendChild(option);
        }
        field.value = String(array[ranking.indexOf(ability)] ?? array[array.length - 1]);
      } else {
        field = document.createElement("input");
        field.type = "number";
        field.min = String(buy.min);
        field.max = String(buy.max);
        field.step = "1";
        field.value = String(buy.min);
        field.addEventListener("input", renderPointsLeft);
      }
      field.id = id;
      field.dataset.ability = ability;
      row.append(label, field);
      ui.abilityInputs.appendChild(row);
    }
    renderPointsLeft();
  }

  /** "Points left" for a point-buy, from the server's costs (over budget says so). */
  function renderPointsLeft() {
    if (creationMethod() !== "point_buy") return;
    const buy = CREATION.point_buy || {};
    const costs = buy.costs || {};
    let spent = 0;
    for (const value of Object.values(chosenScores())) {
      const cost = costs[String(value)];
      if (cost === undefined) {
        ui.pointsLeft.textContent = `Each score must be a whole number from ${buy.min} to ${buy.max}.`;
        ui.pointsLeft.classList.add("over");
        return;
      }
      spent += cost;
    }
    const left = buy.budget - spent;
    ui.pointsLeft.textContent = left >= 0
      ? `Points left: ${left} of ${buy.budget}`
      : `Over budget: ${spent} points of ${buy.budget}`;
    ui.pointsLeft.classList.toggle("over", left < 0);
  }

  /** The scenario picker: one radio card per adventure with its title, tagline and tone. */
  async function loadScenarios() {
    let scenarios;
    try {
      scenarios = await api("GET", "/api/scenarios");
    } catch (_) {
      return; // no picker: the server's default adventure
    }
    if (!Array.isArray(scenarios) || !scenarios.length) return;
    clear(ui.scenarioOptions);
    const wanted = ui.scenarioPicker.dataset.default;
    const chosen = scenarios.some((s) => s.id === wanted) ? wanted : scenarios[0].id;
    for (const scenario of scenarios) {
      const key = String(scenario.id).replace(/[^A-Za-z0-9_-]/g, "_");
      const card = el("label", "scenario-option");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "scenario";
      input.value = String(scenario.id);
      input.checked = scenario.id === chosen;
      const text = el("span", "scenario-text");
      const title = el("span", "scenario-name", scenario.title || scenario.id);
      title.id = `scenario-title-${key}`;
      text.appendChild(title);
      const described = [];
      if (scenario.tagline) {
        const tagline = el("span", "scenario-tagline", scenario.tagline);
        tagline.id = `scenario-tagline-${key}`;
        described.push(tagline.id);
        text.appendChild(tagline);
      }
      if (scenario.tone) {
        const tone = el("span", "scenario-tone", `Tone: ${scenario.tone}`);
        tone.id = `scenario-tone-${key}`;
        described.push(tone.id);
        text.appendChild(tone);
      }
      input.setAttribute("aria-labelledby", title.id);
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      card.append(input, text);
      ui.scenarioOptions.appendChild(card);
    }
    ui.scenarioPicker.hidden = false;
  }

  function showStartError(message) {
    ui.startError.textContent = message;
    ui.startError.hidden = false;
  }
  function hideStartError() {
    ui.startError.hidden = true;
    ui.startError.textContent = "";
  }

  // ------------------------------------------------------------------ saved games

  // "Your adventures" on the start screen: this browser's games from GET /api/games,
  // newest played first. Continue loads one; Archive asks first, then hides it (the server
  // keeps everything).
  const saved = {
    status: $("saved-status"),
    list: $("saved-list"),
    dialog: $("archive-dialog"),
    dialogText: $("archive-text"),
    cancel: $("archive-cancel"),
    confirm: $("archive-confirm"),
    loads: 0,       // the latest list request; older answers are dropped
    archiving: null, // {game, from}: the game the open dialog asks about, and its button
  };
  const STATUS_TEXT = { active: "In progress", won: "Won", dead: "Fallen" };

  /** (Re)draw the list; resolves once it is drawn (or its error shown). */
  async function loadSavedGames() {
    const load = ++saved.loads;
    if (!saved.list.childElementCount) saved.status.textContent = "Loading your adventures\u2026";
    let games;
    try {
      games = await api("GET", "/api/games");
    } catch (err) {
      if (load === saved.loads) {
        saved.status.textContent = `Your adventures could not be loaded: ${err.message}`;
      }
      return;
    }
    if (load !== saved.loads) return;
    const list = Array.isArray(games) ? games : [];
    clear(saved.list);
    for (const game of list) saved.list.appendChild(savedItem(game));
    saved.list.hidden = !list.length;
    saved.status.textContent = list.length
      ? ""
      : "No adventures yet. The games you start here will wait for you in this list.";
  }

  /** What the list and the dialog call a game: "Ada in The Drowned Bell". */
  function savedName(game) {
    const ch = game.character || {};
    const title = game.scenario && game.scenario.title;
    return title ? `${ch.name} in ${title}` : String(ch.name || "");
  }

  function playedText(seconds) {
    const when = new Date(Number(seconds) * 1000);
    if (Number.isNaN(when.getTime())) return null;
    return when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function savedItem(game) {
    const li = el("li", "saved-item");
    li.dataset.gameId = game.id;
    const ch = game.character || {};
    const status = String(game.status || "active");
    const title = game.scenario && game.scenario.title;
    const text = el("div", "saved-text");
    const head = el("p", "saved-head");
    head.appendChild(el("strong", "saved-name", ch.name));
    head.appendChild(el("span", "muted", `${capitalize(ch.class)}, level ${ch.level}`));
    head.appendChild(el("span", `tag tag-status tag-${status}`,
      STATUS_TEXT[status] || humanize(status)));
    text.appendChild(head);
    text.appendChild(el("p", "saved-scenario", title ||
      `This adventure (${game.scenario && game.scenario.id}) is no longer on this server.`));
    const n = Number(game.turns) || 0;
    const facts = el("p", "saved-facts muted", `${n} ${n === 1 ? "turn" : "turns"}`);
    const played = playedText(game.last_played);
    if (played) {
      facts.appendChild(document.createTextNode(" \u00B7 last played "));
      const time = el("time", null, played);
      time.dateTime = new Date(Number(game.last_played) * 1000).toISOString();
      facts.appendChild(time);
    }
    text.appendChild(facts);
    li.appendChild(text);

    const actions = el("div", "saved-actions");
    const name = savedName(game);
    const go = el("button", "btn btn-small btn-primary saved-continue", "Continue");
    go.type = "button";
    go.setAttribute("aria-label", `Continue ${name}`);
    go.disabled = !title; // its adventure is gone: the game cannot be played here
    go.addEventListener("click", () => continueSaved(game.id, go));
    const archive = el("button", "btn btn-small saved-archive", "Archive");
    archive.type = "button";
    archive.setAttribute("aria-label", `Archive ${name}`);
    archive.setAttribute("aria-haspopup", "dialog");
    archive.addEventListener("click", () => askArchive(game, archive));
    actions.append(go, archive);
    li.appendChild(actions);
    return li;
  }

  async function continueSaved(gameId, button) {
    button.disabled = true;
    try {
      showGame(await api("GET", `/api/games/${encodeURIComponent(gameId)}`));
    } catch (err) {
      saved.status.textContent = err.message;
      if (button.isConnected) button.focus();
    } finally {
      button.disabled = false;
    }
  }

  function askArchive(game, button) {
    saved.archiving = { game, from: button };
    saved.dialogText.textContent = `${savedName(game)} leaves this list. ` +
      "Nothing is deleted: the game and its turns are kept.";
    saved.dialog.returnValue = "";
    saved.dialog.showModal();
  }

  // The answer is taken when it is given (a button, or Escape's cancel event), not from the
  // dialog's close event: that one is queued, and a quick keyboard can open the dialog again
  // before it arrives, which would read the new question's answer as the old one's.
  function endArchive(confirmed) {
    const pending = saved.archiving;
    saved.archiving = null;
    if (saved.dialog.open) saved.dialog.close(confirmed ? "archive" : "cancel");
    if (!pending) return;
    if (confirmed) {
      archiveGame(pending.game, pending.from);
    } else if (pending.from.isConnected) {
      pending.from.focus();
    }
  }

  async function archiveGame(game, from) {
    const items = Array.from(saved.list.children);
    const index = items.findIndex((li) => li.dataset.gameId === game.id);
    try {
      await api("POST", `/api/games/${encodeURIComponent(game.id)}/archive`);
    } catch (err) {
      saved.status.textContent = `${savedName(game)} could not be archived: ${err.message}`;
      if (from.isConnected) from.focus();
      return;
    }
    await loadSavedGames();
    // Focus stays in the list: the entry that took the archived one's place, else the form.
    const rest = saved.list.children;
    const next = rest.length ? rest[Math.min(Math.max(index, 0), rest.length - 1)] : null;
    const target = next ? next.querySelector(".saved-continue:not(:disabled), .saved-archive")
      : ui.nameInput;
    if (target) target.focus();
  }

  function initSavedGames() {
    saved.cancel.addEventListener("click", () => endArchive(false));
    saved.confirm.addEventListener("click", () => endArchive(true));
    saved.dialog.addEventListener("cancel", () => endArchive(false));
    // Closed some other way (not by us): a question still open is a "no".
    saved.dialog.addEventListener("close", () => {
      if (saved.archiving && !saved.dialog.open) endArchive(false);
    });
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

  /** The player's entry; placed before ``before`` (older turns paging in) or at the end. */
  function addPlayerEntry(message, before) {
    const li = el("li", "entry entry-player");
    li.appendChild(el("p", "speaker", "You"));
    li.appendChild(el("p", "entry-text", message));
    ui.story.insertBefore(li, before || null);
    return li;
  }

  /** A GM entry; returns the <li>. Its text lives in one text node (li._text). */
  function addGmEntry(text, before) {
    const li = el("li", "entry entry-gm");
    li.appendChild(el("p", "speaker", "Game Master"));
    const p = el("p", "entry-text");
    const node = document.createTextNode(text || "");
    p.appendChild(node);
    li.appendChild(p);
    li._text = node;
    ui.story.insertBefore(li, before || null);
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
  function addErrorEntry(err, message, playerLi, before) {
    const li = el("li", "entry entry-error");
    li.setAttribute("role", "alert");
    li.appendChild(el("p", "speaker", "Something went wrong"));
    li.appendChild(el("p", "entry-text", err.message || "The turn failed."));
    if (err.code) li.appendChild(el("p", "error-code", err.code));
    const retry = el("button", "btn btn-small retry-button", "Retry");
    retry.type = "button";
    retry.title = `Send \u201C${message}\u201D again`;
    retry.addEventListener("click", () => {
      if (app.busy || app.working) return;
      li.remove();
      if (playerLi) playerLi.remove();
      // The failed turn leaves the story (as before); the resent message is a new turn.
      app.turns = app.turns.filter((t) => t.li !== li);
      sendTurn(message);
    });
    li.appendChild(retry);
    ui.story.insertBefore(li, before || null);
    return li;
  }

  /** One stored turn: the player's entry, then the reply (or error); ``before`` for paging. */
  function renderHistoryTurn(turn, before, logTools = true) {
    const playerLi = addPlayerEntry(turn.player_message || "", before);
    if (logTools) for (const call of turn.tool_calls || []) addLogEntry(call);
    let li;
    if (turn.status === "completed") {
      li = addGmEntry(turn.narration || "", before);
      finishGmEntry(li, turn.id, turn.trace, turn.feedback);
    } else if (turn.status === "failed") {
      const e = turn.error || {};
      li = addErrorEntry(new ApiError(e.code || "turn_failed", e.message || "The turn failed."),
        turn.player_message || "", playerLi, before);
    } else {
      li = addGmEntry(turn.narration || "", before);
      li.appendChild(el("p", "note", "This turn was still being played. Reload to see how it ended."));
    }
    attachTurn(li, turn);
  }

  /** Tie a reply's entry to its turn, so the line controls know what they act on. */
  function attachTurn(li, turn) {
    turn.li = li;
    li._turn = turn;
    li.dataset.turnId = turn.id;
    li.dataset.turn = String(turn.number);
  }

  // ------------------------------------------------------------------ turns

  function setBusy(busy) {
    app.busy = busy;
    ui.busy.hidden = !busy;
    ui.sendButton.disabled = busy || !!app.outcome;
    ui.turnInput.disabled = busy || !!app.outcome;
    ui.gameScreen.classList.toggle("is-busy", busy);
    syncControls();
  }

  /** A choose / rewind / switch / paging call is under way: hold the other controls. */
  function setWorking(working) {
    app.working = working;
    ui.sendButton.disabled = working || app.busy || !!app.outcome;
    ui.gameScreen.classList.toggle("is-working", working);
    syncControls();
  }

  /** Retry, ‹ ›, rewind, switch and paging wait while a turn runs or a call is under way. */
  function syncControls() {
    const hold = app.busy || app.working;
    for (const b of ui.story.querySelectorAll(".retry-button, .line-action")) {
      b.disabled = hold || b.dataset.off === "true";
    }
    ui.linesButton.disabled = hold;
    for (const b of ui.linesList.querySelectorAll(".line-switch")) {
      b.disabled = hold || b.dataset.off === "true";
    }
  }

  function submitTurn(event) {
    if (event) event.preventDefault();
    if (app.busy || app.working || app.outcome) return;
    const message = ui.turnInput.value.trim();
    if (!message) {
      ui.turnInput.focus();
      return;
    }
    sendTurn(message);
  }

  /** Play one turn, streaming the reply. Never throws; failures become an inline error. */
  async function sendTurn(message) {
    if (app.busy || app.working || !app.game) return;
    const gameId = app.game.id;
    const playerLi = addPlayerEntry(message);
    // The message moves into the story (and into the Retry button if the turn fails).
    if (ui.turnInput.value.trim() === message) ui.turnInput.value = "";
    hideGameError();
    setBusy(true);
    scrollStory(true);

    const turn = { id: null, number: null, gmLi: null, done: false, error: null, text: "" };
    const played = { player_message: message, status: "completed", tool_calls: [] };
    try {
      await streamTurn(`/api/games/${encodeURIComponent(gameId)}/turns`, { message }, turn);
      attachTurn(turn.gmLi, Object.assign(played, {
        id: turn.id, number: turn.number, narration: turn.gmLi._text.data }));
      app.turns.push(played);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError("network_error",
        "The connection to the server was lost.");
      if (turn.gmLi && !turn.text) turn.gmLi.remove();
      else if (turn.gmLi) turn.gmLi.classList.remove("streaming");
      const errLi = addErrorEntry(e, message, turn.gmLi && turn.text ? null : playerLi);
      if (turn.id) {
        // The server stored the failed turn: it holds a place in the line (for rewinds).
        attachTurn(errLi, Object.assign(played, { id: turn.id, number: turn.number,
          status: "failed" }));
        app.turns.push(played);
      }
      // Keep the message at hand: put it back in the input if the player has not typed anew.
      if (!ui.turnInput.value.trim()) ui.turnInput.value = message;
    } finally {
      setBusy(false);
      refreshTurnActions();
      scrollStory();
      ui.turnInput.focus();
    }
  }

  /** POST ``body`` to a turn endpoint and stream its reply into ``turn``; throws on failure. */
  async function streamTurn(path, body, turn) {
    let resp;
    try {
      resp = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
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
      case "turn.started": {
        turn.id = data.turn_id || null;
        const last = app.turns[app.turns.length - 1];
        turn.number = Number.isInteger(data.number) ? data.number : (last ? last.number + 1 : 1);
        break;
      }
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

  // ------------------------------------------------------------------ lines of play

  function gamePath(rest) {
    return `/api/games/${encodeURIComponent(app.game.id)}${rest}`;
  }

  /** The newest shown turn of the active line: the only one Retry and ‹ › act on. */
  function latestTurn() {
    return app.turns.length ? app.turns[app.turns.length - 1] : null;
  }

  function showGameError(err) {
    ui.gameErrorText.textContent = (err && err.message) || "Something went wrong.";
    ui.gameError.hidden = false;
    if (typeof ui.gameError.scrollIntoView === "function") {
      ui.gameError.scrollIntoView({ block: "nearest" });
    }
  }

  function hideGameError() {
    ui.gameError.hidden = true;
    ui.gameErrorText.textContent = "";
  }

  function smallButton(className, text, label, onClick) {
    const b = el("button", `btn btn-small line-action ${className}`, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  /** Rebuild each reply's line controls: Retry and ‹ › on the latest, rewind on the rest. */
  function refreshTurnActions() {
    const latest = latestTurn();
    for (const turn of app.turns) {
      const li = turn.li;
      if (!li) continue;
      const old = li.querySelector(".turn-actions");
      if (old) old.remove();
      const box = turnActions(turn, turn === latest);
      if (!box) continue;
      let meta = li.querySelector(":scope > .entry-meta");
      if (!meta) {
        meta = el("div", "entry-meta");
        li.appendChild(meta);
      }
      meta.insertBefore(box, meta.firstChild);
    }
    syncControls();
  }

  function turnActions(turn, isLatest) {
    const box = el("div", "turn-actions");
    if (isLatest) {
      // A failed latest turn keeps its own Retry (which sends the message again).
      if (turn.status !== "completed") return null;
      const alts = turn.alternatives;
      if (alts && alts.count > 1 && Array.isArray(alts.ids)) box.appendChild(tellingSwitch(turn));
      box.appendChild(smallButton("retry-reply", "Retry", "Retry this reply",
        () => retryTurn(turn)));
      box.lastChild.title = "Tell this reply again (the other tellings are kept)";
    } else {
      const b = smallButton("rewind-button", "Rewind to here",
        `Rewind to here, just after turn ${turn.number}`, (event) => askRewind(turn, event.currentTarget));
      box.appendChild(b);
    }
    return box;
  }

  /** ‹ 2/3 ›: flip between the tellings of the latest reply. */
  function tellingSwitch(turn) {
    const { index, count, ids } = turn.alternatives;
    const group = el("div", "alt-switch");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", `Telling ${index} of ${count}`);
    const flip = (to, cls, glyph) => {
      const b = smallButton(`btn-icon alt-flip ${cls}`, glyph,
        to >= 1 && to <= count ? `Show telling ${to} of ${count}` : null,
        () => chooseTelling(ids[to - 1], cls));
      b.classList.remove("btn", "btn-small");
      if (to < 1 || to > count) {
        b.dataset.off = "true";
        b.setAttribute("aria-label", cls === "alt-prev" ? "No earlier telling" : "No later telling");
      }
      return b;
    };
    const counter = el("span", "alt-count", `${index}/${count}`);
    counter.setAttribute("aria-hidden", "true"); // the group's label says it in words
    group.append(flip(index - 1, "alt-prev", "\u2039"), counter,
      flip(index + 1, "alt-next", "\u203A"));
    return group;
  }

  /** Tell the latest turn again, streaming the new telling into the same story slot. */
  async function retryTurn(turn) {
    if (app.busy || app.working || !app.game || !turn.li || !turn.li._text) return;
    hideGameError();
    const li = turn.li;
    const before = li._text.data;
    const meta = li.querySelector(":scope > .entry-meta");
    if (meta) meta.remove();
    li._text.data = "";
    li.classList.add("streaming");
    setBusy(true);
    scrollStory(true);
    const run = { id: null, number: null, gmLi: li, done: false, error: null, text: "" };
    let failure = null;
    try {
      await streamTurn(gamePath(`/turns/${encodeURIComponent(turn.id)}/retry`), {}, run);
    } catch (err) {
      failure = err instanceof ApiError ? err : new ApiError("network_error",
        "The connection to the server was lost.");
    }
    // The stored game is the authority on the tellings and the state: draw it again. A failed
    // retry leaves the earlier tellings and the state as they were.
    try {
      renderGame(await api("GET", gamePath("")));
    } catch (err) {
      failure = failure || err;
      li.classList.remove("streaming");
      li._text.data = before;
      if (meta) li.appendChild(meta);
    }
    setBusy(false);
    if (failure) showGameError(failure);
    scrollStory(true);
    const again = latestTurn() && latestTurn().li &&
      latestTurn().li.querySelector(".retry-reply");
    (again || ui.turnInput).focus();
  }

  /** Run a call that answers with the game JSON, then draw the game from it. */
  async function applyGameCall(method, path, body) {
    if (app.busy || app.working || !app.game) return false;
    hideGameError();
    setWorking(true);
    try {
      const game = await api(method, path, body);
      renderGame(game);
      return true;
    } catch (err) {
      showGameError(err);
      return false;
    } finally {
      setWorking(false);
    }
  }

  /** Make another telling of the latest turn the current one; the sheet follows it. */
  async function chooseTelling(turnId, side) {
    const ok = await applyGameCall("POST", gamePath(`/turns/${encodeURIComponent(turnId)}/choose`));
    if (!ok) return;
    scrollStory(true);
    const latest = latestTurn();
    const li = latest && latest.li;
    const same = li && li.querySelector(`.${side}`);
    const other = li && li.querySelector(side === "alt-prev" ? ".alt-next" : ".alt-prev");
    if (same && !same.disabled) same.focus();
    else if (other) other.focus();
  }

  /** Ask before rewinding: say which turns will be set aside (nothing is deleted). */
  function askRewind(turn, button) {
    if (app.busy || app.working || !app.game) return;
    const last = latestTurn();
    const end = last ? last.number : turn.number;
    const first = turn.number + 1;
    const aside = first >= end ? `Turn ${end} will` : `Turns ${first}\u2013${end} will`;
    ui.rewindText.textContent = `The story goes back to just after turn ${turn.number}. ` +
      `${aside} be set aside as another line of play; nothing is deleted.`;
    app.rewindTo = turn.number;
    app.rewindFrom = button || null;
    ui.rewindDialog.returnValue = "";
    ui.rewindDialog.showModal();
  }

  async function rewindClosed() {
    const to = app.rewindTo;
    const from = app.rewindFrom;
    app.rewindTo = null;
    app.rewindFrom = null;
    if (ui.rewindDialog.returnValue !== "rewind" || to === null) {
      if (from && from.isConnected) from.focus();
      return;
    }
    const ok = await applyGameCall("POST", gamePath("/rewind"), { to_turn: to });
    if (ok) scrollStory(true);
    if (ok || !from || !from.isConnected) ui.turnInput.focus();
    else from.focus();
  }

  /** The lines-of-play dialog: every line, the one being played marked, Switch on the rest. */
  async function openLines() {
    if (!app.game || app.busy || app.working) return;
    clear(ui.linesList);
    ui.linesStatus.textContent = "Loading\u2026";
    ui.linesDialog.showModal();
    try {
      const lines = await api("GET", gamePath("/branches"));
      const list = Array.isArray(lines) ? lines : [];
      ui.linesStatus.textContent = list.length > 1
        ? `${list.length} lines of play.`
        : "One line so far. Rewind to an earlier turn to start another.";
      // Newest first; number them in the order they were made.
      list.forEach((line, i) => ui.linesList.appendChild(lineItem(line, list.length - i)));
      syncControls();
    } catch (err) {
      ui.linesStatus.textContent = err.message;
    }
  }

  function lineItem(line, ordinal) {
    const li = el("li", "line-item");
    li.classList.toggle("active", !!line.active);
    const text = el("div", "line-text");
    const head = el("p", "line-head");
    head.appendChild(el("strong", null, `Line ${ordinal}`));
    if (line.active) head.appendChild(el("span", "tag tag-active", "playing now"));
    text.appendChild(head);
    const n = Number(line.turns) || 0;
    const facts = [`${n} ${n === 1 ? "turn" : "turns"}`];
    if (line.reason === "rewind" && Number.isInteger(line.forked_from_turn)) {
      facts.push(`rewound to turn ${line.forked_from_turn}`);
    }
    text.appendChild(el("p", "line-facts muted", facts.join(" \u00B7 ")));
    if (line.last_message) {
      text.appendChild(el("p", "line-last", `Last: \u201C${line.last_message}\u201D`));
    }
    li.appendChild(text);
    const b = el("button", "btn btn-small line-switch", line.active ? "Playing" : "Switch");
    b.type = "button";
    b.setAttribute("aria-label", line.active
      ? `Playing line ${ordinal}` : `Switch to line ${ordinal}`); // name starts as shown
    if (line.active) b.dataset.off = "true";
    b.addEventListener("click", () => switchLine(line.id));
    li.appendChild(b);
    return li;
  }

  async function switchLine(branchId) {
    const ok = await applyGameCall("POST",
      gamePath(`/branches/${encodeURIComponent(branchId)}/activate`));
    if (ok) {
      app.focusAfterLines = ui.turnInput;
      ui.linesDialog.close();
      scrollStory(true);
    } else {
      ui.linesStatus.textContent = ui.gameErrorText.textContent;
    }
  }

  /** The "Earlier turns" entry at the top of the story, for a line longer than one page. */
  function addOlderEntry() {
    const li = el("li", "entry-older");
    const b = smallButton("older-button", "Earlier turns", null, loadOlder);
    b.title = "Show the turns before these";
    li.appendChild(b);
    ui.story.appendChild(li);
    app.olderLi = li;
  }

  /** Page in the turns before the oldest shown one (pages come newest first). */
  async function loadOlder() {
    if (!app.game || app.nextBefore === null || app.busy || app.working || !app.olderLi) return;
    const game = app.game;
    setWorking(true);
    try {
      const page = await api("GET",
        gamePath(`/turns?before=${encodeURIComponent(app.nextBefore)}&limit=${OLDER_PAGE}`));
      if (app.game !== game || !app.olderLi) return; // the game was redrawn meanwhile
      const older = (Array.isArray(page.turns) ? page.turns : []).slice().reverse();
      const s = ui.story;
      const height = s.scrollHeight;
      const anchor = app.olderLi.nextSibling;
      for (const turn of older) renderHistoryTurn(turn, anchor, false);
      app.turns = older.concat(app.turns);
      app.nextBefore = Number.isInteger(page.next_before) ? page.next_before : null;
      // Keep the reader where they were: the new turns appear above.
      if (getComputedStyle(s).overflowY !== "visible") s.scrollTop += s.scrollHeight - height;
      if (app.nextBefore === null) {
        app.olderLi.remove();
        app.olderLi = null;
      }
      refreshTurnActions();
    } catch (err) {
      showGameError(err);
    } finally {
      setWorking(false);
    }
    const more = app.olderLi && app.olderLi.querySelector("button");
    (more || ui.story).focus();
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
    if (Number.isInteger(r.hp) && Number.isInteger(r.max_hp)) renderHp(r.hp, r.max_hp);
    if (Array.isArray(r.conditions)) renderConditions(r.conditions);
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
    const show = (TOOLS[name] && TOOLS[name].show) || "action";
    const r = call.result && typeof call.result === "object" ? call.result : {};
    const li = el("li", "log-entry");
    if (call.is_error) {
      // A refusal is {"error": {"code", "message", ...facts}} (older turns: a plain string).
      const refusal = r.error && typeof r.error === "object" ? r.error.message : r.error;
      li.classList.add("log-error");
      li.appendChild(el("span", "log-kind", toolLabel(name)));
      li.appendChild(el("span", "log-main", "refused"));
      li.appendChild(el("span", "log-detail", String(refusal || "the rules refused")));
    } else if (show === "roll") {
      li.classList.add("log-roll");
      li.appendChild(el("span", "log-kind", `Roll ${r.notation || ""}`.trim()));
      li.appendChild(el("span", "log-main", `= ${r.total ?? "?"}`));
      const kept = Array.isArray(r.kept) ? r.kept.join(", ") : "";
      let detail = kept ? `[${kept}]` : "";
      if (r.modifier) detail += ` ${signed(r.modifier)}`;
      if (r.advantage && r.advantage !== "none") detail += ` (${r.advantage})`;
      if (r.reason) detail += ` \u00B7 ${r.reason}`;
      li.appendChild(el("span", "log-detail", detail.trim()));
    } else if (show === "check") {
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
      li.appendChild(el("span", "log-main", toolLabel(name)));
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
    // The tip as hidden text: a plain <span> cannot carry an aria-label (axe: aria-prohibited-attr).
    if (offline) ui.offlineBadge.appendChild(el("span", "visually-hidden", `. ${OFFLINE_TIP}`));

    ui.startForm.addEventListener("submit", startGame);
    for (const radio of ui.startForm.querySelectorAll('input[name="method"]')) {
      radio.addEventListener("change", renderAbilityInputs);
    }
    renderAbilityInputs();
    loadScenarios();
    initSavedGames();
    ui.newGameButton.addEventListener("click", () => {
      if (!app.busy && !app.working) showStart();
    });
    ui.turnForm.addEventListener("submit", submitTurn);
    ui.linesButton.addEventListener("click", openLines);
    ui.linesClose.addEventListener("click", () => ui.linesDialog.close());
    ui.linesDialog.addEventListener("close", () => {
      // After a switch the composer takes focus; otherwise back to the button that opened it.
      const target = app.focusAfterLines || ui.linesButton;
      app.focusAfterLines = null;
      if (!ui.gameScreen.hidden && !target.hidden) target.focus();
    });
    ui.rewindCancel.addEventListener("click", () => ui.rewindDialog.close("cancel"));
    ui.rewindConfirm.addEventListener("click", () => ui.rewindDialog.close("rewind"));
    ui.rewindDialog.addEventListener("close", rewindClosed);
    ui.gameErrorClose.addEventListener("click", () => {
      hideGameError();
      ui.turnInput.focus();
    });
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
