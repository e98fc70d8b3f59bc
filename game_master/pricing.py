"""List prices of Claude models (one dated table, ``prices.toml``) and what a turn's token
usage costs.

The table is data beside this module: model names retire, so no code here names one (the
benchmarks price the CLI's ``sonnet`` alias when no model is configured).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

# The model the benchmarks price when none is configured (GM_MODEL unset): the CLI's alias.
DEFAULT_PRICED_MODEL = "sonnet"


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens of each kind."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float


def _price(row: dict[str, Any]) -> Price:
    """A table row with the standard cache multipliers (reads 0.1x unless stated)."""
    inp = float(row["input"])
    read = row.get("cache_read")
    return Price(inp, float(row["output"]), inp * 1.25, inp * 2, inp / 10 if read is None else read)


_TABLE = tomllib.loads(resources.files("game_master").joinpath("prices.toml").read_text("utf-8"))
PRICES_CHECKED: str = _TABLE["checked"]
PRICES: dict[str, Price] = {name: _price(row) for name, row in _TABLE["models"].items()}
ALIASES: dict[str, str] = dict(_TABLE["aliases"])


def price_of(model: str | None) -> Price | None:
    """The list price of a model id, alias or dated id (a snapshot date after the name)."""
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
