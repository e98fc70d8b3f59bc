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
    """1,000 tokens is below the bundled adventures' fixed prompt (about 2,500): refused,
    naming the variable and the measured size; one token above it, and 0 (never close),
    start."""
    with pytest.raises(ConfigError, match="GM_CONTEXT_BUDGET_TOKENS is 1000") as refused:
        create_app(base_config(tmp_path / "a", GM_CONTEXT_BUDGET_TOKENS="1000"))
    fixed = max(fixed_prompt_tokens(e.scenario) for e in rules.ScenarioLibrary().entries())
    assert 1000 < fixed < 4000
    assert f"{fixed} tokens" in str(refused.value)
    with pytest.raises(ConfigError, match=f"GM_CONTEXT_BUDGET_TOKENS is {fixed - 1}"):
        create_app(base_config(tmp_path / "b", GM_CONTEXT_BUDGET_TOKENS=str(fixed - 1)))
    for budget in (str(fixed), "0"):
        app = create_app(base_config(tmp_path / budget, GM_CONTEXT_BUDGET_TOKENS=budget))
        app.extensions["game_master"].shutdown(grace_s=1)


def test_the_fixed_prompt_is_measured_from_every_adventure_on_offer(tmp_path: Path) -> None:
    """An extra adventure with a premise near the 4,000-character limit of a scenario string
    (about 1,000 tokens more) makes a budget that suits the bundled adventures too small."""
    bell = json.loads(
        resources.files("game_master.scenarios").joinpath("drowned_bell.json").read_text()
    )
    bell["id"] = "long_bell"
    bell["intro"] = "Rain falls on the long road. " * 130
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "long_bell.json").write_text(json.dumps(bell))
    bundled = max(fixed_prompt_tokens(e.scenario) for e in rules.ScenarioLibrary().entries())
    enough = str(bundled + 300)
    create_app(base_config(tmp_path / "plain", GM_CONTEXT_BUDGET_TOKENS=enough)).extensions[
        "game_master"
    ].shutdown(grace_s=1)
    config = base_config(tmp_path / "data", GM_SCENARIO_DIR=str(folder))
    with pytest.raises(ConfigError, match="fixed prompt"):
        create_app({**config, "GM_CONTEXT_BUDGET_TOKENS": enough})
    create_app({**config, "GM_CONTEXT_BUDGET_TOKENS": "8000"}).extensions["game_master"].shutdown(
        grace_s=1
    )
