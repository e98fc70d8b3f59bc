"""List prices of Claude models (one dated table) and what a turn's token usage costs.

Checked on 2026-12-06 against Anthropic's pricing page
(https://platform.claude.com/docs/en/about-claude/pricing) and the price catalog baked into
the bundled Claude Code CLI (2.1.337); where the two are updated, update this table and the
date. Prices are US dollars per million tokens, standard (not batch, not fast mode). A cache
write costs 1.25x the input price for the 5-minute lifetime the CLI asks for (2x for an
hour); a cache read 0.1x, and less on the newest models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRICES_CHECKED = "2026-12-06"
# The model the benchmarks price when none is configured (GM_MODEL unset).
DEFAULT_PRICED_MODEL = "claude-sonnet-5-5"


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens of each kind."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float


def _price(inp: float, out: float, read: float | None = None) -> Price:
    """A price with the standard cache multipliers (reads 0.1x unless stated)."""
    return Price(inp, out, inp * 1.25, inp * 2, inp / 10 if read is None else read)


# Haiku 5.5's rates are those of prompts up to 100,000 tokens (longer ones cost 5x); a
# game's context budget keeps its prompts far below that.
PRICES: dict[str, Price] = {
    "claude-fable-5-2": _price(8, 40, 0.20),
    "claude-fable-5-1": _price(10, 50, 0.25),
    "claude-fable-5": _price(10, 50),
    "claude-opus-5-5": _price(4, 20, 0.20),
    "claude-opus-5": _price(5, 25),
    "claude-opus-4-8": _price(5, 25),
    "claude-opus-4-7": _price(5, 25),
    "claude-opus-4-6": _price(5, 25),
    "claude-opus-4-5": _price(5, 25),
    "claude-opus-4-1": _price(15, 75),
    "claude-sonnet-5-5": _price(2, 10, 0.10),
    "claude-sonnet-5": _price(2, 10),
    "claude-sonnet-4-6": _price(3, 15),
    "claude-sonnet-4-5": _price(3, 15),
    "claude-haiku-5-5": _price(0.10, 0.50, 0.01),
    "claude-haiku-4-5": _price(1, 5),
}
# The CLI's aliases, as its catalog resolved them on the date above.
ALIASES = {
    "opus": "claude-opus-5-5",
    "sonnet": "claude-sonnet-5-5",
    "haiku": "claude-haiku-5-5",
    "fable": "claude-fable-5-2",
}


def price_of(model: str | None) -> Price | None:
    """The list price of a model id, alias or dated id (``claude-sonnet-4-5-20250929``)."""
    if not model:
        return None
    name = ALIASES.get(model, model).lower()
    # The key that is the whole id, or that a date, a [1m] or an @ suffix follows: never a
    # mere prefix (claude-sonnet-5 is not claude-sonnet-5-5, nor a later claude-opus-5-50).
    for key, price in PRICES.items():
        if name == key or name.startswith((key + "-2", key + "[", key + "@")):
            return price
    return None


def _count(usage: dict[str, Any], key: str) -> int:
    """A token count of a usage dict (0 when absent or not a number)."""
    value = usage.get(key)
    return int(value) if isinstance(value, int | float) else 0


def cost_usd(usage: dict[str, Any] | None, price: Price) -> float:
    """Dollars for one usage dict of the Messages API (or a turn's sum of them)."""
    if not usage:
        return 0.0
    written = _count(usage, "cache_creation_input_tokens")
    split = usage.get("cache_creation")
    hour = _count(split, "ephemeral_1h_input_tokens") if isinstance(split, dict) else 0
    hour = min(hour, written)
    dollars = (
        _count(usage, "input_tokens") * price.input
        + _count(usage, "output_tokens") * price.output
        + _count(usage, "cache_read_input_tokens") * price.cache_read
        + (written - hour) * price.cache_write_5m
        + hour * price.cache_write_1h
    )
    return dollars / 1_000_000
