"""Analytics: BTQL query text, response parsing, the HTTP client, local answers, commands."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from game_master import create_app
from game_master.analytics import btql
from game_master.analytics.local import LocalAnalytics
from game_master.analytics.models import AnalyticsError
from game_master.analytics.sources import open_analytics
from game_master.testing import base_config

FIXTURES = Path(__file__).parent.parent / "fixtures" / "btql"
PID = "6e1d0b8a-2f9c-4b0e-9a52-3c1f6a7d8e90"
GAMES = [
    (
        "Ada",
        "fighter",
        ["look", "take the bread", "go east", "take the rope", "ask mara about the ghost"],
    ),
    ("Wren", "rogue", ["go west", "take the lantern", "drink the potion", "sneak past the ghost"]),
]


def fixture(name: str) -> Any:
    """A recorded BTQL answer."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def seed_games(data_dir: Path) -> list[str]:
    """Play the GAMES offline into ``data_dir``; rate turn 2 of each game 0.2."""
    app = create_app(base_config(data_dir))
    svc = app.extensions["game_master"]
    ids = []
    try:
        for name, cls, messages in GAMES:
            gid = svc.create_game({"character": {"name": name, "class": cls}}).id
            for message in messages:
                list(svc.start_turn(gid, message).events(timeout=60))
            svc.store.add_feedback(svc.store.list_turns(gid)[1].id, 0.2, "flat")
            ids.append(gid)
    finally:
        svc.shutdown(grace_s=5)
    return ids


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A data dir holding two offline games (played once per module)."""
    data_dir = tmp_path_factory.mktemp("played")
    return data_dir, seed_games(data_dir)


# ---------------------------------------------------------------------------- builders


def test_recent_games_query_text() -> None:
    """Root game spans, newest first, span-shaped source, limit."""
    q = btql.recent_games_query(PID, limit=5)
    assert q.text() == (
        f'select: * | from: project_logs("{PID}") spans | filter: span_attributes.name = "game"'
        " | sort: created desc | limit: 5"
    )
    assert q.body() == {"query": q.text(), "fmt": "json"}


def test_search_query_escapes_and_matches_input_or_output() -> None:
    """Text is a quoted ILIKE pattern on input and output; quotes and % are escaped."""
    text = btql.search_turns_query(PID, 'the "old" 100%', limit=3).text()
    assert 'span_attributes.name = "turn"' in text
    assert (
        '(input ILIKE "%the \\"old\\" 100\\\\%%" or output ILIKE "%the \\"old\\" 100\\\\%%")'
        in (text)
    )
    assert text.endswith("sort: created desc | limit: 3")


def test_time_window_and_tool_stats_queries() -> None:
    """Windows compare ``created`` with ISO literals; tool stats aggregate by span name."""
    q = btql.turns_query(PID, since=1748822400.0, until=1748908800.0, limit=10)
    assert (
        'created >= "2025-06-02T00:00:00.000000Z" and created < "2025-06-03T00:00:00.000000Z"'
        in q.text()
    )
    stats = btql.tool_stats_query(PID, since=1748822400.0).text()
    assert stats.startswith(
        "dimensions: span_attributes.name as tool | measures: count(1) as calls, "
        "count(error) as errors, sum(scores.rule_refusal) as refusals, "
        "avg(metrics.end - metrics.start) as avg_seconds, "
        "max(metrics.end - metrics.start) as max_seconds | from: "
    )
    assert 'filter: span_attributes.type = "tool" and created >= "2025-06-02' in stats
    assert "select:" not in stats


def test_low_rated_and_trace_queries() -> None:
    """Low-rated: any turn score below the threshold; a trace: one root_span_id in order."""
    low = btql.low_rated_query(PID, threshold=0.4, limit=7).text()
    assert (
        "(scores.player_rating < 0.4 or scores.narration_length_in_range < 0.4 or "
        "scores.used_tools_for_state_changes < 0.4)"
    ) in low
    root = btql.game_root_query(PID, "g1").text()
    assert 'metadata.game_id = "g1"' in root and root.endswith("limit: 1")
    trace = btql.trace_query(PID, "r1").text()
    assert 'filter: root_span_id = "r1" | sort: created asc | limit: 1000' in trace


# ---------------------------------------------------------------------------- parsers


def test_parse_games() -> None:
    """Aggregated output is read; a game without output yet falls back to metadata/input."""
    games = btql.parse_games(fixture("recent_games"))
    assert [g.game_id for g in games] == [
        "3a8f1d2c9b7e4f60a1b2c3d4e5f60718",
        "77b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4",
    ]
    first, second = games
    assert (first.completed_turns, first.total_turns, first.location) == (6, 7, "crypt_hall")
    assert first.character["hp"] == 9 and first.created == pytest.approx(1748889667.412)
    assert second.character == {"name": "Wren", "class": "rogue"} and second.total_turns == 0


def test_parse_turns_and_tool_stats() -> None:
    """Turns carry message, narration, scores; tool errors add span errors and refusals."""
    turns = btql.parse_turns(fixture("turns"))
    assert turns[0].player_message == "take the rope" and turns[0].number == 4
    assert turns[0].scores["player_rating"] == 0.25
    assert turns[1].narration is None and turns[1].scores == {}
    stats = btql.parse_tool_stats(fixture("tool_stats"))
    assert [s.tool for s in stats] == ["ability_check", "move", "take_item", "search_lore"]
    check = stats[0]
    assert (check.calls, check.errors, check.avg_ms, check.max_ms) == (57, 3, 12.1, 53.3)
    assert stats[-1].errors == 0 and stats[2].error_rate == pytest.approx(6 / 41)


def test_parse_spans_and_bad_answers() -> None:
    """A trace's spans keep their parent; a malformed answer raises AnalyticsError."""
    spans = btql.parse_spans(fixture("game_trace"))
    assert [s.name for s in spans] == ["game", "turn", "anthropic.messages.create", "take_item"]
    assert spans[3].parent_id == spans[2].span_id and spans[3].type == "tool"
    with pytest.raises(AnalyticsError):
        btql.parse_turns({"rows": []})


