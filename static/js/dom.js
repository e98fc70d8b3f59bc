// Small DOM, text and storage helpers shared by the page's modules.
//
// Security: every string from the API (model narration, tool results, error messages, the
// player's own text echoed back) is untrusted. The page only ever builds nodes with
// document.createElement and fills them with textContent; no module parses HTML.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** A new element with an optional class and text (always set via textContent). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** Remove every child of ``node``. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** ``keys`` in the order of ``canon`` first, then the rest as given (JSON may sort keys). */
export function ordered(keys, canon) {
  const known = canon.filter((k) => keys.includes(k));
  return known.concat(keys.filter((k) => !canon.includes(k)));
}

/** "fighter" → "Fighter". */
export function capitalize(s) {
  s = String(s || "");
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

/** "sleight_of_hand" → "Sleight of hand". */
export function humanize(s) {
  return capitalize(String(s || "").replace(/_/g, " "));
}

/** 3 → "+3", -1 → "−1". */
export function signed(n) {
  const v = Number(n) || 0;
  return v >= 0 ? `+${v}` : `\u2212${Math.abs(v)}`;
}

/** "1 turn", "2 turns". */
export function counted(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** The JSON of a ``<script type="application/json">`` data block ({} when absent or bad). */
export function dataBlock(id) {
  try {
    return JSON.parse($(id).textContent || "{}") || {};
  } catch (_) {
    return {};
  }
}

/** localStorage that never throws (private mode, storage off): JSON in, JSON out. */
export const stored = {
  get(key, fallback) {
    try {
      const raw = window.localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (_) {
      return fallback;
    }
  },
  set(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (_) { /* private mode */ }
  },
};
