// Read aloud: the game master's narration spoken by the browser (speechSynthesis) while it
// streams, a sentence at a time: Chrome cuts an utterance short after some 15 seconds, and a
// sentence can be spoken as soon as it is whole. Only the narration reaches this module
// (turn.js: begin / text / end); the player's words and the dice log never do, and dice
// notation or sums inside the narration ("1d20+3", "14 + 3 = 17") are skipped. A new turn or
// the toggle going off stops the speech. The choice, voice and rate are remembered.

import { $, el, stored } from "./dom.js";

const KEY = "gm.readAloud";
const LONGEST = 180; // characters per utterance, well inside what Chrome speaks whole
// A sentence ends at . ! ? or … (with closing quotes, brackets or markdown) before a space,
// or at a blank line.
const SENTENCE_END = /[.!?\u2026]+["'\u201D\u2019)\]*_]*\s+|\n\s*\n/;
const SKIPPED = [
  /[([][^()[\]]*(?:\d*d\d+|\bDC\b|=)[^()[\]]*[)\]]/gi, // a bracketed roll: "(DC 12: 17)"
  /\b\d*d\d+(?:\s*[+\-\u2212]\s*\d+)*/gi, // dice notation: "d20", "2d6+1"
  /\d+(?:\s*[+\-\u2212\u00D7*]\s*\d+)+\s*=\s*\d+/g, // a sum: "14 + 3 = 17"
  /[*_#`>~]+/g, // markdown marks
];

const synth = window.speechSynthesis;
const ui = {
  box: $("read-aloud"),
  toggle: $("read-aloud-toggle"),
  settings: $("read-aloud-settings"),
  voice: $("read-aloud-voice"),
  rate: $("read-aloud-rate"),
};
const prefs = Object.assign({ on: false, voice: "", rate: 1 }, stored.get(KEY, {}));
let pending = ""; // narration received but not yet spoken (an unfinished sentence)

/** What of a sentence is spoken: no dice notation, sums or markdown marks. */
export function speakable(text) {
  let out = text;
  for (const pattern of SKIPPED) out = out.replace(pattern, " ");
  return out.replace(/\s+([,.;:!?])/g, "$1").replace(/\s+/g, " ").trim();
}

/** ``text`` cut into pieces of at most LONGEST characters, at a pause when there is one. */
function pieces(text) {
  const out = [];
  let rest = text;
  while (rest.length > LONGEST) {
    const head = rest.slice(0, LONGEST);
    const pause = Math.max(head.lastIndexOf(", "), head.lastIndexOf("; "), head.lastIndexOf(": "),
      head.lastIndexOf(" \u2014 "));
    const cut = pause > LONGEST / 3 ? pause + 1 : Math.max(head.lastIndexOf(" "), 1);
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out;
}

function voices() {
  try {
    return synth.getVoices() || [];
  } catch (_) {
    return [];
  }
}

function say(sentence) {
  const words = speakable(sentence);
  if (!/[\p{L}\p{N}]/u.test(words)) return;
  const voice = voices().find((v) => v.voiceURI === prefs.voice) || null;
  for (const piece of pieces(words)) {
    const utterance = new SpeechSynthesisUtterance(piece);
    if (voice) {
      utterance.voice = voice;
      utterance.lang = voice.lang;
    } else {
      utterance.lang = document.documentElement.lang || "en";
    }
    utterance.rate = prefs.rate;
    synth.speak(utterance);
  }
}

/** Speak every whole sentence received so far; with ``all``, the rest too. */
function speakReady(all) {
  let match;
  while ((match = SENTENCE_END.exec(pending)) !== null) {
    say(pending.slice(0, match.index + match[0].length));
    pending = pending.slice(match.index + match[0].length);
  }
  if (all && pending.trim()) say(pending);
  if (all) pending = "";
}

/** Stop speaking and forget what was not spoken yet. */
export function stop() {
  pending = "";
  if (synth) synth.cancel();
}

/** The narration as it streams (observed through turn.js). */
export const narration = {
  begin() {
    if (prefs.on) stop();
    pending = "";
  },
  text(delta) {
    if (!prefs.on) return;
    pending += delta;
    speakReady(false);
  },
  end() {
    if (prefs.on) speakReady(true);
    pending = "";
  },
};

function save() {
  stored.set(KEY, prefs);
}

function showChoice() {
  ui.toggle.setAttribute("aria-pressed", prefs.on ? "true" : "false");
  ui.settings.hidden = !prefs.on;
}

function fillVoices() {
  const list = voices();
  while (ui.voice.firstChild) ui.voice.removeChild(ui.voice.firstChild);
  const auto = el("option", null, "The browser's own");
  auto.value = "";
  ui.voice.appendChild(auto);
  for (const v of list) {
    const option = el("option", null, v.lang ? `${v.name} (${v.lang})` : v.name);
    option.value = v.voiceURI;
    ui.voice.appendChild(option);
  }
  ui.voice.value = list.some((v) => v.voiceURI === prefs.voice) ? prefs.voice : "";
}

/** Show the controls where the browser can speak, as this browser last left them. */
export function initReadAloud() {
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function") return;
  prefs.rate = Math.min(2, Math.max(0.5, Number(prefs.rate) || 1));
  ui.rate.value = String(prefs.rate);
  fillVoices();
  synth.addEventListener("voiceschanged", fillVoices);
  showChoice();
  ui.box.hidden = false;
  ui.toggle.addEventListener("click", () => {
    prefs.on = !prefs.on;
    if (!prefs.on) stop();
    pending = "";
    save();
    showChoice();
  });
  ui.voice.addEventListener("change", () => {
    prefs.voice = ui.voice.value;
    save();
  });
  ui.rate.addEventListener("change", () => {
    prefs.rate = Number(ui.rate.value) || 1;
    save();
  });
}
