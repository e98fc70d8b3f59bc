"""Whole numbers written as text (query strings, a model's tool arguments), parsed strictly."""

from __future__ import annotations

import re

# ASCII digits only: str.isdigit() also accepts "²" or "٣", which int() then refuses (a 500).
# At most 30 of them: far past any game's numbers, and far below int()'s own digit limit.
WHOLE = re.compile(r"[+-]?[0-9]{1,30}")


def whole_number_text(text: str) -> int | None:
    """The whole number ``text`` spells (spaces around allowed), or None when it spells none."""
    stripped = text.strip()
    return int(stripped) if WHOLE.fullmatch(stripped) else None
