"""Lines of play on SQLite and PostgreSQL: rewind, retry, choose, branches, migration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from game_master import rules
from game_master.errors import InvalidInput, TurnInProgress, TurnNotFound
from game_master.store import (
    SCHEMA_VERSION,
    BranchNotFound,
    SnapshotMissing,
    Store,
    TurnNotLatest,
    TurnRecord,
)


def new_state() -> rules.GameState:
    """A fresh game state."""
    return rules.new_game_state("Ada", "fighter", rules.load_scenario(), seed=1)


def play(
    db: Store,
    game_id: str,
    message: str,
    *,
    retry_of: str | None = None,
    status: str = "completed",
) -> TurnRecord:
    """One whole turn whose tools put ``message`` in the inventory; session points named."""
    turn = db.begin_turn(game_id, message, lease_owner="w", lease_seconds=60, retry_of=retry_of)
    db.update_state(game_id, lambda s: s.inventory.append(message))
    return db.finish_turn(
        turn.id,
        status=status,
        narration=f"You {message}.",
        tool_calls=[],
        session_after=f"session-{turn.id}",
        session_at=f"entry-{turn.id}",
    )


def carried(db: Store, game_id: str) -> list[str]:
    """The inventory of the game's current state."""
    return db.read_state(game_id).inventory


def test_rewind_restores_state_and_keeps_the_old_line(db: Store) -> None:
    """Rewind to 1: state after turn 1, line [1]; old line kept; play on; switch back."""
    game = db.create_game(new_state())
    start = list(game.state.inventory)
    t1, t2, t3 = (play(db, game.id, m) for m in ("one", "two", "three"))
    assert [t.parent_id for t in (t1, t2, t3)] == [None, t1.id, t2.id]
    assert carried(db, game.id) == [*start, "one", "two", "three"]
    old_branch = db.get_game(game.id).active_branch
    assert old_branch is not None

    rewound, branch = db.rewind(game.id, 1)
    assert rewound.active_branch == branch != old_branch
    assert rewound.state.inventory == [*start, "one"]
    assert rewound.turn_count == 1
    assert [t.id for t in db.active_line(game.id)] == [t1.id]
    assert db.fork_point(game.id) == {"session_id": f"session-{t1.id}", "at": f"entry-{t1.id}"}
    lines = {b["id"]: b for b in db.branches(game.id)}
    assert lines[old_branch] | {"created_at": 0} == {
        "id": old_branch,
        "active": False,
        "head_turn_id": t3.id,
        "turns": 3,
        "last_message": "three",
        "forked_from_turn": None,
        "reason": "start",
        "created_at": 0,
    }
    assert lines[branch]["active"] and lines[branch]["turns"] == 1
    assert (lines[branch]["forked_from_turn"], lines[branch]["reason"]) == (1, "rewind")
    assert db.branches(game.id)[0]["id"] == branch  # newest first

    t4 = play(db, game.id, "four")
    assert (t4.number, t4.parent_id) == (2, t1.id)
    assert [t.player_message for t in db.active_line(game.id)] == ["one", "four"]
    assert carried(db, game.id) == [*start, "one", "four"]
    assert len(db.list_turns(game.id)) == 4  # every turn ever, for analytics

    back = db.activate_branch(game.id, old_branch)
    assert back.state.inventory == [*start, "one", "two", "three"]
    assert [t.id for t in db.active_line(game.id)] == [t1.id, t2.id, t3.id]
    assert db.fork_point(game.id) == {"session_id": f"session-{t3.id}", "at": f"entry-{t3.id}"}

    at_start, _ = db.rewind(game.id, 0)
    assert at_start.state.inventory == start
    assert db.active_line(game.id) == [] and db.count_line(game.id) == 0
    assert db.fork_point(game.id) == {"session_id": None, "at": None}
    db.set_session_id(game.id, "fresh")
    assert db.fork_point(game.id) is None