# ---------------------------------------------------------------------------- client


class _FakeBraintrust(BaseHTTPRequestHandler):
    """Answers /v1/project and /btql from the recorded fixtures; records requests."""

    seen: list[dict[str, Any]] = []
    fail = False

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _send(self, status: int, body: Any) -> None:
        """Write a JSON answer."""
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        """Project lookup by name."""
        url = urlsplit(self.path)
        self.seen.append(
            {
                "path": url.path,
                "query": parse_qs(url.query),
                "auth": self.headers.get("Authorization"),
            }
        )
        self._send(200, fixture("project"))

    def do_POST(self) -> None:  # noqa: N802
        """BTQL: pick the fixture by what the query asks for."""
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if self.fail:
            self._send(500, {"error": "internal"})
            return
        text = body["query"]
        if "dimensions:" in text:
            self._send(200, fixture("tool_stats"))
        elif "root_span_id =" in text:
            self._send(200, fixture("game_trace"))
        elif "metadata.game_id" in text:
            self._send(200, fixture("game_root"))
        elif '"game"' in text:
            self._send(200, fixture("recent_games"))
        else:
            self._send(200, fixture("turns"))


@pytest.fixture
def fake_bt() -> Iterator[str]:
    """A loopback Braintrust API serving the fixtures."""
    _FakeBraintrust.seen = []
    _FakeBraintrust.fail = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeBraintrust)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_btql_analytics_over_http(fake_bt: str, played: tuple[Path, list[str]]) -> None:
    """Queries go to /btql with the key; the project id is looked up once, by name."""
    from game_master.store import Store

    source = open_analytics(
        Store(str(played[0] / "game_master.db")),
        api_key="k-1",
        api_url=fake_bt,
        project="game-master",
    )
    assert source.source == "braintrust"
    assert len(source.recent_games()) == 2
    assert source.search("rope")[0].player_message == "take the rope"
    assert source.tool_stats()[0].tool == "ability_check"
    assert [s.name for s in source.game_trace("3a8f1d2c9b7e4f60a1b2c3d4e5f60718")][0] == "game"
    seen = _FakeBraintrust.seen
    assert seen[0]["path"] == "/v1/project" and seen[0]["query"] == {
        "project_name": ["game-master"]
    }
    assert [s["path"] for s in seen[1:]] == ["/btql"] * 5
    assert all(s["auth"] == "Bearer k-1" for s in seen)
    assert all(s["body"]["fmt"] == "json" and PID in s["body"]["query"] for s in seen[1:])


