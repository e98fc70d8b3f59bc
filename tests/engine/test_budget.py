"""The context budget against the fixed prompt: a budget every request would exceed on its
own (system prompt plus tool definitions, measured from the real texts) is refused at
start-up with a message naming it, instead of closing a chapter after every turn."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from game_master import ConfigError, create_app, rules
from game_master.chapters import fixed_prompt_tokens
from game_master.testing import base_config


def test_a_budget_below_the_fixed_prompt_is_refused_at_start_up(tmp_path: Path) -> None:
    """1,000 tokens is below the bundled adventures' fixed prompt (about 1,800): refused,
    naming the variable and the measured size; 2,000 and 0 (never close) start."""
    with pytest.raises(ConfigError, match="GM_CONTEXT_BUDGET_TOKENS is 1000") as refused:
        create_app(base_config(tmp_path / "a", GM_CONTEXT_BUDGET_TOKENS="1000"))
    fixed = max(fixed_prompt_tokens(e.scenario) for e in rules.ScenarioLibrary().entries())
    assert 1500 < fixed < 2000
    assert f"{fixed} tokens" in str(refused.value)
    for budget in ("2000", "0"):
        app = create_app(base_config(tmp_path / budget, GM_CONTEXT_BUDGET_TOKENS=budget))
        app.extensions["game_master"].shutdown(grace_s=1)


def test_the_fixed_prompt_is_measured_from_every_adventure_on_offer(tmp_path: Path) -> None:
    """An extra adventure with a 12,000-character premise makes 2,000 tokens too small."""
    bell = json.loads(
        resources.files("game_master.scenarios").joinpath("drowned_bell.json").read_text()
    )
    bell["id"] = "long_bell"
    bell["intro"] = "Rain falls on the long road. " * 400
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "long_bell.json").write_text(json.dumps(bell))
    config = base_config(tmp_path / "data", GM_SCENARIO_DIR=str(folder))
    with pytest.raises(ConfigError, match="fixed prompt"):
        create_app({**config, "GM_CONTEXT_BUDGET_TOKENS": "2000"})
    create_app({**config, "GM_CONTEXT_BUDGET_TOKENS": "6000"}).extensions["game_master"].shutdown(
        grace_s=1
    )