def test_retry_keeps_every_telling_and_a_failed_one_gives_the_line_back(db: Store) -> None:
    """Retry restores the state before the turn; a failed retry restores the earlier telling."""
    game = db.create_game(new_state())
    start = list(game.state.inventory)
    t1 = play(db, game.id, "one")
    t2 = play(db, game.id, "two")
    assert "alternatives" not in t2.to_dict() and t2.to_dict()["parent_id"] == t1.id

    retry = db.begin_turn(game.id, "two", lease_owner="w", lease_seconds=60, retry_of=t2.id)
    assert carried(db, game.id) == [*start, "one"]  # the state before turn 2
    assert (retry.number, retry.parent_id, retry.alt_of) == (2, t1.id, t2.id)
    assert db.fork_point(game.id) == {"session_id": f"session-{t1.id}", "at": f"entry-{t1.id}"}
    db.update_state(game.id, lambda s: s.inventory.append("two again"))
    retold = db.finish_turn(
        retry.id,
        status="completed",
        narration="Again.",
        tool_calls=[],
        session_after="session-retold",
        session_at="entry-retold",
    )
    assert len(db.alternatives(game.id, t2.id)) == 2
    line = db.active_line(game.id)
    assert [t.id for t in line] == [t1.id, retold.id]
    assert line[-1].to_dict()["alternatives"] == {"index": 2, "count": 2}
    assert [t.alt_index for t in db.alternatives(game.id, retold.id)] == [0, 1]
    assert db.count_line(game.id) == 2

    failing = db.begin_turn(game.id, "two", lease_owner="w", lease_seconds=60, retry_of=retold.id)
    assert (failing.alt_of, carried(db, game.id)) == (t2.id, [*start, "one"])
    db.update_state(game.id, lambda s: s.inventory.append("half done"))
    db.finish_turn(failing.id, status="failed", narration=None, tool_calls=[])
    assert carried(db, game.id) == [*start, "one", "two again"]
    assert [t.id for t in db.active_line(game.id)] == [t1.id, retold.id]
    assert db.fork_point(game.id) == {"session_id": "session-retold", "at": "entry-retold"}
    tellings = db.alternatives(game.id, t2.id)
    assert [t.status for t in tellings] == ["completed", "completed", "failed"]
    assert tellings[2].to_dict()["alternatives"] == {"index": 3, "count": 3}

    with pytest.raises(TurnNotLatest) as refused:
        db.begin_turn(game.id, "one", lease_owner="w", lease_seconds=60, retry_of=t1.id)
    assert (refused.value.status, refused.value.code) == (409, "not_latest_turn")
    with pytest.raises(TurnNotFound):
        db.begin_turn(game.id, "x", lease_owner="w", lease_seconds=60, retry_of="nope")
    # A refused retry took no lease and changed nothing.
    assert play(db, game.id, "three").parent_id == retold.id


def test_a_retry_of_the_first_turn_starts_a_fresh_session(db: Store) -> None:
    """No turn before the first: state is the initial one, the fork is a fresh session."""
    game = db.create_game(new_state())
    t1 = play(db, game.id, "one")
    retry = db.begin_turn(game.id, "one", lease_owner="w", lease_seconds=60, retry_of=t1.id)
    assert (retry.number, retry.parent_id) == (1, None)
    assert carried(db, game.id) == game.state.inventory
    assert db.fork_point(game.id) == {"session_id": None, "at": None}


def test_a_dead_retry_gives_the_line_back_too(db: Store) -> None:
    """A retry whose worker died is interrupted at the next turn and the earlier telling kept."""
    game = db.create_game(new_state())
    t1 = play(db, game.id, "one")
    db.begin_turn(game.id, "one", lease_owner="dead", lease_seconds=0.05, retry_of=t1.id)
    db.update_state(game.id, lambda s: s.inventory.append("half"))
    time.sleep(0.1)
    t2 = play(db, game.id, "two")
    assert t2.parent_id == t1.id
    assert carried(db, game.id) == [*game.state.inventory, "one", "two"]
    assert [t.error_code for t in db.alternatives(game.id, t1.id)] == [None, "interrupted"]


