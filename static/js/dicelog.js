// The dice & actions log: every game tool call of the turns shown, newest first. How a tool
// is shown comes from the tool registry (data block gm-tools: label, and show = roll | check |
// action); a refusal shows a player's words for its code (data block gm-refusals), never the
// message the rules wrote for the model.

import { $, dataBlock, el, humanize, signed } from "./dom.js";

const MAX_ENTRIES = 60;
const TOOLS = dataBlock("gm-tools");
const REFUSALS = dataBlock("gm-refusals");
const FALLBACK = "refused"; // the table's entry for a code it does not word
const log = $("dice-log");

const toolLabel = (name) => (TOOLS[name] && TOOLS[name].label) || humanize(name);

/** A refusal in a player's words: its code's sentence, filled from the refusal's facts (the
 * fallback sentence when a fact it names is missing). */
export function refusalWords(error) {
  const facts = error && typeof error === "object" ? error : {};
  const fallback = REFUSALS[FALLBACK] || "";
  let missing = false;
  const words = (REFUSALS[facts.code] || fallback).replace(/\{(\w+)\}/g, (_, fact) => {
    const value = facts[fact];
    if (typeof value === "string" || typeof value === "number") return String(value);
    missing = true;
    return "";
  });
  return missing ? fallback : words;
}

function refusalEntry(li, name, result) {
  li.classList.add("log-error");
  li.appendChild(el("span", "log-kind", toolLabel(name)));
  li.appendChild(el("span", "log-main", "refused"));
  // A refusal is {"error": {"code", "message", ...facts}} (older turns: a plain string).
  li.appendChild(el("span", "log-detail", refusalWords(result.error)));
}

function rollEntry(li, r) {
  li.classList.add("log-roll");
  li.appendChild(el("span", "log-kind", `Roll ${r.notation || ""}`.trim()));
  li.appendChild(el("span", "log-main", `= ${r.total ?? "?"}`));
  const kept = Array.isArray(r.kept) ? r.kept.join(", ") : "";
  let detail = kept ? `[${kept}]` : "";
  if (r.modifier) detail += ` ${signed(r.modifier)}`;
  if (r.advantage && r.advantage !== "none") detail += ` (${r.advantage})`;
  if (r.reason) detail += ` \u00B7 ${r.reason}`;
  li.appendChild(el("span", "log-detail", detail.trim()));
}

function checkEntry(li, r) {
  li.classList.add("log-check", r.success ? "success" : "failure");
  li.appendChild(el("span", "log-kind", `${humanize(r.check || "check")} check`));
  li.appendChild(el("span", "log-main",
    `${r.total ?? "?"} vs DC ${r.dc ?? "?"} \u2014 ${r.success ? "success" : "failure"}`));
  let detail = `d20 ${r.natural ?? "?"} ${signed(r.modifier)}`;
  if (r.critical) detail += r.natural === 20 ? " \u00B7 natural 20!" : " \u00B7 natural 1";
  if (r.advantage && r.advantage !== "none") detail += ` (${r.advantage})`;
  if (r.reason) detail += ` \u00B7 ${r.reason}`;
  li.appendChild(el("span", "log-detail", detail));
}

function actionEntry(li, name, call) {
  li.classList.add("log-action");
  li.appendChild(el("span", "log-kind", "action"));
  li.appendChild(el("span", "log-main", toolLabel(name)));
  const args = call.input && typeof call.input === "object"
    ? Object.values(call.input).filter((v) => typeof v === "string" || typeof v === "number")
    : [];
  if (args.length) li.appendChild(el("span", "log-detail", args.join(", ").slice(0, 120)));
}

/** Log one tool call ({name, input, result, is_error}) at the top. */
export function addLogEntry(call) {
  if (!call || typeof call !== "object") return;
  const name = String(call.name || "tool");
  const show = (TOOLS[name] && TOOLS[name].show) || "action";
  const r = call.result && typeof call.result === "object" ? call.result : {};
  const li = el("li", "log-entry");
  if (call.is_error) refusalEntry(li, name, r);
  else if (show === "roll") rollEntry(li, r);
  else if (show === "check") checkEntry(li, r);
  else actionEntry(li, name, call);
  log.insertBefore(li, log.firstChild);
  while (log.childNodes.length > MAX_ENTRIES) log.removeChild(log.lastChild);
}

/** Empty the log (a game drawn afresh). */
export function clearLog() {
  while (log.firstChild) log.removeChild(log.firstChild);
}
