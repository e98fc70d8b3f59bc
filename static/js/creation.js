// The new-game form: name, class, ability scores (the class's own, the standard array or a
// point-buy, with points left), backstory and the adventure. Its numbers come from the
// server's rules (data block gm-creation); the server judges what is sent.

import { api } from "./api.js";
import { $, clear, dataBlock, el, humanize } from "./dom.js";

const CREATION = dataBlock("gm-creation");
const ui = {
  form: $("new-game-form"),
  start: $("start-button"),
  error: $("start-error"),
  name: $("character-name"),
  cls: $("character-class"),
  backstory: $("character-backstory"),
  hint: $("method-hint"),
  scores: $("ability-inputs"),
  pointsLeft: $("points-left"),
  picker: $("scenario-picker"),
  options: $("scenario-options"),
};
let onCreated = () => {};
// What the form's submit does with its body: by default, make a new game and open it.
// Joining a party (invite.js) swaps in taking a seat with the character.
let submitBody = null;

/** The chosen ability method: "class" (the class's own scores), standard_array or point_buy. */
function method() {
  const checked = ui.form.querySelector('input[name="method"]:checked');
  return checked ? checked.value : "class";
}

/** The six scores as the form holds them (numbers; the server judges them). */
function chosenScores() {
  const scores = {};
  for (const field of ui.scores.querySelectorAll("[data-ability]")) {
    const value = Number(field.value);
    scores[field.dataset.ability] = field.value === "" || Number.isNaN(value) ? null : value;
  }
  return scores;
}

/** The POST /api/games body the form describes. */
function newGameBody(name) {
  const character = { name, class: ui.cls.value };
  if (method() !== "class") {
    character.method = method();
    character.abilities = chosenScores();
  }
  const backstory = ui.backstory.value.trim();
  if (backstory) character.backstory = backstory;
  const body = { character };
  const scenario = ui.form.querySelector('input[name="scenario"]:checked');
  if (scenario && !submitBody) body.scenario = scenario.value;
  return body;
}

/** The abilities ordered best first for the chosen class (its own scores), to seed choices. */
function classRanking() {
  const own = (CREATION.classes || {})[ui.cls.value] || {};
  return (CREATION.abilities || []).slice().sort((a, b) => (own[b] || 0) - (own[a] || 0));
}

/** Rebuild the score inputs for the chosen method: selects of the standard array, or number
 * inputs for point-buy; the class's own scores need none. */
function renderAbilityInputs() {
  const chosen = method();
  clear(ui.scores);
  ui.scores.hidden = chosen === "class";
  ui.pointsLeft.hidden = chosen !== "point_buy";
  const array = CREATION.standard_array || [];
  const buy = CREATION.point_buy || {};
  const hints = {
    class: "The class's own scores.",
    standard_array: `Give each of ${array.join(", ")} to one ability.`,
    point_buy: `Each score ${buy.min}\u2013${buy.max}; spend up to ${buy.budget} points.`,
  };
  ui.hint.textContent = hints[chosen] || "";
  if (chosen === "class") return;
  const ranking = classRanking();
  for (const ability of CREATION.abilities || []) {
    const id = `score-${ability}`;
    const row = el("div", "ability-input");
    const label = el("label", null, humanize(ability));
    label.htmlFor = id;
    let field;
    if (chosen === "standard_array") {
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
    ui.scores.appendChild(row);
  }
  renderPointsLeft();
}

/** "Points left" for a point-buy, from the server's costs (over budget says so). */
function renderPointsLeft() {
  if (method() !== "point_buy") return;
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

/** The adventure picker: one radio card per adventure with its title, tagline and tone. */
async function loadScenarios() {
  let scenarios;
  try {
    scenarios = await api("GET", "/api/scenarios");
  } catch (_) {
    return; // no picker: the server's default adventure
  }
  if (!Array.isArray(scenarios) || !scenarios.length) return;
  clear(ui.options);
  const wanted = ui.picker.dataset.default;
  const chosen = scenarios.some((s) => s.id === wanted) ? wanted : scenarios[0].id;
  for (const scenario of scenarios) {
    const key = String(scenario.id).replace(/[^A-Za-z0-9_-]/g, "_");
    const card = el("label", "scenario-option");
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "scenario";
    input.value = String(scenario.id);
    // The default is the checked attribute, so resetting the form chooses it again.
    input.defaultChecked = scenario.id === chosen;
    const text = el("span", "scenario-text");
    const title = el("span", "scenario-name", scenario.title || scenario.id);
    title.id = `scenario-title-${key}`;
    text.appendChild(title);
    const described = [];
    for (const [part, value] of [["tagline", scenario.tagline], ["tone", scenario.tone]]) {
      if (!value) continue;
      const span = el("span", `scenario-${part}`, part === "tone" ? `Tone: ${value}` : value);
      span.id = `scenario-${part}-${key}`;
      described.push(span.id);
      text.appendChild(span);
    }
    input.setAttribute("aria-labelledby", title.id);
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    card.append(input, text);
    ui.options.appendChild(card);
  }
  ui.picker.hidden = ui.picker.dataset.hiddenForJoin === "true";
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function hideError() {
  ui.error.hidden = true;
  ui.error.textContent = "";
}

async function startGame(event) {
  event.preventDefault();
  hideError();
  const name = ui.name.value.trim();
  if (!name) {
    showError("Give your character a name.");
    ui.name.focus();
    return;
  }
  ui.start.disabled = true;
  try {
    const body = newGameBody(name);
    if (submitBody) await submitBody(body);
    else onCreated(await api("POST", "/api/games", body));
  } catch (err) {
    showError(err.message);
  } finally {
    ui.start.disabled = false;
  }
}

/** Use the form to make a character for ``submit(body)`` (body: {character}) under the
 * button's ``label``: the adventure is the host's, so the picker hides. */
export function useCreationFor(submit, label) {
  submitBody = submit;
  ui.start.textContent = label;
  ui.picker.dataset.hiddenForJoin = "true";
  ui.picker.hidden = true;
}

/** A fresh form: no name, the first class, the class's own scores, the default adventure. */
export function resetCreation() {
  ui.form.reset();
  hideError();
  renderAbilityInputs();
}

/** Put focus on the name, to start typing a new character. */
export function focusCreation() {
  ui.name.focus();
}

/** ``onCreated(game)``: what happens once the server has made the new game. */
export function initCreation(options) {
  onCreated = options.onCreated;
  ui.form.addEventListener("submit", startGame);
  for (const radio of ui.form.querySelectorAll('input[name="method"]')) {
    radio.addEventListener("change", renderAbilityInputs);
  }
  renderAbilityInputs();
  loadScenarios();
}