def test_choose_moves_the_line_and_records_preferences(db: Store) -> None:
    """Choosing a telling restores its state; each choice is a preference row, once."""
    game = db.create_game(new_state())
    t1 = play(db, game.id, "one")
    retold = play(db, game.id, "one", retry_of=t1.id)
    assert db.preferences(game.id) == []

    chosen = db.choose(game.id, t1.id)
    assert chosen.state.inventory == [*game.state.inventory, "one"]
    assert chosen.fork_from == {"session_id": f"session-{t1.id}", "at": f"entry-{t1.id}"}
    assert [t.id for t in db.active_line(game.id)] == [t1.id]
    db.choose(game.id, t1.id)  # again: no second row
    prefs = db.preferences(game.id)
    assert [(p["chosen_turn_id"], p["rejected_turn_id"], p["game_id"]) for p in prefs] == [
        (t1.id, retold.id, game.id)
    ]
    assert db.preferences() == prefs

    # Choosing the other telling of an earlier turn keeps the later turns as their own line.
    t2 = play(db, game.id, "two")
    db.choose(game.id, retold.id)
    assert [t.id for t in db.active_line(game.id)] == [retold.id]
    assert any(b["head_turn_id"] == t2.id and not b["active"] for b in db.branches(game.id))
    assert len(db.preferences(game.id)) == 2

    with pytest.raises(TurnNotFound):
        db.choose(game.id, "nope")
    with pytest.raises(InvalidInput):
        db.choose(game.id, t2.id)  # on the other line


def test_pages_of_the_line_hold_every_turn_once(db: Store) -> None:
    """A 30-turn line read newest-first in pages of 7 gives each turn exactly once."""
    game = db.create_game(new_state())
    for n in range(30):
        db.finish_turn(
            db.begin_turn(game.id, f"m{n}", lease_owner="w", lease_seconds=60).id,
            status="completed",
            narration="ok",
            tool_calls=[],
        )
    seen: list[int] = []
    before: int | None = None
    while True:
        page = db.active_line(game.id, before=before, limit=7)
        if not page:
            break
        assert len(page) <= 7 and [t.number for t in page] == sorted(t.number for t in page)
        seen = [t.number for t in page] + seen
        before = page[0].number
    assert seen == list(range(1, 31))
    assert db.count_line(game.id) == 30
    assert [t.number for t in db.active_line(game.id, limit=3)] == [28, 29, 30]


def test_rewind_retry_choose_and_switch_wait_for_a_running_turn(db: Store) -> None:
    """Under a live lease every move of the line is a 409; nothing changes."""
    game = db.create_game(new_state())
    t1 = play(db, game.id, "one")
    branch = db.get_game(game.id).active_branch
    assert branch is not None
    running = db.begin_turn(game.id, "two", lease_owner="w", lease_seconds=60)
    moves = [
        lambda: db.rewind(game.id, 0),
        lambda: db.choose(game.id, t1.id),
        lambda: db.activate_branch(game.id, branch),
        lambda: db.begin_turn(game.id, "x", lease_owner="v", lease_seconds=60, retry_of=t1.id),
    ]
    for move in moves:
        with pytest.raises(TurnInProgress) as busy:
            move()
        assert busy.value.status == 409
    assert [t.id for t in db.active_line(game.id)] == [t1.id, running.id]


