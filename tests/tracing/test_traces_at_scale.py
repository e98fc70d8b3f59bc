"""Trace fidelity under load: concurrent games over real HTTP, each mixing turns, a retry, a
rewind, a switch of line and a chapter close per turn; every span in its own game's trace
under the right parent, none in another's, all delivered by the SIGTERM flush.
(``python -m bench.traces --games 50`` runs the same at 50.)"""

from __future__ import annotations

from pathlib import Path

from game_master.testing import BraintrustRecorder
from game_master.testing.traces import run_games

GAMES = 6


def test_concurrent_mixed_games_keep_every_span_in_its_own_trace(tmp_path: Path) -> None:
    with BraintrustRecorder() as recorder:
        report = run_games(GAMES, tmp_path / "server", recorder)
    assert report.errors == []
    assert report.exit_code == 0
    assert report.problems == []
    # Everything the mix should make was traced: per game 6 tellings, a chapter each turn
    # (arcs once enough chapters stand), a rewind.
    assert report.names["game"] == GAMES
    assert report.names["turn"] == 6 * GAMES
    assert report.names["rewind"] == GAMES
    assert report.names["chapter"] >= GAMES
    assert report.names["Claude Agent"] == 6 * GAMES
