"""No dated model names as defaults: judges and replays follow the game's model (GM_MODEL)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from game_master.analytics import judge
from game_master.analytics.evals import Target, replay_settings
from game_master.settings import Settings, settings_table
from game_master.testing import REPO

# A versioned family name (claude-sonnet-4-5, claude-opus-4-1...) or a dated snapshot
# (claude-3-5-sonnet-20241022): both retire on a date, and a default naming one breaks then.
DATED = re.compile(
    r"claude-(?:opus|sonnet|haiku)-\d[\w.-]*|claude-[\w.-]*?-(?:19|20)\d{2}[01]\d[0-3]\d"
)


@pytest.mark.parametrize(
    "name",
    ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5", "claude-3-5-sonnet-20241022"],
)
def test_the_pattern_knows_dated_names(name: str) -> None:
    """The check would catch each of these (so an empty result below means something)."""
    assert DATED.search(f"model = {name!r}")


def test_the_pattern_leaves_placeholders_alone() -> None:
    """Placeholders and our own words are not model names."""
    for text in ("GM_MODEL=<a current model alias>", "claude-agent-sdk", "claude-code"):
        assert not DATED.search(text), text


def test_no_setting_defaults_to_a_dated_model() -> None:
    """Every default of the settings table is free of dated model names."""
    offenders = [f"{row.env}={row.default}" for row in settings_table() if DATED.search(str(row))]
    assert offenders == []


def string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant in a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_string_in_the_package_names_a_dated_model() -> None:
    """No string literal in game_master/**/*.py (defaults, prompts, stubs) names one."""
    offenders = [
        f"{path.relative_to(REPO)}:{line}: {DATED.search(text).group(0)}"  # type: ignore[union-attr]
        for path in sorted((REPO / "game_master").rglob("*.py"))
        for line, text in string_literals(path)
        if DATED.search(text)
    ]
    assert offenders == []


def test_docs_use_placeholders() -> None:
    """README and .env.example show placeholders, not model names that will retire."""
    for name in ("README.md", ".env.example"):
        found = DATED.findall((REPO / name).read_text(encoding="utf-8"))
        assert found == [], f"{name}: {found}"


def test_judge_model_defaults_to_the_game_model(tmp_path: Path) -> None:
    """GM_JUDGE_MODEL unset: the game's GM_MODEL; neither: None, and the judge says why."""
    keyed = {"ANTHROPIC_API_KEY": "k"}
    game = Settings.load(tmp_path, environ={**keyed, "GM_MODEL": "game-alias"})
    assert game.judge_model is None and judge.judge_model(game) == "game-alias"
    assert judge.skip_reason(game) is None
    both = Settings.load(
        tmp_path, environ={**keyed, "GM_MODEL": "game-alias", "GM_JUDGE_MODEL": "judge-alias"}
    )
    assert judge.judge_model(both) == "judge-alias"
    neither = Settings.load(tmp_path, environ=keyed)
    assert judge.judge_model(neither) is None
    reason = judge.skip_reason(neither)
    assert reason is not None and "GM_JUDGE_MODEL or GM_MODEL" in reason
    assert "ANTHROPIC_API_KEY" in str(judge.skip_reason(Settings.load(tmp_path, environ={})))


def test_judge_without_a_model_is_skipped_not_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key but no model: the LLM judge's score is None (skipped) with the reason."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    result = judge.llm_judge("look", "You look around.", None, {"tool_calls": []})
    assert result["score"] is None
    assert "GM_JUDGE_MODEL or GM_MODEL" in result["metadata"]["skipped"]


def test_replays_default_to_the_game_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No --model: a replay plays on GM_MODEL; without it, no model (the CLI's default)."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    base = Settings.load(tmp_path, environ={"GM_MODEL": "game-alias"})
    assert replay_settings(Target(), tmp_path / "r1", base).model == "game-alias"
    assert replay_settings(Target(model="other"), tmp_path / "r2", base).model == "other"
    plain = Settings.load(tmp_path, environ={})
    assert replay_settings(Target(), tmp_path / "r3", plain).model is None
