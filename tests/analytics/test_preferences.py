"""Preference datasets from players' choices, and head-to-head (pairwise) evals with a judge."""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from game_master import create_app, rules
from game_master.analytics import datasets, pairwise
from game_master.analytics.judge import JudgeError
from game_master.settings import Settings
from game_master.store import Store, TurnRecord
from game_master.testing import base_config

Answer = Callable[[str], tuple[int, str]]


def play(
    store: Store,
    game_id: str,
    message: str,
    narration: str,
    change: Callable[[rules.GameState], None] = lambda s: None,
    retry_of: str | None = None,
) -> TurnRecord:
    """One finished turn through the Store API; ``change`` is what its tools did."""
    turn = store.begin_turn(game_id, message, lease_owner="t", lease_seconds=60, retry_of=retry_of)
    store.update_state(game_id, change)
    return store.finish_turn(turn.id, status="completed", narration=narration, tool_calls=[])


def hurt(state: rules.GameState) -> None:
    """A turn that costs 3 HP."""
    state.character.hp -= 3


def take_rope(state: rules.GameState) -> None:
    """A turn that picks up the rope."""
    state.inventory.append("rope")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An offline app on a private data dir (its store is the real SQLite store)."""
    app = create_app(base_config(tmp_path / "data"))
    yield app
    app.extensions["game_master"].shutdown(grace_s=5)


def seed_preference(store: Store) -> dict[str, Any]:
    """A game: turn 1 (hurt), turn 2 told twice, the player keeps the first telling."""
    state = rules.new_game_state("Ada", "fighter", rules.load_scenario(), seed=1)
    game = store.create_game(state)
    t1 = play(store, game.id, "look", "The cellar stinks of brine. A rat bites you.", hurt)
    t2 = play(
        store, game.id, "take the rope", "You coil the wet rope over your shoulder.", take_rope
    )
    t2b = play(
        store, game.id, "take the rope", "The rope slithers into your hands.", take_rope, t2.id
    )
    store.choose(game.id, t2.id)
    return {"game": game, "t1": t1, "t2": t2, "t2b": t2b, "state": state}


def gm(app: Flask, *args: str) -> Any:
    """Invoke ``flask gm ARGS`` through click's runner."""
    return app.test_cli_runner().invoke(args=["gm", *args])


# ---------------------------------------------------------------------------- the dataset


def test_preference_records_from_a_real_store(app: Flask) -> None:
    """Chosen and rejected narrations, the situation before the turn, the ids that link them."""
    store = app.extensions["game_master"].store
    seeded = seed_preference(store)
    (pref,) = store.preferences()
    from game_master.analytics.preferences import build_preference_records

    (record,) = build_preference_records(store)
    scenario = rules.load_scenario()
    start = seeded["state"]
    assert record["id"] == pref["id"]
    assert record["chosen"] == "You coil the wet rope over your shoulder."
    assert record["rejected"] == "The rope slithers into your hands."
    assert record["input"]["player_message"] == "take the rope"
    assert record["metadata"] == {
        "game_id": seeded["game"].id,
        "turn_number": 2,
        "chosen_turn_id": seeded["t2"].id,
        "rejected_turn_id": seeded["t2b"].id,
        "character": {"name": "Ada", "class": "fighter"},
        "scenario": start.scenario_id,
    }
    situation = record["input"]["situation"]
    hp = start.character.max_hp - 3
    assert f"HP {hp}/{start.character.max_hp}" in situation  # turn 1's damage is in it
    assert scenario.locations[start.location].name in situation
    assert "Previous narration: The cellar stinks of brine. A rat bites you." in situation
    # The state *before* turn 2: the rope it picked up is not carried yet.
    assert scenario.items["rope"].name not in situation.split("Carrying:")[1].split("\n")[0]


