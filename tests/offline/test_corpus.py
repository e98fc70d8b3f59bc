"""Hundreds of realistic player commands, every reply checked for English and for sense.

Which path this uses: the bulk corpus does NOT go through the Claude Code CLI or HTTP. It
calls the narrator's ``narrate`` on a real, growing Messages conversation (the request shape
the CLI sends: the offered ``mcp__game__*`` tools, the player's text, assistant tool_use
blocks and user tool_result blocks) and runs every tool call the narrator makes through the
game's real tool registry (``execute_tool``) against an in-memory game of the scenario. That
is the narrator's whole decision and wording path with real rule results; what it skips is
the CLI's own transport, which ``test_corpus_sample_through_the_cli`` covers with a sample
of the same commands played through the app's HTTP API, the bundled CLI and the narrator's
loopback HTTP server, checked by the same rules.

The corpus files are ``tests/offline/corpus/<scenario id>.txt`` (format in ``corpus_play``);
adding a scenario's corpus file is all it takes for it to be played and checked.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from game_master.rules import load_scenario
from game_master.rules.naming import words
from game_master.testing.api import play

from .corpus_checks import Knowledge, all_problems, describe
from .corpus_play import ToolCall, Turn, corpus_files, play_corpus, read_corpus
from .corpus_sense import more_problems

MIN_COMMANDS = 300
SAMPLE = 20  # commands of the corpus played end to end through the real CLI


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.stem)
def test_every_reply_in_the_corpus_reads_right_and_makes_sense(path: Path) -> None:
    """Play a scenario's corpus line by line; every reply must pass every check."""
    scenario = load_scenario(path.stem)
    known, table_now = Knowledge(), None
    failures = []
    endings: Counter[str] = Counter()
    names = {
        w
        for thing in [
            *scenario.locations.values(),
            *scenario.items.values(),
            *scenario.npcs.values(),
        ]
        for w in words(thing.name)
        if len(w) > 3
    }
    played = 0
    for line, turn, table in play_corpus(path):
        if table is not table_now:  # a new game: the narrator has seen nothing of it yet
            known, table_now = Knowledge(), table
        played += 1
        found = all_problems(turn, scenario, known) + more_problems(turn, scenario, line.expect)
        if found:
            failures.append((path.name, line.number, turn.command, found, turn.prose))
        known.learn(turn)
        last = re.split(r"(?<=[.!?])\s+(?=[A-Z“])", turn.prose.strip())[-1]
        if not names & set(words(last)) and not set(words(turn.command)) & set(words(last)):
            endings[last] += 1  # a closing line about nothing in the story or the command
    assert played >= 50, f"{path.name}: only {played} commands"
    assert not failures, f"{len(failures)} bad replies:\n" + describe(failures)
    # No stock closing line: no line that names nothing of the story or the command ends
    # more than one reply in twenty-five ("What do you do?" on every reply would).
    stock = [(end, n) for end, n in endings.most_common(3) if n > max(5, played // 25)]
    assert not stock, f"a stock closing line: {stock}"


def test_the_corpus_is_big_enough_and_covers_every_scenario() -> None:
    """At least 300 commands in all, and a corpus file for every bundled scenario."""
    from game_master.rules import available_scenarios

    files = {p.stem: p for p in corpus_files()}
    assert set(available_scenarios()) <= set(files), "a scenario has no corpus file"
    total = sum(sum(not line.is_scene for line in read_corpus(p)) for p in files.values())
    assert total >= MIN_COMMANDS, total


def test_corpus_sample_through_the_cli(client: FlaskClient) -> None:
    """A sample of corpus commands through HTTP, the real CLI and the narrator's server.

    The sample is played in order in one game per scenario (scene lines are not played:
    the state here changes only through the turns), and checked by the same rules, with
    the state read from the game's store before and after each turn.
    """
    service = client.application.extensions["game_master"]
    files = corpus_files()
    for path in files:
        scenario = load_scenario(path.stem)
        commands = [line.text for line in read_corpus(path) if not line.is_scene]
        share = -(-SAMPLE // len(files))  # SAMPLE commands in all, shared out
        sample = commands[:: max(1, len(commands) // share)][:share]
        resp = client.post(
            "/api/games",
            json={"character": {"name": "Ada", "class": "fighter"}, "scenario": scenario.id},
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        game_id = resp.get_json()["id"]
        known, failures = Knowledge(), []
        for command in sample:
            before = service.store.read_state(game_id)
            answer = play(client, game_id, command)
            calls = [
                ToolCall(c["name"].rsplit("__", 1)[-1], c["input"], c["result"], c["is_error"])
                for c in answer["tool_calls"]
            ]
            after = service.store.read_state(game_id)
            turn = Turn(command, [answer["narration"]], calls, before, after)
            found = all_problems(turn, scenario, known) + more_problems(turn, scenario)
            if found:
                failures.append((path.name, 0, command, found, turn.prose))
            known.learn(turn)
        assert len(sample) >= 2 and not failures, describe(failures)
