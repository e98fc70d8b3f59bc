"""List prices: one dated table, and what a turn's usage costs in dollars."""

from __future__ import annotations

import pytest

from game_master.pricing import PRICES_CHECKED, cost_usd, price_of


def test_each_kind_of_token_costs_its_own_list_price() -> None:
    """Claude Sonnet 5.5 per million tokens: $2 input, $10 output, $2.50 a five-minute cache
    write, $4 an hour's, $0.10 a cache read."""
    price = price_of("claude-sonnet-5-5")
    assert price is not None
    million = 1_000_000
    assert cost_usd({"input_tokens": million}, price) == pytest.approx(2.0)
    assert cost_usd({"output_tokens": million}, price) == pytest.approx(10.0)
    assert cost_usd({"cache_read_input_tokens": million}, price) == pytest.approx(0.10)
    written = {"cache_creation_input_tokens": million}
    assert cost_usd(written, price) == pytest.approx(2.50)
    hour = dict(written, cache_creation={"ephemeral_1h_input_tokens": million})
    assert cost_usd(hour, price) == pytest.approx(4.0)
    turn = {
        "input_tokens": 10,
        "cache_read_input_tokens": 20_000,
        "cache_creation_input_tokens": 500,
        "output_tokens": 150,
    }
    assert cost_usd(turn, price) == pytest.approx((20 + 2000 + 1250 + 1500) / million)
    assert cost_usd(None, price) == 0.0


@pytest.mark.parametrize(
    ("model", "input_price", "read_price"),
    [
        ("claude-sonnet-4-5-20250929", 3.0, 0.30),
        ("claude-opus-5-5", 4.0, 0.20),
        ("claude-opus-4-1-20250805", 15.0, 1.50),
        ("claude-haiku-5-5", 0.10, 0.01),
        ("sonnet", 2.0, 0.10),
        ("claude-sonnet-5-5[1m]", 2.0, 0.10),
        ("claude-sonnet-5-20260101", 2.0, 0.20),
        ("claude-sonnet-5-5-20261001", 2.0, 0.10),
    ],
)
def test_dated_ids_and_aliases_find_their_model(
    model: str, input_price: float, read_price: float
) -> None:
    """A dated id is priced as its model, never as a neighbour (sonnet-5 vs sonnet-5-5)."""
    price = price_of(model)
    assert price is not None
    assert (price.input, price.cache_read) == (input_price, read_price)


def test_an_unknown_model_has_no_price_and_the_table_is_dated() -> None:
    """The offline narrator's name is not a Claude model; the table says when it was checked."""
    assert price_of("offline-narrator") is None and price_of(None) is None
    assert price_of("claude-opus-5-50") is None  # a later model is not its prefix's
    assert price_of("claude-sonnet-5") != price_of("claude-sonnet-5-5")
    assert PRICES_CHECKED == "2026-12-06"