def test_preferences_dataset_versions_without_duplicates(app: Flask, tmp_path: Path) -> None:
    """JSONL v1; the same build adds nothing; a new choice writes v2 holding both."""
    store = app.extensions["game_master"].store
    seeded = seed_preference(store)
    d = str(tmp_path / "ds")
    first = gm(app, "dataset", "build", "prefs", "--kind", "preferences", "--dir", d)
    assert first.exit_code == 0, first.output
    assert "1 preferences selected; 1 records (1 new, 0 updated)" in first.output
    assert "version 1" in first.output
    again = gm(app, "dataset", "build", "prefs", "--kind", "preferences", "--dir", d)
    assert "(0 new, 0 updated)" in again.output and "version 1" in again.output

    gid = seeded["game"].id
    t3 = play(store, gid, "go north", "You wade north.")
    t3b = play(store, gid, "go north", "Cold water to your knees, you go north.", retry_of=t3.id)
    store.choose(gid, t3b.id)
    wider = gm(app, "dataset", "build", "prefs", "--kind", "preferences", "--dir", d)
    assert "2 records (1 new, 0 updated)" in wider.output and "version 2" in wider.output
    assert datasets.versions(Path(d), "prefs") == [1, 2]
    v2 = datasets.load_jsonl(Path(d), "prefs")
    assert [r["chosen"] for r in v2] == [seeded["t2"].narration, t3b.narration]
    assert set(v2[0]) == {"id", "input", "chosen", "rejected", "metadata"}
    assert datasets.load_jsonl(Path(d), "prefs", 1) == v2[:1]
    bad = gm(app, "dataset", "build", "prefs", "--kind", "preferences", "--text", "x")
    assert bad.exit_code != 0


def test_braintrust_rows_come_back_as_preference_records() -> None:
    """In Braintrust the pair is ``expected``; loading gives chosen/rejected back."""
    record = {"id": "p", "input": {"situation": "s", "player_message": "m"}, "metadata": {}}
    record |= {"chosen": "c", "rejected": "r"}
    row = {**record, "expected": datasets._expected_of(record), "tags": None}
    loaded = datasets._from_row(row)
    assert loaded["chosen"] == "c" and loaded["rejected"] == "r" and "expected" not in loaded


# ---------------------------------------------------------------------------- statistics


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (5, 10, 0.2366, 0.7634),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (3.5, 5, 0.2988, 0.9274),  # a tie counts half
        (1, 2, 0.0945, 0.9055),
    ],
)
def test_wilson_interval(successes: float, n: int, low: float, high: float) -> None:
    """Known 95 % Wilson score intervals."""
    assert pairwise.wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_rejects_impossible_counts() -> None:
    """No trials, or more successes than trials, is a mistake, not an interval."""
    for successes, n in ((0, 0), (3, 2), (-1, 2)):
        with pytest.raises(ValueError):
            pairwise.wilson_interval(successes, n)


def test_tally_counts_ties_half() -> None:
    """3 wins, 1 loss, 1 tie, 1 not judged: n 5, win rate 0.7."""
    cases = [
        pairwise.PairCase(str(i), "", "m", "a", "b", winner=w)
        for i, w in enumerate(["A", "B", "A", "tie", "A", None])
    ]
    t = pairwise.count_verdicts(cases)
    assert (t.wins, t.losses, t.ties, t.n) == (3, 1, 1, 5)
    assert t.win_rate == pytest.approx(0.7)
    assert t.interval == pytest.approx((0.2988, 0.9274), abs=1e-4)


# ---------------------------------------------------------------------------- the judge


