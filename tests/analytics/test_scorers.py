"""Scorers: precision and recall on hand-labelled turns, the judge's skip, Braintrust shapes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from game_master.analytics import judge, scorers

CASES = Path(__file__).parent.parent / "fixtures" / "scorer_cases"
RULE_SCORERS = [s.__name__ for s in scorers.RULE_SCORERS]


def load_cases(name: str) -> list[dict[str, Any]]:
    """The labelled turns of one scorer."""
    return list(json.loads((CASES / f"{name}.json").read_text()))


def measure(name: str) -> tuple[float, float, list[str]]:
    """(precision, recall, mistakes) of a scorer; positive = flags a bad turn (score < 0.5)."""
    scorer = getattr(scorers, name)
    tp = fp = fn = 0
    mistakes = []
    for case in load_cases(name):
        result = scorer(case["input"], case["narration"], None, {"tool_calls": case["tool_calls"]})
        assert 0.0 <= result["score"] <= 1.0 and result["metadata"]["reason"]
        flagged, bad = result["score"] < 0.5, case["label"] == "bad"
        tp += flagged and bad
        fp += flagged and not bad
        fn += bad and not flagged
        if flagged != bad:
            mistakes.append(f"{case['id']}: {result['metadata']['reason']}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, mistakes


@pytest.mark.parametrize("name", RULE_SCORERS)
def test_labelled_sets_have_ten_of_each(name: str) -> None:
    """Every rule-based scorer ships with at least 10 good and 10 bad turns."""
    labels = [c["label"] for c in load_cases(name)]
    assert labels.count("good") >= 10 and labels.count("bad") >= 10


@pytest.mark.parametrize("name", RULE_SCORERS)
def test_precision_and_recall(name: str) -> None:
    """Precision and recall of flagging bad turns are both at least 0.9."""
    precision, recall, mistakes = measure(name)
    print(f"{name}: precision={precision:.2f} recall={recall:.2f} mistakes={mistakes}")
    assert precision >= 0.9 and recall >= 0.9, mistakes


def test_tool_calls_come_from_output_dict_or_metadata() -> None:
    """A replayed turn passes tool calls in the output; a stored one in metadata."""
    calls = [
        {
            "name": "take_item",
            "input": {"item": "bread"},
            "is_error": False,
            "result": {"taken": "bread", "name": "Loaf of bread", "inventory": ["bread"]},
        }
    ]
    narration = "You take the loaf of bread."
    as_output = scorers.state_honesty("take bread", {"narration": narration, "tool_calls": calls})
    as_meta = scorers.state_honesty("take bread", narration, None, {"tool_calls": calls})
    bare = scorers.state_honesty("take bread", narration)
    assert (as_output["score"], as_meta["score"], bare["score"]) == (1.0, 1.0, 0.0)


def test_score_turn_names_every_rule_scorer() -> None:
    """score_turn runs the whole rule set."""
    out = scorers.score_turn("look", "You look around the square. " * 4, [])
    assert sorted(out) == sorted(
        [
            "narration_length",
            "voice",
            "dice_honesty",
            "state_honesty",
            "uses_tools_for_state_changes",
        ]
    )


def test_judge_skips_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Anthropic key: the judge returns a skipped score (None) with a clear reason."""
    result = judge.llm_judge("look", "You look around.", None, {"tool_calls": []})
    assert result["name"] == "llm_judge" and result["score"] is None
    assert "ANTHROPIC_API_KEY" in result["metadata"]["skipped"]


class _FakeAnthropic(BaseHTTPRequestHandler):
    """Answers /v1/messages with a fixed judgement and remembers the request."""

    seen: list[dict[str, Any]] = []

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def do_POST(self) -> None:  # noqa: N802
        """One Messages API answer."""
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append({"path": self.path, "key": self.headers.get("x-api-key"), **body})
        text = '{"fairness": 5, "vividness": 3, "coherence": 4, "reason": "vivid enough"}'
        payload = json.dumps(
            {"type": "message", "role": "assistant", "content": [{"type": "text", "text": text}]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def fake_anthropic() -> Iterator[str]:
    """A loopback Messages API."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeAnthropic)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_judge_scores_through_the_messages_api(
    fake_anthropic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a key, the judge asks Claude and averages the three criteria into 0..1."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic)
    monkeypatch.setenv("GM_MODEL", "the-game-model")
    result = judge.llm_judge("look", "You look around the square.", None, {"tool_calls": []})
    assert result["score"] == pytest.approx((1.0 + 0.5 + 0.75) / 3)
    assert result["metadata"]["criteria"] == {"fairness": 5, "vividness": 3, "coherence": 4}
    sent = _FakeAnthropic.seen[-1]
    assert sent["path"] == "/v1/messages" and sent["key"] == "test-key"
    assert sent["model"] == "the-game-model"  # no GM_JUDGE_MODEL: the game's model
    assert "You look around the square." in json.dumps(sent["messages"])
