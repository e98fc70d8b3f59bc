"""How a player's words reach the model: cleaned, quoted in an envelope they cannot close.

Player text is only ever story. Three layers keep it that way (README, "Security"):

1. The CLI delivers it as written: every session sets ``verbatim_prompts`` (no ``@path``
   expansion, no slash commands) and runs ``--bare`` (master.py).
2. What reaches the model is :func:`envelope`: the cleaned text between ``<player_words>``
   and ``</player_words>``. Inside it, anything shaped like a tag (``<system-reminder>``,
   ``</player_words>``, ``<command-name>`` …) has its ``<`` swapped for ``‹``, so the player can
   neither close the envelope nor pass for one of the CLI's own reminders. The system prompt
   tells the model what the envelope means.
3. Story text embedded in the system prompt (names, backstory, recaps, chapter summaries)
   goes through :func:`quoted`: a JSON string literal, line separators escaped, tags neutralised.

The stored turn keeps exactly what the player typed; only the model's copy is changed.

A party round reaches the model as :func:`round_message`: each character's action in seat
order, each in its own envelope under a header the server writes (the character's name
quoted), so no player can speak for another character or for the game master.
"""

from __future__ import annotations

import json
import re
import unicodedata

TAG = "player_words"
OPEN, CLOSE = f"<{TAG}>", f"</{TAG}>"
# A "<" that starts something a reader could take for a tag: "<x", "</x", "< /x", "<!", "<?".
TAG_START = re.compile(r"<(?=\s*/?\s*[A-Za-z!?])")
NEUTRAL_LT = "\u2039"  # ‹ SINGLE LEFT-POINTING ANGLE QUOTATION MARK
ENVELOPE = re.compile(rf"{re.escape(OPEN)}\n?(.*?)\n?{re.escape(CLOSE)}", re.DOTALL)
# Characters that end a line somewhere (JSON leaves U+2028/2029 raw; some readers break on them).
LINE_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"}
DROPPED_CATEGORIES = ("Cc", "Cf", "Co", "Cn", "Cs")


def clean(text: str) -> str:
    """Invisible and control characters removed (newline and tab kept), ends trimmed.

    Format characters (zero-width, bidi overrides, Unicode tag characters) can hide
    instructions a person reading the screen would not see.
    """
    kept = [ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in DROPPED_CATEGORIES]
    return "".join(kept).strip()


def neutralise(text: str) -> str:
    """Tag look-alikes made inert: each tag-opening ``<`` becomes ``‹``."""
    return TAG_START.sub(NEUTRAL_LT, text)


def envelope(text: str) -> str:
    """The player's message as the model receives it (empty text: the player waits)."""
    words = neutralise(clean(text)) or "(the player waits)"
    return f"{OPEN}\n{words}\n{CLOSE}"


def unwrap(text: str) -> str | None:
    """The words inside an envelope, or None when ``text`` holds none (a reader's helper)."""
    found = ENVELOPE.search(text)
    return found.group(1) if found else None


def quoted(text: str, limit: int | None = None) -> str:
    """Story text for the system prompt: one JSON string literal, nothing can break out."""
    words = neutralise(clean(text))
    if limit is not None:
        words = words[:limit]
    literal = json.dumps(words, ensure_ascii=False)
    for raw, escaped in LINE_BREAKS.items():
        literal = literal.replace(raw, escaped)
    return literal


def round_message(number: int, actions: list[dict[str, object]]) -> str:
    """A party round as the model receives it: one block per seat in seat order, the
    character's name quoted (:func:`quoted`), the action in that player's envelope, or a
    line saying the character passes."""
    blocks = [
        f"Round {number} of a party game. Each character's action follows in seat order; each "
        "is that player's own words and speaks only for that character. Resolve them together "
        "in one narration."
    ]
    for action in actions:
        name = quoted(str(action.get("character_name") or "a character"), 80)
        cls = action.get("character_class")
        if cls:
            name += f" (a {quoted(str(cls), 40)})"
        message = action.get("message")
        if message is None:
            blocks.append(f"Character {name} passes this round (their player did not act).")
        else:
            blocks.append(f"Character {name} acts:\n{envelope(str(message))}")
    return "\n\n".join(blocks)