class _Judge(BaseHTTPRequestHandler):
    """A loopback Messages API whose answer comes from ``answer(prompt)``."""

    answer: Answer = staticmethod(lambda prompt: (200, '{"winner": "tie", "reason": "same"}'))
    prompts: list[str] = []
    models: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def do_POST(self) -> None:  # noqa: N802
        """One Messages API answer."""
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][0]["content"]
        type(self).prompts.append(prompt)
        type(self).models.append(body.get("model"))
        status, text = type(self).answer(prompt)
        payload = json.dumps(
            {"type": "message", "role": "assistant", "content": [{"type": "text", "text": text}]}
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def judge_stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Judge]]:
    """A loopback judge; ANTHROPIC_BASE_URL, a key and GM_MODEL point the judge at it."""
    _Judge.prompts, _Judge.models = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Judge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("GM_MODEL", "game-alias")
    yield _Judge
    server.shutdown()
    server.server_close()
    _Judge.answer = staticmethod(lambda prompt: (200, '{"winner": "tie", "reason": "same"}'))


def reply_number(prompt: str, marker: str) -> str:
    """ "1" or "2": where the reply containing ``marker`` was shown."""
    first = re.search(r"<reply_1>(.*?)</reply_1>", prompt, re.S)
    return "1" if first and marker in first.group(1) else "2"


def test_known_verdicts_give_the_win_rate_and_interval(judge_stub: type[_Judge]) -> None:
    """The judge prefers A, B, A, tie, A (whatever the order shown): 0.7, Wilson (0.30, 0.93)."""
    wanted = ["A", "B", "A", "tie", "A"]

    def answer(prompt: str) -> tuple[int, str]:
        index = int(re.search(r"case-(\d)", prompt).group(1))  # type: ignore[union-attr]
        verdict = wanted[index]
        if verdict == "tie":
            return 200, '{"winner": "tie", "reason": "even"}'
        return 200, json.dumps({"winner": reply_number(prompt, f"{verdict}-telling")})

    judge_stub.answer = staticmethod(answer)
    cases = [
        pairwise.PairCase(str(i), f"case-{i}", "look", f"A-telling {i}", f"B-telling {i}")
        for i in range(5)
    ]
    pairwise.judge_cases(cases, Settings.from_env(), random.Random(3))
    assert [c.winner for c in cases] == wanted
    # Both orders were shown, and the judge saw no target names.
    assert {c.a_first for c in cases} == {True, False}
    assert not any("target" in p.lower() for p in judge_stub.prompts)
    assert set(judge_stub.models) == {"game-alias"}
    t = pairwise.count_verdicts(cases)
    assert t.win_rate == pytest.approx(0.7)
    assert t.interval == pytest.approx((0.2988, 0.9274), abs=1e-4)


def test_a_target_without_an_answer_loses_without_the_judge(judge_stub: type[_Judge]) -> None:
    """A failed replay loses the case; neither answering leaves it unjudged (not counted)."""
    cases = [
        pairwise.PairCase("1", "", "m", None, "b", error_a="boom"),
        pairwise.PairCase("2", "", "m", "a", None, error_b="boom"),
        pairwise.PairCase("3", "", "m", None, None),
    ]
    pairwise.judge_cases(cases, Settings.from_env(), random.Random(0))
    assert [c.winner for c in cases] == ["B", "A", None] and judge_stub.prompts == []
    assert pairwise.count_verdicts(cases).n == 2


@pytest.mark.parametrize(
    "reply", [(200, "I liked the first one."), (200, '{"winner": "3"}'), (500, "overloaded")]
)
def test_a_failing_judge_raises(judge_stub: type[_Judge], reply: tuple[int, str]) -> None:
    """Garbage, an impossible winner or an HTTP error: JudgeError, never a skip or a verdict."""
    judge_stub.answer = staticmethod(lambda prompt: reply)
    case = pairwise.PairCase("1", "", "m", "a", "b")
    with pytest.raises(JudgeError):
        pairwise.judge_cases([case], Settings.from_env(), random.Random(0))
    assert case.winner is None


# ---------------------------------------------------------------------------- the command