def test_btql_errors_are_analytics_errors(fake_bt: str) -> None:
    """An HTTP error or an unreachable API becomes AnalyticsError with the status."""
    _FakeBraintrust.fail = True
    client = btql.BtqlClient("k", fake_bt)
    with pytest.raises(AnalyticsError, match="HTTP 500"):
        client.run(btql.turns_query(PID))
    with pytest.raises(AnalyticsError, match="could not reach"):
        btql.BtqlClient("k", "http://127.0.0.1:9", timeout=2).run(btql.turns_query(PID))


# ---------------------------------------------------------------------------- local


def test_local_answers_the_same_questions(played: tuple[Path, list[str]]) -> None:
    """Without a key the database answers: games, search, tools, low-rated, trace."""
    from game_master.store import Store

    store = Store(str(played[0] / "game_master.db"))
    source = open_analytics(store, api_key="")
    assert isinstance(source, LocalAnalytics)
    games = source.recent_games()
    assert [g.character["name"] for g in games] == ["Wren", "Ada"]
    assert games[1].completed_turns == 5 and games[1].first_message == "look"
    found = source.search("ROPE")
    assert "take the rope" in [t.player_message for t in found]
    stats = {s.tool: s for s in source.tool_stats()}
    assert stats["take_item"].calls >= 3 and stats["take_item"].avg_ms is None
    assert stats["use_item"].errors == 1  # "drink the potion" before having one
    low = source.low_rated(0.5)
    assert {t.player_message for t in low} >= {"take the bread", "take the lantern"}
    trace = source.game_trace(played[1][0])
    assert [s.name for s in trace][:3] == ["game", "turn", "look_around"]
    assert len(source.turns(since=0)) == 9
    store.close()


def test_commands_print_tables_and_json(played: tuple[Path, list[str]]) -> None:
    """gm games / search / tools / low-rated / trace work offline, as text and JSON."""
    app = create_app(base_config(played[0]))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["gm", "games"])
    assert out.exit_code == 0, out.output
    assert "Ada (fighter)" in out.output and "(2 games from local)" in out.output
    out = runner.invoke(args=["gm", "search", "rope", "--json"])
    assert any(t["player_message"] == "take the rope" for t in json.loads(out.output))
    out = runner.invoke(args=["gm", "tools"])
    assert "take_item" in out.output and "error rate" in out.output
    out = runner.invoke(args=["gm", "low-rated", "--threshold", "0.5"])
    assert "player_rating=0.2" in out.output
    out = runner.invoke(args=["gm", "trace", played[1][1]])
    assert (
        out.exit_code == 0
        and "- game [task]" in out.output
        and "    - take_item [tool]" in (out.output)
    )
    out = runner.invoke(args=["gm", "trace", "nope"])
    assert out.exit_code != 0
    out = runner.invoke(args=["gm", "turns", "--since", "yesterday-ish"])
    assert out.exit_code == 2 and "use 30m, 24h, 7d" in out.output
    app.extensions["game_master"].shutdown(grace_s=1)