def test_bad_rewinds_and_unknown_branches(db: Store) -> None:
    """Rewinding before 0, past the end or to a non-number is a 400; a foreign branch 404."""
    game = db.create_game(new_state())
    other = db.create_game(new_state())
    for _ in range(3):
        play(db, game.id, "step")
    for bad in (-1, 4, "1", 1.5, True):
        with pytest.raises(InvalidInput) as refused:
            db.rewind(game.id, bad)  # type: ignore[arg-type]
        assert refused.value.status == 400
    for branch in ("nope", other.active_branch or ""):
        with pytest.raises(BranchNotFound) as missing:
            db.activate_branch(game.id, branch)
        assert (missing.value.status, missing.value.code) == (404, "branch_not_found")
    assert db.count_line(game.id) == 3


@pytest.fixture(params=["sqlite", "postgresql"])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store at schema version 2 (before lines of play), on each database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = Store(url, busy_timeout_ms=1000)
    assert store.migrate(up_to=2) == 2
    yield store
    store.close()


def test_a_version_2_database_migrates_and_keeps_playing(old_db: Store) -> None:
    """Old games get one start line through all their turns; they rewind to the end and
    play on; ratings survive the turns table's rebuild; migrating twice changes nothing."""
    state = new_state()
    now = time.time()
    with old_db.transaction() as q:
        for gid, turns in (("g1", 3), ("g2", 0)):
            q(
                "INSERT INTO games (id, owner, scenario, state, session_id, trace_root, status, "
                "turn_count, created_at, updated_at) VALUES (?, NULL, ?, ?, ?, NULL, 'active', "
                "?, ?, ?)",
                gid,
                state.scenario_id,
                rules_json(state, f"carried-{gid}"),
                f"sess-{gid}",
                turns,
                now,
                now,
            )
            for n in range(1, turns + 1):
                q(
                    "INSERT INTO turns (id, game_id, number, player_message, narration, status, "
                    "started_at) VALUES (?, ?, ?, ?, 'ok', 'completed', ?)",
                    f"{gid}-t{n}",
                    gid,
                    n,
                    f"m{n}",
                    now + n,
                )
        q(
            "INSERT INTO feedback (id, turn_id, score, comment, created_at) "
            "VALUES ('f1', 'g1-t2', 1, NULL, ?)",
            now,
        )
    assert old_db.migrate() == SCHEMA_VERSION and old_db.migrate() == SCHEMA_VERSION

    line = old_db.active_line("g1")
    assert [t.id for t in line] == ["g1-t1", "g1-t2", "g1-t3"]
    assert [t.parent_id for t in line] == [None, "g1-t1", "g1-t2"]
    assert [b["reason"] for b in old_db.branches("g1")] == ["start"]
    assert old_db.fork_point("g1") is None
    assert old_db.list_feedback("g1-t2")[0]["score"] == 1
    if old_db.dialect == "sqlite":  # the rebuilt turns table is still what feedback refers to
        with old_db.transaction(write=False) as q:
            assert q("PRAGMA foreign_key_check").fetchall() == []
            assert {r[2] for r in q("PRAGMA foreign_key_list(feedback)").fetchall()} == {"turns"}
    game, _ = old_db.rewind("g1", 3)
    assert "carried-g1" in game.state.inventory
    assert game.fork_from == {"session_id": "sess-g1", "at": None}
    with pytest.raises(SnapshotMissing) as missing:
        old_db.rewind("g1", 1)
    assert (missing.value.status, missing.value.code) == (409, "snapshot_missing")

    t4 = play(old_db, "g1", "four")
    assert (t4.number, t4.parent_id) == (4, "g1-t3")
    retold = play(old_db, "g1", "four", retry_of=t4.id)  # same number: no UNIQUE any more
    assert retold.number == 4 and old_db.count_line("g1") == 4
    assert old_db.rewind("g2", 0)[0].state.inventory[-1] == "carried-g2"
    assert play(old_db, "g2", "first").number == 1


def rules_json(state: rules.GameState, item: str) -> str:
    """The state's stored JSON with one more carried item (to recognise it later)."""
    import json

    data = state.to_dict()
    data["inventory"] = [*data["inventory"], item]
    return json.dumps(data)