def pairwise_cli(app: Flask, tmp_path: Path, *extra: str) -> Any:
    """``gm eval --pairwise`` on offline vs offline over the ``prefs`` dataset."""
    d = str(tmp_path / "ds")
    built = gm(app, "dataset", "build", "prefs", "--kind", "preferences", "--dir", d)
    assert built.exit_code == 0, built.output
    return gm(
        app,
        "eval",
        "--pairwise",
        "--model",
        "offline",
        "--model",
        "offline",
        "--dataset",
        "prefs",
        "--dir",
        d,
        "--out",
        str(tmp_path / "reports"),
        "--seed",
        "1",
        *extra,
    )


def two_preferences(store: Store) -> None:
    """Two recorded choices in one game (turns 2 and 3)."""
    seeded = seed_preference(store)
    gid = seeded["game"].id
    t3 = play(store, gid, "go north", "You wade north.")
    play(store, gid, "go north", "You go north.", retry_of=t3.id)
    store.choose(gid, t3.id)


def report_json(tmp_path: Path) -> dict[str, Any]:
    """The one JSON report written."""
    (path,) = (tmp_path / "reports").glob("*.json")
    return dict(json.loads(path.read_text()))


def test_pairwise_command_prints_win_rate_and_writes_the_report(
    judge_stub: type[_Judge], tmp_path: Path
) -> None:
    """Offline vs offline, the judge calls both ties: 0.5 with Wilson (0.09, 0.91), n 2."""
    app = create_app(base_config(tmp_path / "data"))
    try:
        two_preferences(app.extensions["game_master"].store)
        result = pairwise_cli(app, tmp_path)
    finally:
        app.extensions["game_master"].shutdown(grace_s=5)
    assert result.exit_code == 0, result.output
    assert (
        "win rate of offline-narrator over offline-narrator: 0.500 (95% CI 0.095–0.905, "
        "Wilson; n=2: 0 wins, 0 losses, 2 ties counted half)"
    ) in result.output
    assert len(judge_stub.prompts) == 2
    assert "take the rope" in judge_stub.prompts[0] and "HP " in judge_stub.prompts[0]
    report = report_json(tmp_path)
    assert report["mode"] == "pairwise" and report["skipped"] is None
    assert (report["ties"], report["win_rate"]) == (2, 0.5)
    assert report["interval95"] == pytest.approx([0.0945, 0.9055], abs=1e-4)
    assert all(c["output_a"] and c["output_b"] for c in report["cases"])
    md = next((tmp_path / "reports").glob("*.md")).read_text()
    assert "win rate of offline-narrator" in md and "| case |" in md


def test_pairwise_judge_garbage_fails_the_command(judge_stub: type[_Judge], tmp_path: Path) -> None:
    """An answer the judge's reader cannot use: exit status non-zero, the error shown."""
    judge_stub.answer = staticmethod(lambda prompt: (200, "Both are lovely!"))
    app = create_app(base_config(tmp_path / "data"))
    try:
        seed_preference(app.extensions["game_master"].store)
        result = pairwise_cli(app, tmp_path)
    finally:
        app.extensions["game_master"].shutdown(grace_s=5)
    assert result.exit_code != 0
    assert "pairwise judge failed" in result.output and "no JSON object" in result.output
    assert "win rate" not in result.output


def test_pairwise_without_credentials_is_skipped(app: Flask, tmp_path: Path) -> None:
    """No key: "skipped" and why, exit 0, no win rate anywhere, nothing counted as a win."""
    seed_preference(app.extensions["game_master"].store)
    result = pairwise_cli(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert "pairwise judge skipped: no Anthropic credentials" in result.output
    assert "no win rate" in result.output and "win rate of" not in result.output
    report = report_json(tmp_path)
    assert report["skipped"] and report["win_rate"] is None and report["interval95"] is None
    assert report["wins"] == 0 and report["cases"] == []


def test_pairwise_needs_two_models(app: Flask) -> None:
    """One --model with --pairwise is a usage error."""
    result = gm(app, "eval", "--pairwise", "--model", "offline")
    assert result.exit_code == 2 and "two --model" in result.output
